"""Reads shared by the logistics pages, the API and the jobs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from actors import permissions as perms
from logistics.models import GleaningDay, GleaningHarvest, Hub, Round, Stop, Vehicle
from miam.pooled_rounds import RoundLoad, WeeklyRound


def coordinated_territories(principal):
    """Territories whose rounds the principal coordinates: those of the communes of its
    logistics organizations, as a query (officers are ``actors.permissions``' business)."""
    from actors.models import Organization, Territory

    return Territory.objects.filter(
        communes__organizations__pk__in=perms.member_organization_ids(principal),
        communes__organizations__kind=Organization.Kind.LOGISTICS,
    ).values("pk")


def coordinated_territory_ids(principal) -> set[int]:
    if not perms.member_organization_ids(principal):
        return set()
    return set(coordinated_territories(principal).values_list("pk", flat=True))


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
        | Q(territory_id__in=coordinated_territories(principal))
        | Q(vehicle__organization_id__in=org_ids)
        | Q(stops__organization_id__in=org_ids)
    )
    if user is not None:
        visible |= Q(vehicle__drivers=user)
    return qs.filter(visible).distinct()


def sees_contacts(principal, round_: Round) -> bool:
    """Phones and addresses on a round's sheet: its driver pool, its vehicle's organization,
    its territory's officers and logistics coordinators (a driver needs them to find each stop)."""
    if perms.is_staff(principal) or perms.can_manage_territory(principal, round_.territory):
        return True
    if round_.territory_id in coordinated_territory_ids(principal):  # its logistics coordinators
        return True
    user = perms.as_user(principal)
    if user is None:
        return False
    return (
        round_.vehicle.organization_id in perms.member_organization_ids(principal)
        or round_.vehicle.drivers.filter(pk=user.pk).exists()
    )


def gleaning_day_for_papers(pk) -> GleaningDay | None:
    """A gleaning day by id, whatever its status, with what its papers show and what
    ``sees_gleaning_papers`` reads; None when there is none (or ``pk`` is no id)."""
    from miam.inputs import as_id

    pk = as_id(pk)
    if pk is None:
        return None
    return (
        GleaningDay.objects.select_related("commune", "offer__organization__commune", "offer__category")
        .filter(pk=pk)
        .first()
    )


def sees_gleaning_papers(principal, day: GleaningDay) -> bool:
    """A gleaning day's sheet and its papers (the gleaning agreement, the insurance): the
    organiser (the farm's people) and the officers of the farm's or the place's territory."""
    if not getattr(principal, "is_authenticated", False):
        return False
    if perms.can_edit_organization(principal, day.offer.organization):
        return True
    territory_ids = perms.officer_territory_ids(principal)
    return bool(territory_ids) and day.commune.territories.filter(id__in=territory_ids).exists()


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
    rows = []
    for days, capacity, refrigerated in territory_vehicles(territory_id).values_list(
        "days_available", "capacity_kg", "is_refrigerated"
    ):
        for day in set(days or []):
            if isinstance(day, int) and 0 <= day <= 6:
                rows.append(WeeklyRound(day, float(capacity), bool(refrigerated)))
    return sorted(rows)


#: A round's vehicle kind whose km take the car's CO₂e factor (any other: the van's).
CAR = Vehicle.Kind.CAR


def rounds_carrying(*, match_ids) -> tuple[dict[int, int], dict[int, RoundLoad]]:
    """Which round carried each match (the latest one, not cancelled, that picked it up), and
    each of those rounds with every delivered lot it carried (three queries). Registered in
    ``miam.pooled_rounds`` as the carriage provider ``offers.distances`` reads."""
    live = Stop.objects.filter(kind=Stop.Kind.PICKUP, match__isnull=False).exclude(
        round__status=Round.RoundStatus.CANCELLED
    )
    match_ids = set(match_ids)
    round_ids = set(live.filter(match_id__in=match_ids).values_list("round_id", flat=True))
    if not round_ids:
        return {}, {}
    delivered = set(
        live.filter(round_id__in=round_ids, match__delivery__isnull=False).values_list("match_id", flat=True)
    )
    rows = live.filter(match_id__in=match_ids | delivered).values_list(
        "match_id", "round_id", "round__day", "quantity_kg", "round__distance_km", "round__vehicle__kind"
    )
    latest: dict[int, tuple] = {}
    for row in rows:
        match_id, round_id, day = row[0], row[1], row[2]
        if match_id not in latest or (day, round_id) > (latest[match_id][2], latest[match_id][1]):
            latest[match_id] = row
    loads: dict[int, RoundLoad] = {}
    for match_id, round_id, _day, kg, km, kind in latest.values():
        if round_id not in round_ids or match_id not in (delivered | match_ids):
            continue
        load = loads.setdefault(round_id, RoundLoad(float(km), kind, {}))
        load.lots_kg[match_id] = float(kg or 0)
    carried = {m: latest[m][1] for m in match_ids if m in latest}
    return carried, loads


def harvests_in(*, territory, start, end) -> list[dict]:
    """The gleaning harvests of a territory's structures from ``start`` to ``end`` (the day's
    date), as plain rows: day, structure, farm, product category, kilograms, and the delivery it
    was recorded as (None: the structure had no need it covered)."""
    return list(
        GleaningHarvest.objects.filter(structure__commune__territories=territory, day__date__range=(start, end))
        .order_by("day__date", "id")
        .values(
            "day__date",
            "structure_id",
            "day__offer__organization_id",
            "day__offer__category_id",
            "quantity_kg",
            "delivery_id",
        )
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


def gleaning_slots(day: GleaningDay) -> list:
    """The day's slots, each with the volunteers signed up (``taken``) and its label."""
    from django.utils.translation import gettext as _

    slots = list(day.slots.all())
    for slot in slots:
        slot.taken = sum(s.volunteers for s in slot.signups.all())
        slot.label = _("%(start)s–%(end)s (%(taken)s / %(capacity)s inscrit·es)") % {
            "start": f"{slot.starts_at:%H:%M}",
            "end": f"{slot.ends_at:%H:%M}",
            "taken": slot.taken,
            "capacity": slot.volunteer_capacity,
        }
    return slots


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


#: The matches a round may carry: confirmed by both sides, or scheduled.
CARRIED = ("confirmed", "scheduled")


def round_candidates(*, territory, day, editing: Round | None = None, limit: int = 200):
    """The matches a round by hand may take on ``day``: confirmed or scheduled for that day,
    farm and structure in the territory, not gleaned on the spot, on no other live round."""
    from offers.models import Logistics, Match

    taken = Stop.objects.filter(round__day=day, match__isnull=False).exclude(round__status=Round.RoundStatus.CANCELLED)
    if editing is not None:
        taken = taken.exclude(round=editing)
    return (
        Match.objects.filter(
            status__in=CARRIED,
            need__organization__commune__territories=territory,
            offer__organization__commune__territories=territory,
        )
        .filter(Q(scheduled_for=day) | Q(scheduled_for__isnull=True, proposed_for=day))
        .exclude(mode=Logistics.GLEANING)
        .exclude(pk__in=taken.values("match_id"))
        .select_related(
            "offer", "offer__organization__commune", "offer__category", "need", "need__organization__commune"
        )
        .distinct()
        .order_by("id")[:limit]
    )


def opening_hours_of(organization_ids, weekday: int) -> dict[int, list]:
    """Each organization's opening hours that weekday, as entered (the round pages show them)."""
    from logistics.models import OpeningHours

    out: dict[int, list] = {}
    for row in OpeningHours.objects.filter(organization_id__in=organization_ids, weekday=weekday).order_by("opens_at"):
        out.setdefault(row.organization_id, []).append((row.opens_at, row.closes_at))
    return out


def organizations_with_hours(principal):
    """The organizations one edits (a round stops at their farms and structures), with their
    opening hours and hubs, for the « Horaires d'accueil » page."""
    from django.db.models import Prefetch

    from logistics.models import OpeningHours

    return (
        perms.editable_organizations(principal)
        .filter(is_active=True)
        .select_related("commune", "structure_profile")
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")),
            Prefetch("hubs", queryset=Hub.objects.filter(is_active=True).order_by("name")),
        )
        .order_by("name", "id")
    )
