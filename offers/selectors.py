"""Reads on offers, needs and matches shared by pages, the API and jobs.

Visibility in one place: drafts are seen only by those who may edit their organization;
exact coordinates only by those who may see an organization's private fields (others
get the commune's town-hall point: ``actors.selectors.annotate_public_point``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from actors.models import Organization
from actors.permissions import (
    editable_organizations,
    is_staff,
    member_organization_ids,
    viewer_territory_ids,
)
from actors.selectors import annotate_public_point
from offers.models import OPEN_STATUSES, Match, Need, Offer, Status


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


def organization_open_listings(*, organization, user=None, limit: int = 50) -> dict:
    """The open offers and needs an organization's page lists (a section of ``actors``' page)."""
    return {
        "offers": list(organization.offers.filter(status__in=OPEN_STATUSES).select_related("category")[:limit]),
        "needs": list(organization.needs.filter(status__in=OPEN_STATUSES)[:limit]),
    }
