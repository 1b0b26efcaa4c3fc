"""Reads on offers, needs and matches shared by pages, the API and jobs.

Visibility in one place: drafts are seen only by those who may edit their organization;
exact coordinates only by those who may see an organization's private fields (others
get the commune's town-hall point).
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from actors.models import Organization, Territory
from actors.permissions import (
    editable_organizations,
    is_staff,
    member_organization_ids,
    viewer_territory_ids,
)
from miam.geo import EARTH_RADIUS_KM, bounding_box
from offers.models import Match, Need, Offer, Status
from products.models import ProductCategory


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


def category_ids_with_descendants(categories) -> list[int]:
    """Ids of the given categories and of their sub-categories (two levels)."""
    ids = [c.pk for c in categories]
    children = ProductCategory.objects.filter(parent_id__in=ids).values_list("id", flat=True)
    return sorted(set(ids) | set(children))


def territory_commune_ids(territory_ids) -> QuerySet:
    """A subquery of the communes of some territories (no join, no duplicates)."""
    return Territory.communes.through.objects.filter(territory_id__in=territory_ids).values("commune_id")


def _editable_ids(principal) -> QuerySet | None:
    if not getattr(principal, "is_authenticated", False):
        return None
    return editable_organizations(principal).values("id")


def offers_visible_to(principal) -> QuerySet[Offer]:
    """Every offer but drafts, plus the drafts of organizations the principal edits."""
    qs = Offer.objects.all()
    if is_staff(principal):
        return qs
    editable = _editable_ids(principal)
    if editable is None:
        return qs.exclude(status=Status.DRAFT)
    return qs.filter(~Q(status=Status.DRAFT) | Q(organization_id__in=editable))


def needs_visible_to(principal) -> QuerySet[Need]:
    qs = Need.objects.all()
    if is_staff(principal):
        return qs
    editable = _editable_ids(principal)
    if editable is None:
        return qs.exclude(status=Status.DRAFT)
    return qs.filter(~Q(status=Status.DRAFT) | Q(organization_id__in=editable))


def matches_visible_to(principal) -> QuerySet[Match]:
    """Matches concern two organizations: their members, their territory's team, staff."""
    qs = Match.objects.all()
    if not getattr(principal, "is_authenticated", False):
        return qs.none()
    if is_staff(principal):
        return qs
    condition = Q(pk__in=[])
    org_ids = sorted(member_organization_ids(principal))
    if org_ids:
        condition |= Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids)
    territory_ids = viewer_territory_ids(principal)
    if territory_ids:
        in_territories = Organization.objects.filter(commune__territories__in=territory_ids).values("id")
        condition |= Q(offer__organization_id__in=in_territories) | Q(need__organization_id__in=in_territories)
    return qs.filter(condition)


# A commune's outline is a polygon: never load it (nor long texts) just to name a commune.
HEAVY_ORGANIZATION_FIELDS = ("organization__commune__outline", "organization__description")


def offer_list(*, principal) -> QuerySet[Offer]:
    """The offers list as the API and pages show it: one query, no per-row lookups."""
    qs = (
        offers_visible_to(principal)
        .select_related("organization", "organization__commune", "category", "category__parent")
        .defer(*HEAVY_ORGANIZATION_FIELDS)
    )
    return annotate_public_point(qs, principal)


def need_list(*, principal) -> QuerySet[Need]:
    qs = needs_visible_to(principal).select_related("organization", "organization__commune")
    qs = qs.defer(*HEAVY_ORGANIZATION_FIELDS)
    return annotate_public_point(qs, principal).prefetch_related("categories")


def match_list(*, principal) -> QuerySet[Match]:
    return matches_visible_to(principal).select_related(
        "offer", "offer__organization", "offer__category", "need", "need__organization"
    )
