"""The map's layers of open offers and needs (registered in ``OffersConfig.ready``), and the
territory map's data: every registered layer (``miam.maps``) plus the outline.

The map shows public fields only. For visitors (and anyone who is not on the territory's
team), an organization sits at its commune's town-hall point, never at its address.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actors.map_layers import place, prefixed, sees_exact_locations
from actors.models import Territory
from miam import maps
from offers.models import OPEN_STATUSES, Need, Offer, Pricing
from offers.selectors import listing_category_ids

OFFER_COLUMNS = ("lat", "lon", "id", "name", "category", "quantity", "unit", "pricing", "until", "by", "commune")
NEED_COLUMNS = ("lat", "lon", "id", "name", "quantity", "unit", "until", "by", "commune")
LISTING_FILTERS = ("category", "status", "pricing")


def _category_ids(code_or_id, *, with_parents: bool = False) -> list[int]:
    """A family and its sub-categories, or one sub-category; nothing matches an unknown one."""
    ids, unknown = listing_category_ids([code_or_id], with_parents=with_parents)
    return [-1] if unknown else ids


def offers(*, territory: Territory, category=None, status: str = "", pricing: str = "") -> QuerySet:
    qs = Offer.objects.filter(organization__commune__territories=territory)
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if category:
        qs = qs.filter(category_id__in=_category_ids(category))
    if pricing:
        qs = qs.filter(pricing=pricing)
    return qs.select_related("organization", "organization__commune", "category").order_by("window_end", "id")


def needs(*, territory: Territory, category=None, status: str = "", pricing: str = "") -> QuerySet:
    qs = Need.objects.filter(organization__commune__territories=territory)
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if category:
        # A need for "vegetables" answers a search for "potatoes" too.
        qs = qs.filter(Q(categories__in=_category_ids(category, with_parents=True))).distinct()
    if pricing in (Pricing.SOLIDARITY, Pricing.MARKET):
        qs = qs.filter(accepted_pricing=Need.AcceptedPricing.PURCHASE)
    return qs.select_related("organization", "organization__commune").order_by("window_end", "id")


def _listing_filters(filters: dict) -> dict:
    return {k: filters.get(k) for k in LISTING_FILTERS}


def offer_rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
    rows = []
    for row in offers(territory=territory, **_listing_filters(filters)).values_list(
        *prefixed("organization__"),
        "id",
        "product_name",
        "category__name_en" if (get_language() or "").startswith("en") else "category__name",
        "quantity",
        "quantity_reserved",
        "unit",
        "pricing",
        "window_end",
        "organization__name",
        "organization__commune__name",
    ):
        where = place(row, exact)
        if where:
            available = float(row[7] - row[8])
            rows.append(
                [*where, row[4], row[5], row[6], available, row[9], row[10], row[11].isoformat(), row[12], row[13]]
            )
    return rows


def need_rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
    rows = []
    for row in needs(territory=territory, **_listing_filters(filters)).values_list(
        *prefixed("organization__"),
        "id",
        "title",
        "quantity",
        "quantity_covered",
        "unit",
        "window_end",
        "organization__name",
        "organization__commune__name",
    ):
        where = place(row, exact)
        if where:
            open_quantity = max(float(row[6] - row[7]), 0.0)
            rows.append([*where, row[4], row[5], open_quantity, row[8], row[9].isoformat(), row[10], row[11]])
    return rows


def _url(name: str):
    return lambda: reverse(name, args=[0]).replace("/0/", "/{id}/")


LAYERS = (
    maps.MapLayer(
        code="offers",
        label=_("Offres ouvertes"),
        order=30,
        columns=OFFER_COLUMNS,
        rows=offer_rows,
        listing=lambda *, territory, filters: offers(territory=territory, **_listing_filters(filters)),
        detail_url=_url("offers:offer_detail"),
    ),
    maps.MapLayer(
        code="needs",
        label=_("Besoins ouverts"),
        order=40,
        columns=NEED_COLUMNS,
        rows=need_rows,
        listing=lambda *, territory, filters: needs(territory=territory, **_listing_filters(filters)),
        detail_url=_url("offers:need_detail"),
    ),
)


def map_data(*, territory: Territory, user, filters: dict | None = None) -> dict:
    """Every layer of the territory as compact rows (one list per marker), the outline, the
    address of each marker's page, and the French names of units and pricings (once)."""
    filters = filters or {}
    exact = sees_exact_locations(user, territory)
    layers = {
        layer.code: {
            "columns": list(layer.columns),
            "rows": layer.rows(territory=territory, exact=exact, filters=filters),
        }
        for layer in maps.layers()
    }
    return {
        "layers": layers,
        "outline": territory.outline,
        "labels": {
            "units": {k: str(v) for k, v in Offer._meta.get_field("unit").choices},
            "pricing": {k: str(v) for k, v in Pricing.choices},
        },
        "urls": {layer.code: layer.detail_url() for layer in maps.layers()},
    }
