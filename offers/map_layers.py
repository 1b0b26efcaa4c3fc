"""Reads behind the territory map and its table: one query per layer, plain values.

The map shows public fields only. For visitors (and anyone who is not on the territory's
team), an organization sits at its commune's town-hall point, never at its address.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import get_language

from actors.models import Organization, Territory
from actors.permissions import viewer_territory_ids
from offers.models import OPEN_STATUSES, Need, Offer, Pricing, ProductCategory

LAYERS = ("farms", "structures", "offers", "needs", "initiatives")
FARM_KINDS = (Organization.Kind.FARM, Organization.Kind.PROCESSOR)


def sees_exact_locations(user, territory: Territory) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and territory.pk in viewer_territory_ids(user)


def _category_ids(code_or_id) -> list[int]:
    """A family and its sub-categories, or one sub-category."""
    if not code_or_id:
        return []
    category = ProductCategory.objects.filter(pk=code_or_id).first() if str(code_or_id).isdigit() else None
    if category is None:
        category = ProductCategory.objects.filter(code=str(code_or_id)).first()
    if category is None:
        return [-1]
    return [category.pk, *ProductCategory.objects.filter(parent=category).values_list("pk", flat=True)]


def organizations(*, territory: Territory, kinds) -> QuerySet:
    return (
        Organization.objects.filter(is_active=True, kind__in=kinds, commune__territories=territory)
        .select_related("commune")
        .order_by("name", "id")
    )


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
        ids = _category_ids(category)
        parents = ProductCategory.objects.filter(pk__in=ids).values_list("parent_id", flat=True)
        qs = qs.filter(Q(categories__in=ids) | Q(categories__in=[p for p in parents if p])).distinct()
    if pricing in (Pricing.SOLIDARITY, Pricing.MARKET):
        qs = qs.filter(accepted_pricing=Need.AcceptedPricing.PURCHASE)
    return qs.select_related("organization", "organization__commune").order_by("window_end", "id")


def initiatives(*, territory: Territory) -> QuerySet | list:
    try:
        from initiatives.models import Initiative
    except ImportError:  # pragma: no cover - the app is always installed
        return []
    return (
        Initiative.objects.filter(is_published=True, latitude__isnull=False, commune__territories=territory)
        .select_related("commune")
        .order_by("name", "id")
    )


def _point(row, exact: bool, offset: int) -> tuple[float, float] | None:
    """(lat, lon) from a row holding exact lat, exact lon, commune lat, commune lon at ``offset``."""
    lat, lon = (row[offset], row[offset + 1]) if exact else (row[offset + 2], row[offset + 3])
    if lat is None or lon is None:
        return None
    return round(lat, 5), round(lon, 5)


ORG_COLUMNS = ["lat", "lon", "id", "name", "commune"]
OFFER_COLUMNS = ["lat", "lon", "id", "name", "category", "quantity", "unit", "pricing", "until", "by", "commune"]
NEED_COLUMNS = ["lat", "lon", "id", "name", "quantity", "unit", "until", "by", "commune"]
INITIATIVE_COLUMNS = ["lat", "lon", "id", "name", "commune"]
PLACE = ("latitude", "longitude", "commune__latitude", "commune__longitude")


def _prefixed(prefix: str) -> tuple[str, ...]:
    return tuple(prefix + name for name in PLACE)


def map_layers(*, territory: Territory, user, filters: dict | None = None) -> dict:
    """Every layer of the territory as compact rows (one list per marker), plus the outline.

    Compact rather than GeoJSON features: 5,000 markers weigh a third and encode several
    times faster, which is what keeps the map usable in under 2 s. ``columns`` names the
    fields of each row; ``labels`` gives the French names of units and pricings once.
    """
    filters = filters or {}
    exact = sees_exact_locations(user, territory)
    listing = {k: filters.get(k) for k in ("category", "status", "pricing")}
    layers: dict = {}
    for layer, kinds in (("farms", FARM_KINDS), ("structures", (Organization.Kind.FOOD_AID,))):
        rows = []
        for row in organizations(territory=territory, kinds=kinds).values_list(*PLACE, "id", "name", "commune__name"):
            point = _point(row, exact, 0)
            if point:
                rows.append([*point, row[4], row[5], row[6]])
        layers[layer] = {"columns": ORG_COLUMNS, "rows": rows}

    rows = []
    offer_rows = offers(territory=territory, **listing).values_list(
        *_prefixed("organization__"),
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
    )
    for row in offer_rows:
        point = _point(row, exact, 0)
        if point:
            available = float(row[7] - row[8])
            rows.append(
                [*point, row[4], row[5], row[6], available, row[9], row[10], row[11].isoformat(), row[12], row[13]]
            )
    layers["offers"] = {"columns": OFFER_COLUMNS, "rows": rows}

    rows = []
    need_rows = needs(territory=territory, **listing).values_list(
        *_prefixed("organization__"),
        "id",
        "title",
        "quantity",
        "quantity_covered",
        "unit",
        "window_end",
        "organization__name",
        "organization__commune__name",
    )
    for row in need_rows:
        point = _point(row, exact, 0)
        if point:
            open_quantity = max(float(row[6] - row[7]), 0.0)
            rows.append([*point, row[4], row[5], open_quantity, row[8], row[9].isoformat(), row[10], row[11]])
    layers["needs"] = {"columns": NEED_COLUMNS, "rows": rows}

    rows = []
    qs = initiatives(territory=territory)
    if not isinstance(qs, list):
        for lat, lon, slug, name, commune_name in qs.values_list(
            "latitude", "longitude", "slug", "name", "commune__name"
        ):
            rows.append([round(lat, 5), round(lon, 5), slug, name, commune_name or ""])
    layers["initiatives"] = {"columns": INITIATIVE_COLUMNS, "rows": rows}
    return {
        "layers": layers,
        "outline": territory.outline,
        "labels": {
            "units": {k: str(v) for k, v in Offer._meta.get_field("unit").choices},
            "pricing": {k: str(v) for k, v in Pricing.choices},
        },
    }
