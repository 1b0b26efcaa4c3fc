"""Query filters of the offers, needs and matches APIs (django-filter), shared by lists and
GeoJSON layers; the filters on an organization's place come from ``actors.filters``.

A malformed filter value is a 400 with a field error, never a 500.
"""

from __future__ import annotations

import datetime

import django_filters as filters
from django import forms
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from actors.filters import LocatedFilterSet
from actors.selectors import territory_commune_ids, territory_ids_named
from miam.filters import CodeListFilter, Csv, SyncedFilterSet
from offers.models import Logistics, Match, Need, Offer, Pricing, Status
from offers.selectors import listing_category_ids


def _farm_labels():
    from products.labels import FARM_LABELS

    return list(FARM_LABELS)


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
        qs = qs.alias(**{f"{field}_text": Cast(field, TextField())})  # a condition, not a column
        return qs.filter(self._labels_q(field, value))


def _category_ids(value: list[str], *, with_parents: bool = False) -> list[int]:
    """Ids of the given categories (codes or ids) and their sub-categories (the taxonomy is
    kept in memory: ``offers.selectors``); with their parent families too when asked."""
    ids, unknown = listing_category_ids(value, with_parents=with_parents)
    if unknown:
        raise forms.ValidationError({"category": _("Catégorie inconnue : %(v)s.") % {"v": ", ".join(unknown)}})
    return ids


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
        qs = qs.alias(logistics_text=Cast("logistics", TextField()))
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


class MatchFilter(SyncedFilterSet):
    status = CodeListFilter(
        method="filter_status", allowed=Match.MatchStatus.values, label=_("statut(s), séparés par des virgules")
    )
    offer = filters.NumberFilter(field_name="offer_id")
    need = filters.NumberFilter(field_name="need_id")
    organization = filters.NumberFilter(method="filter_organization", label=_("organisation (d'un côté ou de l'autre)"))
    territory = CodeListFilter(method="filter_territory", label=_("territoire(s) : identifiant ou slug"))

    class Meta:
        model = Match
        fields: list[str] = []

    def filter_status(self, qs, name, value: Csv):
        return qs.filter(status__in=value)

    def filter_organization(self, qs, name, value: int):
        return qs.filter(Q(offer__organization_id=value) | Q(need__organization_id=value))

    def filter_territory(self, qs, name, value: Csv):
        territory_ids, unknown = territory_ids_named(value)
        if not territory_ids:
            raise forms.ValidationError({"territory": _("Territoire inconnu : %(v)s.") % {"v": ", ".join(unknown)}})
        communes = territory_commune_ids(territory_ids)
        return qs.filter(
            Q(offer__organization__commune_id__in=communes) | Q(need__organization__commune_id__in=communes)
        )
