"""Reads on actors that are more than a filter: search, public listings, dashboards."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from actors.models import Commune, Organization, Territory
from actors.permissions import member_organization_ids, officer_territory_ids, viewer_territory_ids
from miam.geo import bounding_box
from miam.text import normalize


def commune_search(*, q: str, limit: int = 20) -> QuerySet[Commune]:
    """Communes by name (accent- and case-insensitive, "st" = "saint") or postal code."""
    q = (q or "").strip()
    qs = Commune.objects.select_related("departement")
    if not q:
        return qs.none()
    if q.isdigit():
        if len(q) == 5:
            return qs.filter(Q(postal_codes__contains=q) | Q(insee_code=q)).order_by("-population")[:limit]
        return qs.filter(postal_codes__startswith=q).order_by("-population")[:limit]
    term = normalize(q)
    if not term:
        return qs.none()
    exact = list(qs.filter(search_name=term).order_by("-population")[:limit])
    if len(exact) >= limit:
        return exact
    prefix = qs.filter(search_name__startswith=term).exclude(pk__in=[c.pk for c in exact])
    return exact + list(prefix.order_by("-population")[: limit - len(exact)])


def organizations_near(qs: QuerySet, *, latitude: float, longitude: float, radius_km: float, prefix: str = ""):
    """Bounding-box prefilter (indexed); callers refine with haversine when exactness matters."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius_km)
    return qs.filter(
        **{
            f"{prefix}latitude__gte": min_lat,
            f"{prefix}latitude__lte": max_lat,
            f"{prefix}longitude__gte": min_lon,
            f"{prefix}longitude__lte": max_lon,
        }
    )


def organization_list(*, territory: Territory | None = None, kind: str | None = None, q: str = "") -> QuerySet:
    qs = Organization.objects.filter(is_active=True).select_related("commune", "commune__departement")
    if territory is not None:
        qs = qs.filter(commune__territories=territory)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(search_text__contains=normalize(q))
    return qs.order_by("name", "id")


def territory_actor_counts(*, territory: Territory) -> dict[str, int]:
    rows = (
        Organization.objects.filter(commune__territories=territory, is_active=True)
        .values("kind")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(Organization.Kind.values, 0)
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def territories_for(user) -> QuerySet[Territory]:
    ids = viewer_territory_ids(user)
    return Territory.objects.filter(id__in=ids).order_by("name")


def home_context(*, user) -> dict:
    territories = Territory.objects.order_by("name").only("id", "name", "slug", "population", "level")
    context = {"territories": territories, "my_territory_ids": officer_territory_ids(user)}
    if getattr(user, "is_authenticated", False):
        context["my_organizations"] = Organization.objects.filter(id__in=member_organization_ids(user))
    return context


def territory_map_view(territory: Territory | None) -> dict:
    """django-leaflet's default view for a territory's map: its communes' centre (the page then
    fits the markers). Without communes, LEAFLET_CONFIG's default view stays."""
    if territory is None:
        return {}
    from django.db.models import Avg

    centre = territory.communes.aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
    if centre["lat"] is None or centre["lon"] is None:
        return {}
    return {"DEFAULT_CENTER": (round(centre["lat"], 5), round(centre["lon"], 5)), "DEFAULT_ZOOM": 10}
