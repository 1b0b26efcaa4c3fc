"""Query filters of the API (django-filter), shared by lists and GeoJSON layers.

A malformed filter value is a 400 with a field error, never a 500.
"""

from __future__ import annotations

import copy
import datetime
import math

import django_filters as filters
from django import forms
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter

from actors.models import Commune, Departement, Organization, Territory
from offers.models import Logistics, Match, Need, Offer, Pricing, ProductCategory, Status
from offers.selectors import filter_bbox, filter_within, territory_commune_ids

MAX_RADIUS_KM = 1000.0

# In the schema, list filters are one comma-separated string ("vegetables,fruits").
Csv = str


def _clean_text(value: str) -> str:
    return (value or "").replace("\x00", "").strip()


def _numbers(value: str, count: int, message) -> list[float]:
    parts = [p.strip() for p in _clean_text(value).split(",")]
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


class CodeListField(forms.CharField):
    """A comma-separated list of codes, checked against ``allowed`` when given."""

    def __init__(self, *args, allowed=None, **kwargs):
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        codes = list(dict.fromkeys(c.strip() for c in _clean_text(value).split(",") if c.strip()))
        if self.allowed is not None:
            allowed = self.allowed() if callable(self.allowed) else self.allowed
            unknown = [c for c in codes if c not in allowed]
            if unknown:
                # Params, not interpolation: django-filter formats the message once more.
                raise forms.ValidationError(
                    _("Valeur inconnue : %(value)s. Valeurs possibles : %(allowed)s."),
                    code="invalid_choice",
                    params={"value": ", ".join(unknown), "allowed": ", ".join(allowed)},
                )
        return codes or None


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


class CodeListFilter(filters.Filter):
    field_class = CodeListField


def _farm_labels():
    from actors.services import FARM_LABELS

    return list(FARM_LABELS)


class LightFilterSet(filters.FilterSet):
    """A FilterSet that costs less per request: django-filter deep-copies every filter (labels,
    choices, lazy texts) and builds a new form class for each request; here each filter is a
    shallow copy (filters keep no per-request state but their parent) and the form class,
    which depends only on the declared filters, is built once per FilterSet class."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # BaseFilterSet.__init__, with copy.copy instead of copy.deepcopy(self.base_filters).
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            filter_.model = model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # binds a new FilterMethod to this copy
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_light_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._light_form_class = form_class
        return form_class


class LocatedFilterSet(LightFilterSet):
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
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("modifiés depuis (date et heure ISO 8601)")
    )

    def filter_territory(self, qs, name, value: Csv):
        ids = [int(v) for v in value if v.isdigit()]
        slugs = [v for v in value if not v.isdigit()]
        territories = list(Territory.objects.filter(Q(id__in=ids) | Q(slug__in=slugs)).values_list("id", "slug"))
        known = {str(i) for i, _slug in territories} | {s for _i, s in territories}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise forms.ValidationError({"territory": _("Territoire inconnu : %(v)s.") % {"v": ", ".join(unknown)}})
        return qs.filter(**{f"{self.org}commune_id__in": territory_commune_ids([i for i, _slug in territories])})

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


class ListingFilterSet(LocatedFilterSet):
    """What offers and needs share: status, labels, dates, organization."""

    status = CodeListFilter(
        method="filter_status", allowed=Status.values, label=_("statut(s), séparés par des virgules")
    )
    is_open = filters.BooleanFilter(method="filter_open", label=_("seulement publiés et en partie pourvus"))
    organization = filters.NumberFilter(field_name="organization_id", label=_("organisation (identifiant)"))
    available_on = filters.DateFilter(method="filter_available_on", label=_("disponible ce jour-là (AAAA-MM-JJ)"))
    starts_before = filters.DateFilter(field_name="window_start", lookup_expr="lte", label=_("commence au plus tard"))
    ends_after = filters.DateFilter(field_name="window_end", lookup_expr="gte", label=_("se termine au plus tôt"))

    def filter_status(self, qs, name, value: Csv):
        return qs.filter(status__in=value)

    def filter_open(self, qs, name, value: bool):
        if value is None:
            return qs
        open_statuses = [Status.PUBLISHED, Status.PARTLY_MATCHED]
        return qs.filter(status__in=open_statuses) if value else qs.exclude(status__in=open_statuses)

    def filter_available_on(self, qs, name, value: datetime.date):
        return qs.filter(window_start__lte=value, window_end__gte=value)

    @staticmethod
    def _labels_q(field: str, labels: list[str]) -> Q:
        # Labels are known upper-case codes: a match on the JSON text works on every database.
        condition = Q(pk__in=[])
        for label in labels:
            condition |= Q(**{f"{field}_text__contains": f'"{label}"'})
        return condition

    def filter_labels_on(self, qs, field: str, value):
        qs = qs.annotate(**{f"{field}_text": Cast(field, TextField())})
        return qs.filter(self._labels_q(field, value))


def _category_ids(value: list[str], *, with_parents: bool = False) -> list[int]:
    """Ids of the given categories (codes or ids) and their sub-categories, in one query;
    with their parent families too when asked."""
    rows = list(ProductCategory.objects.values_list("id", "code", "parent_id"))
    by_key = {code: (pk, parent) for pk, code, parent in rows} | {str(pk): (pk, parent) for pk, _c, parent in rows}
    unknown = [v for v in value if v not in by_key]
    if unknown:
        raise forms.ValidationError({"category": _("Catégorie inconnue : %(v)s.") % {"v": ", ".join(unknown)}})
    chosen = {by_key[v][0] for v in value}
    ids = chosen | {pk for pk, _code, parent in rows if parent in chosen}
    if with_parents:
        ids |= {by_key[v][1] for v in value if by_key[v][1]}
    return sorted(ids)


class OfferFilter(ListingFilterSet):
    category = CodeListFilter(
        method="filter_category", label=_("catégorie(s), sous-catégories comprises : code ou identifiant")
    )
    pricing = CodeListFilter(
        method="filter_pricing", allowed=Pricing.values, label=_("conditions : donation, solidarity, market")
    )
    labels = CodeListFilter(method="filter_labels", allowed=_farm_labels, label=_("au moins un de ces labels (AB…)"))
    logistics = CodeListFilter(
        method="filter_logistics", allowed=Logistics.values, label=_("au moins un de ces modes d'acheminement")
    )
    storage = filters.ChoiceFilter(choices=Offer._meta.get_field("storage").choices)

    class Meta:
        model = Offer
        fields: list[str] = []

    def filter_category(self, qs, name, value: Csv):
        return qs.filter(category_id__in=_category_ids(value))

    def filter_pricing(self, qs, name, value: Csv):
        return qs.filter(pricing__in=value)

    def filter_labels(self, qs, name, value: Csv):
        return self.filter_labels_on(qs, "labels", value)

    def filter_logistics(self, qs, name, value: Csv):
        qs = qs.annotate(logistics_text=Cast("logistics", TextField()))
        condition = Q(pk__in=[])
        for mode in value:
            condition |= Q(logistics_text__contains=f'"{mode}"')
        return qs.filter(condition)

    def filter_available_on(self, qs, name, value: datetime.date):
        # An offer is available until its effective end: a use-by date shortens the window.
        qs = super().filter_available_on(qs, name, value)
        return qs.filter(Q(use_by__isnull=True) | Q(use_by__gte=value))


class NeedFilter(ListingFilterSet):
    category = CodeListFilter(
        method="filter_category", label=_("catégorie(s), sous-catégories comprises : code ou identifiant")
    )
    accepted_pricing = filters.ChoiceFilter(choices=Need.AcceptedPricing.choices)
    labels = CodeListFilter(
        method="filter_labels", allowed=_farm_labels, label=_("au moins un de ces labels souhaités")
    )
    urgency = filters.NumberFilter(field_name="urgency", lookup_expr="gte", label=_("urgence minimale (1 à 3)"))

    class Meta:
        model = Need
        fields: list[str] = []

    def filter_category(self, qs, name, value: Csv):
        # A need for "vegetables" also answers a search for "potatoes": include the parents.
        wanted = _category_ids(value, with_parents=True)
        through = Need.categories.through.objects.filter(productcategory_id__in=wanted).values("need_id")
        return qs.filter(id__in=through)

    def filter_labels(self, qs, name, value: Csv):
        return self.filter_labels_on(qs, "preferred_labels", value)


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
        value = _clean_text(value)
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(commune__name__icontains=value))


class MatchFilter(LightFilterSet):
    status = CodeListFilter(
        method="filter_status", allowed=Match.MatchStatus.values, label=_("statut(s), séparés par des virgules")
    )
    offer = filters.NumberFilter(field_name="offer_id")
    need = filters.NumberFilter(field_name="need_id")
    organization = filters.NumberFilter(method="filter_organization", label=_("organisation (d'un côté ou de l'autre)"))
    territory = CodeListFilter(method="filter_territory", label=_("territoire(s) : identifiant ou slug"))
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Match
        fields: list[str] = []

    def filter_status(self, qs, name, value: Csv):
        return qs.filter(status__in=value)

    def filter_organization(self, qs, name, value: int):
        return qs.filter(Q(offer__organization_id=value) | Q(need__organization_id=value))

    def filter_territory(self, qs, name, value: Csv):
        ids = [int(v) for v in value if v.isdigit()]
        slugs = [v for v in value if not v.isdigit()]
        territory_ids = list(Territory.objects.filter(Q(id__in=ids) | Q(slug__in=slugs)).values_list("id", flat=True))
        if not territory_ids:
            raise forms.ValidationError({"territory": _("Territoire inconnu : %(v)s.") % {"v": ", ".join(value)}})
        communes = territory_commune_ids(territory_ids)
        return qs.filter(
            Q(offer__organization__commune_id__in=communes) | Q(need__organization__commune_id__in=communes)
        )


class SafeOrderingFilter(OrderingFilter):
    """``?ordering=`` with a unique tie-breaker (stable pages); ``distance_km`` only
    applies when ``within`` computed it."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if "distance_km" not in queryset.query.annotations:
            ordering = [term for term in ordering if term.lstrip("-") != "distance_km"]
        if not ordering:
            ordering = list(self.get_default_ordering(view) or [])
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering.append("id")
        return ordering
