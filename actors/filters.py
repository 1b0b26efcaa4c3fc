"""Query filters on an organization's place, shared by the actors, offers and needs APIs and
their GeoJSON layers: territory, commune, département, within a distance, within a box.

A malformed filter value is a 400 with a field error, never a 500.
"""

from __future__ import annotations

import math

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from actors.models import Commune, Departement, Organization
from actors.selectors import filter_bbox, filter_within, territory_commune_ids, territory_ids_named
from miam.filters import CodeListFilter, Csv, SyncedFilterSet, clean_text

MAX_RADIUS_KM = 1000.0


def _numbers(value: str, count: int, message) -> list[float]:
    parts = [p.strip() for p in clean_text(value).split(",")]
    if len(parts) != count:
        raise forms.ValidationError(message, code="invalid")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise forms.ValidationError(message, code="invalid") from None
    if not all(math.isfinite(n) for n in numbers):
        raise forms.ValidationError(message, code="invalid")
    return numbers


class WithinField(forms.CharField):
    """``lat,lon,km``: a point and a radius in kilometres."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        message = _("Format attendu : latitude,longitude,km (par exemple 46.43,4.66,30).")
        lat, lon, km = _numbers(value, 3, message)
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            raise forms.ValidationError(_("Point hors des coordonnées possibles."), code="out_of_range")
        if not 0 < km <= MAX_RADIUS_KM:
            raise forms.ValidationError(
                _("Le rayon doit être compris entre 0 et %(max)s km."),
                code="out_of_range",
                params={"max": int(MAX_RADIUS_KM)},
            )
        return lat, lon, km


class BBoxField(forms.CharField):
    """``min_lon,min_lat,max_lon,max_lat`` (the GeoJSON / OGC order)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        message = _("Format attendu : lon_min,lat_min,lon_max,lat_max.")
        min_lon, min_lat, max_lon, max_lat = _numbers(value, 4, message)
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise forms.ValidationError(_("Rectangle invalide ou hors des coordonnées possibles."), code="invalid")
        return min_lon, min_lat, max_lon, max_lat


@extend_schema_field(
    {
        "type": "string",
        "description": _(
            "À moins de N km d'un point : `latitude,longitude,km` (ex. `46.43,4.66,30`). "
            "Ajoute `distance_km` aux résultats, utilisable dans `ordering`."
        ),
    }
)
class WithinFilter(filters.Filter):
    field_class = WithinField

    def filter(self, qs, value):
        if not value:
            return qs
        lat, lon, km = value
        return filter_within(qs, latitude=lat, longitude=lon, radius_km=km)


@extend_schema_field(
    {"type": "string", "description": _("Dans un rectangle : `lon_min,lat_min,lon_max,lat_max` (ordre GeoJSON).")}
)
class BBoxFilter(filters.Filter):
    field_class = BBoxField

    def filter(self, qs, value):
        if not value:
            return qs
        min_lon, min_lat, max_lon, max_lat = value
        return filter_bbox(qs, min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


class LocatedFilterSet(SyncedFilterSet):
    """Territory, commune, département, distance and box filters on an organization's place.

    ``org`` is the path to the organization ("organization__" on offers, "" on organizations);
    the queryset must carry ``annotate_public_point`` for ``within`` and ``bbox``."""

    org = "organization__"

    territory = CodeListFilter(
        method="filter_territory", label=_("territoire(s) : identifiant ou slug, séparés par des virgules")
    )
    commune = CodeListFilter(method="filter_commune", label=_("commune(s) : code INSEE"))
    departement = CodeListFilter(method="filter_departement", label=_("département(s) : code"))
    within = WithinFilter(label=_("à moins de N km d'un point : lat,lon,km"))
    bbox = BBoxFilter(label=_("dans un rectangle : lon_min,lat_min,lon_max,lat_max"))

    def filter_territory(self, qs, name, value: Csv):
        ids, unknown = territory_ids_named(value)
        if unknown:
            raise forms.ValidationError({"territory": _("Territoire inconnu : %(v)s.") % {"v": ", ".join(unknown)}})
        return qs.filter(**{f"{self.org}commune_id__in": territory_commune_ids(ids)})

    def filter_commune(self, qs, name, value: Csv):
        communes = list(Commune.objects.filter(insee_code__in=value).values_list("id", flat=True))
        if not communes:
            raise forms.ValidationError({"commune": _("Commune inconnue : %(v)s.") % {"v": ", ".join(value)}})
        return qs.filter(**{f"{self.org}commune_id__in": communes})

    def filter_departement(self, qs, name, value: Csv):
        known = set(Departement.objects.filter(code__in=value).values_list("code", flat=True))
        unknown = [v for v in value if v not in known]
        if unknown:
            raise forms.ValidationError({"departement": _("Département inconnu : %(v)s.") % {"v": ", ".join(unknown)}})
        return qs.filter(**{f"{self.org}commune__departement__code__in": value})


class OrganizationFilter(LocatedFilterSet):
    org = ""

    kind = CodeListFilter(method="filter_kind", allowed=Organization.Kind.values, label=_("type(s) d'acteur"))
    q = filters.CharFilter(method="filter_q", label=_("nom ou commune contient"))

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_kind(self, qs, name, value: Csv):
        return qs.filter(kind__in=value)

    def filter_q(self, qs, name, value: Csv):
        value = clean_text(value)
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(commune__name__icontains=value))
