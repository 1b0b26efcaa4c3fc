"""Reads on actors that are more than a filter: search, places (exact or public), public listings,
dashboards."""

from __future__ import annotations

import functools

from django.db.models import BooleanField, Case, Count, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from actors.models import Commune, Organization, Territory
from actors.permissions import is_staff, member_organization_ids, officer_territory_ids, viewer_territory_ids
from miam.geo import EARTH_RADIUS_KM, bounding_box
from miam.refcache import ProcessCache
from miam.text import normalize


def commune_list(*, territory: Territory | None = None) -> QuerySet[Commune]:
    """Every commune, or a territory's, by name then INSEE code (unique): a stable order to page.
    Without their outlines, which a list does not show (half the time of a page, sorted with them)."""
    qs = territory.communes.all() if territory is not None else Commune.objects.all()
    return qs.select_related("departement").defer("outline").order_by("name", "insee_code")


def commune_search(*, q: str, limit: int = 20) -> QuerySet[Commune]:
    """Communes by name (accent- and case-insensitive, "st" = "saint") or postal code, without
    their outlines (an autocomplete shows none; one read later loads it)."""
    q = (q or "").strip()
    qs = Commune.objects.select_related("departement").defer("outline")
    if not q:
        return qs.none()
    if q.isdecimal():
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


# --- Places: exact for those allowed, the commune's point for everybody else --------------


def private_organizations_q(principal, field: str = "organization_id") -> Q | None:
    """Organizations whose private fields (contacts, exact place) ``principal`` may see, as a
    condition on ``field``; None means all of them (staff), an empty Q-less answer none.

    Mirrors ``actors.permissions.can_see_private_fields`` without a query per row."""
    if not getattr(principal, "is_authenticated", False):
        return Q(pk__in=[])
    if is_staff(principal):
        return None
    condition = Q(pk__in=[])
    org_ids = member_organization_ids(principal)
    if org_ids:
        condition |= Q(**{f"{field}__in": sorted(org_ids)})
    territory_ids = viewer_territory_ids(principal)
    if territory_ids:
        in_territories = Organization.objects.filter(commune__territories__in=territory_ids).values("id")
        condition |= Q(**{f"{field}__in": in_territories})
    return condition


def annotate_public_point(qs: QuerySet, principal, *, prefix: str = "organization__") -> QuerySet:
    """Add ``point_lat``, ``point_lon`` and ``is_exact``: the exact place for those allowed
    to see it, the commune's point for everybody else."""
    field = f"{prefix}id" if prefix else "id"
    condition = private_organizations_q(principal, field)
    exact_lat, exact_lon = F(f"{prefix}latitude"), F(f"{prefix}longitude")
    commune_lat, commune_lon = F(f"{prefix}commune__latitude"), F(f"{prefix}commune__longitude")
    if condition is None:
        return qs.annotate(point_lat=exact_lat, point_lon=exact_lon, is_exact=Value(True))
    if condition == Q(pk__in=[]):
        return qs.annotate(point_lat=commune_lat, point_lon=commune_lon, is_exact=Value(False))
    return qs.annotate(
        is_exact=Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()),
        point_lat=Case(When(condition, then=exact_lat), default=commune_lat, output_field=FloatField()),
        point_lon=Case(When(condition, then=exact_lon), default=commune_lon, output_field=FloatField()),
    )


def filter_within(qs: QuerySet, *, latitude: float, longitude: float, radius_km: float) -> QuerySet:
    """Rows of an ``annotate_public_point`` queryset within ``radius_km`` of a point.

    A bounding box first (cheap), then the exact great-circle distance, annotated as
    ``distance_km`` so that callers may order by it."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius_km)
    qs = qs.filter(point_lat__gte=min_lat, point_lat__lte=max_lat, point_lon__gte=min_lon, point_lon__lte=max_lon)
    lat0, lon0 = Radians(Value(latitude)), Radians(Value(longitude))
    lat1, lon1 = Radians(F("point_lat")), Radians(F("point_lon"))
    a = Power(Sin((lat1 - lat0) / 2), 2) + Cos(lat0) * Cos(lat1) * Power(Sin((lon1 - lon0) / 2), 2)
    distance = 2 * EARTH_RADIUS_KM * ASin(Least(Value(1.0), Sqrt(a)))
    return qs.annotate(distance_km=distance).filter(distance_km__lte=radius_km)


def filter_bbox(qs: QuerySet, *, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> QuerySet:
    return qs.filter(point_lat__gte=min_lat, point_lat__lte=max_lat, point_lon__gte=min_lon, point_lon__lte=max_lon)


def _territory_keys() -> dict[str, int]:
    return {key: pk for pk, slug in Territory.objects.values_list("id", "slug") for key in (str(pk), slug)}


#: Territories by id and slug, kept in each process (``miam.refcache``): every list filtered
#: by territory reads them.
TERRITORY_KEYS = ProcessCache("territory-keys", _territory_keys, models=[Territory])


def territory_ids_named(values) -> tuple[list[int], list[str]]:
    """The ids of the territories named by id or slug, and the values naming none."""
    values = [str(v) for v in values]
    keys = TERRITORY_KEYS.get()
    if any(v not in keys for v in values):
        keys = TERRITORY_KEYS.get(fresh=True)
    return sorted({keys[v] for v in values if v in keys}), [v for v in values if v not in keys]


def territory_commune_ids(territory_ids) -> QuerySet:
    """A subquery of the communes of some territories (no join, no duplicates): a copy of one
    built once per process for these territories (building it was half the territory filter
    of every list and layer; it holds no data, PostgreSQL reads the communes each time)."""
    return _territory_communes_subquery(tuple(sorted(set(territory_ids)))).all()


@functools.lru_cache(maxsize=512)
def _territory_communes_subquery(territory_ids: tuple[int, ...]) -> QuerySet:
    return Territory.communes.through.objects.filter(territory_id__in=territory_ids).values("commune_id")


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
