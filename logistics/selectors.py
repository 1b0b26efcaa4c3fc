"""Reads shared by the logistics pages, the API and the jobs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from actors import permissions as perms
from logistics.models import Round, Vehicle
from miam.pooled_rounds import WeeklyRound


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


def territory_vehicles(territory_id: int) -> QuerySet[Vehicle]:
    """Active vehicles that serve a territory's rounds: owned in it or based at one of its hubs."""
    return (
        Vehicle.objects.filter(is_active=True)
        .filter(Q(organization__commune__territories=territory_id) | Q(hub__commune__territories=territory_id))
        .distinct()
    )


def weekly_rounds(territory_id: int) -> list[WeeklyRound]:
    """The rounds a territory can run each week: one per vehicle and weekday it is available
    (what matching calls the partner mode, through ``miam.pooled_rounds``)."""
    rows = set()
    for days, capacity, refrigerated in territory_vehicles(territory_id).values_list(
        "days_available", "capacity_kg", "is_refrigerated"
    ):
        for day in days or []:
            if isinstance(day, int) and 0 <= day <= 6:
                rows.add(WeeklyRound(day, float(capacity), bool(refrigerated)))
    return sorted(rows)
