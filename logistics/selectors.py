"""Reads shared by the logistics pages, the API and the jobs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from actors import permissions as perms
from logistics.models import GleaningDay, Hub, Round, Stop, Vehicle


def rounds_visible(principal) -> QuerySet[Round]:
    """Rounds a principal may see: its territories' (any role), its organizations' vehicles',
    the vehicles it drives, and the rounds that stop at its organizations (their time slot)."""
    qs = Round.objects.select_related("vehicle", "vehicle__organization", "driver", "territory").order_by(
        "day", "starts_at", "id"
    )
    if perms.is_staff(principal):
        return qs
    user = perms.as_user(principal)
    org_ids = perms.member_organization_ids(principal)
    visible = (
        Q(territory_id__in=perms.viewer_territory_ids(principal))
        | Q(vehicle__organization_id__in=org_ids)
        | Q(stops__organization_id__in=org_ids)
    )
    if user is not None:
        visible |= Q(vehicle__drivers=user)
    return qs.filter(visible).distinct()


def sees_contacts(principal, round_: Round) -> bool:
    """Phones and addresses on a round's sheet: its driver pool, its vehicle's organization,
    its territory's officers (a driver needs them to find each stop)."""
    if perms.is_staff(principal) or perms.can_manage_territory(principal, round_.territory):
        return True
    user = perms.as_user(principal)
    if user is None:
        return False
    return (
        round_.vehicle.organization_id in perms.member_organization_ids(principal)
        or round_.vehicle.drivers.filter(pk=user.pk).exists()
    )


def vehicles_visible(principal) -> QuerySet[Vehicle]:
    """Vehicles of the organizations one acts for (their members, their territories' officers)."""
    qs = Vehicle.objects.select_related("organization", "hub").prefetch_related("drivers").order_by("name", "id")
    if perms.is_staff(principal):
        return qs
    return qs.filter(organization__in=perms.editable_organizations(principal)).distinct()


def hubs_public() -> QuerySet[Hub]:
    """Hubs and cold rooms are public places: the active ones, for anyone."""
    return Hub.objects.filter(is_active=True).select_related("commune", "organization").order_by("name", "id")


def gleanings_visible(principal) -> QuerySet[GleaningDay]:
    """Announced and confirmed days for anyone; drafts for the farm's people."""
    qs = GleaningDay.objects.select_related("commune", "offer__organization").prefetch_related("slots__signups")
    visible = Q(status__in=(GleaningDay.GleaningStatus.POSTED, GleaningDay.GleaningStatus.CONFIRMED))
    if getattr(principal, "is_authenticated", False):
        visible |= Q(offer__organization__in=perms.editable_organizations(principal))
    return qs.filter(visible).order_by("date", "starts_at", "id")


def my_round_slots(*, organization_ids, limit: int = 10, **_ignored) -> dict:
    """The ``my_space`` section (``miam.sections``): when the coming rounds stop at one's farms
    and structures, for a pick-up or a delivery (their time slot)."""
    from django.utils import timezone

    if not organization_ids:
        return {}
    stops = list(
        Stop.objects.filter(
            organization_id__in=organization_ids,
            round__day__gte=timezone.localdate(),
            kind__in=(Stop.Kind.PICKUP, Stop.Kind.DELIVERY),
        )
        .exclude(round__status=Round.RoundStatus.CANCELLED)
        .select_related("round", "organization", "match__offer")
        .order_by("round__day", "arrives_at", "id")[:limit]
    )
    return {"round_slots": stops} if stops else {}
