"""Reads behind the territory map and its table: one query per layer, plain values.

The map shows public fields only. For visitors (and anyone who is not on the territory's
team), an organization sits at its commune's town-hall point, never at its address.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

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


def _feature(lat, lon, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": properties,
    }


def _collection(features: list) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _place(row: dict, prefix: str, exact: bool) -> tuple[float, float] | None:
    if exact:
        lat, lon = row[f"{prefix}latitude"], row[f"{prefix}longitude"]
    else:
        lat, lon = row[f"{prefix}commune__latitude"], row[f"{prefix}commune__longitude"]
    if lat is None or lon is None:
        return None
    return lat, lon


def _fmt(value) -> str:
    text = f"{value:f}" if value is not None else ""
    return text.rstrip("0").rstrip(".") if "." in text else text


def map_layers(*, territory: Territory, user, filters: dict | None = None) -> dict:
    """Every layer of the territory as GeoJSON feature collections, plus the outline."""
    filters = filters or {}
    exact = sees_exact_locations(user, territory)
    listing = {k: filters.get(k) for k in ("category", "status", "pricing")}
    org_values = ("id", "name", "kind", "latitude", "longitude", "commune__name", "commune__latitude", "commune__longitude")
    result: dict = {}
    for layer, kinds in (("farms", FARM_KINDS), ("structures", (Organization.Kind.FOOD_AID,))):
        features = []
        for row in organizations(territory=territory, kinds=kinds).values(*org_values):
            point = _place(row, "", exact)
            if point:
                features.append(_feature(*point, {"id": row["id"], "name": row["name"], "commune": row["commune__name"]}))
        result[layer] = _collection(features)

    unit_labels = dict(Offer._meta.get_field("unit").choices)
    pricing_labels = dict(Pricing.choices)
    features = []
    offer_rows = offers(territory=territory, **listing).values(
        "id",
        "product_name",
        "quantity",
        "quantity_reserved",
        "unit",
        "pricing",
        "window_end",
        "category__name",
        "organization__name",
        "organization__latitude",
        "organization__longitude",
        "organization__commune__name",
        "organization__commune__latitude",
        "organization__commune__longitude",
    )
    for row in offer_rows:
        point = _place(row, "organization__", exact)
        if point:
            features.append(
                _feature(
                    *point,
                    {
                        "id": row["id"],
                        "name": row["product_name"],
                        "category": row["category__name"],
                        "quantity": f"{_fmt(row['quantity'] - row['quantity_reserved'])} {unit_labels.get(row['unit'], row['unit'])}",
                        "pricing": str(pricing_labels.get(row["pricing"], row["pricing"])),
                        "until": row["window_end"].isoformat(),
                        "by": row["organization__name"],
                        "commune": row["organization__commune__name"],
                    },
                )
            )
    result["offers"] = _collection(features)

    features = []
    need_rows = needs(territory=territory, **listing).values(
        "id",
        "title",
        "quantity",
        "quantity_covered",
        "unit",
        "window_end",
        "organization__name",
        "organization__latitude",
        "organization__longitude",
        "organization__commune__name",
        "organization__commune__latitude",
        "organization__commune__longitude",
    )
    for row in need_rows:
        point = _place(row, "organization__", exact)
        if point:
            open_quantity = max(row["quantity"] - row["quantity_covered"], 0)
            features.append(
                _feature(
                    *point,
                    {
                        "id": row["id"],
                        "name": row["title"],
                        "quantity": f"{_fmt(open_quantity)} {unit_labels.get(row['unit'], row['unit'])}",
                        "until": row["window_end"].isoformat(),
                        "by": row["organization__name"],
                        "commune": row["organization__commune__name"],
                    },
                )
            )
    result["needs"] = _collection(features)

    features = []
    qs = initiatives(territory=territory)
    if not isinstance(qs, list):
        for row in qs.values("slug", "name", "latitude", "longitude", "commune__name"):
            features.append(
                _feature(
                    row["latitude"],
                    row["longitude"],
                    {"id": row["slug"], "name": row["name"], "commune": row["commune__name"] or ""},
                )
            )
    result["initiatives"] = _collection(features)
    result["outline"] = territory.outline
    return result
