"""Rounds (tournées): the confirmed matches of a day and a territory (or a hub) grouped into
multi-stop rounds by the planner (``logistics.routing``, VROOM), in a Celery job with progress;
a round made by hand from chosen matches; drivers claim rounds.

Work reaches the queue through ``miam.dispatch`` by task name: no tasks module is imported.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Membership, Organization, Territory
from logistics import routing
from logistics.distances import CrowFlightRoads
from logistics.events import round_event
from logistics.models import Hub, OpeningHours, Round, RoundPlan, Stop, Vehicle
from miam import pooled_rounds
from miam.dispatch import dispatch
from miam.errors import DomainError, NotAllowed, refused
from offers.models import Logistics, Match
from offers.services.matches import match_kg
from products.models import Storage

logger = logging.getLogger(__name__)

PS = RoundPlan.PlanStatus
RS = Round.RoundStatus
PLAN_TASK = "logistics.tasks.rounds_plan"
#: Matches a round may carry: confirmed, or scheduled for the day; not gleaned on the spot.
CARRIED_STATUSES = (Match.MatchStatus.CONFIRMED, Match.MatchStatus.SCHEDULED)
DAY_START = dt.time(8, 0)
DAY_END = dt.time(18, 0)
_HOURS = re.compile(r"(\d{1,2})\s*h\s*(\d{2})?\s*(?:-|–|—|à|a)\s*(\d{1,2})\s*h\s*(\d{2})?")


# --- What the planner is told -----------------------------------------------------------------


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60


def _clock(seconds: int) -> dt.time:
    seconds = max(0, min(int(seconds), 24 * 3600 - 60))
    return dt.time(seconds // 3600, (seconds % 3600) // 60)


def hours_from_text(text: str) -> list[tuple[dt.time, dt.time]]:
    """« mardi et jeudi, 14 h – 17 h » → [(14:00, 17:00)]: the profile's distribution hours,
    when nothing more precise was entered."""
    out = []
    for h1, m1, h2, m2 in _HOURS.findall(text or ""):
        try:
            start, end = dt.time(int(h1), int(m1 or 0)), dt.time(int(h2), int(m2 or 0))
        except ValueError:
            continue
        if end > start:
            out.append((start, end))
    return out


def windows_for(organization_ids, weekday: int) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Each organization's hours that weekday: its opening hours (pick-up at a farm, reception
    at a structure), else the structure profile's distribution hours, else the working day."""
    out: dict[int, list] = defaultdict(list)
    for org_id, start, end in OpeningHours.objects.filter(
        organization_id__in=organization_ids, weekday=weekday
    ).values_list("organization_id", "opens_at", "closes_at"):
        out[org_id].append((start, end))
    missing = [o for o in organization_ids if o not in out]
    for org_id, text in Organization.objects.filter(pk__in=missing, structure_profile__isnull=False).values_list(
        "pk", "structure_profile__distribution_hours"
    ):
        found = hours_from_text(text)
        if found:
            out[org_id] = found
    for org_id in organization_ids:
        out.setdefault(org_id, [(DAY_START, DAY_END)])
    return dict(out)


def _place(organization: Organization) -> routing.Place:
    return routing.Place(f"org:{organization.pk}", organization.latitude, organization.longitude)


def _depot(vehicle: Vehicle) -> routing.Place:
    if vehicle.hub_id:
        return routing.Place(f"hub:{vehicle.hub_id}", vehicle.hub.latitude, vehicle.hub.longitude)
    return _place(vehicle.organization)


def _truck(vehicle: Vehicle) -> routing.Truck:
    return routing.Truck(
        id=vehicle.pk,
        capacity_kg=float(vehicle.capacity_kg),
        refrigerated=vehicle.is_refrigerated,
        depot=_depot(vehicle),
        window=routing.Window(_seconds(vehicle.available_from), _seconds(vehicle.available_until)),
        max_duration_s=vehicle.max_duration_min * 60,
    )


def _lot(match: Match, kg: Decimal, windows: dict) -> routing.Lot:
    farm, structure = match.offer.organization, match.need.organization

    def tw(org_id):
        return tuple(routing.Window(_seconds(a), _seconds(b)) for a, b in windows[org_id])

    return routing.Lot(
        id=match.pk,
        kg=float(kg),
        cold=match.offer.storage in (Storage.CHILLED, Storage.FROZEN),
        out_of_fridge_s=out_of_fridge_s(match.offer.storage),
        pickup=_place(farm),
        delivery=_place(structure),
        pickup_windows=tw(farm.pk),
        delivery_windows=tw(structure.pk),
    )


def out_of_fridge_s(storage: str) -> int:
    """How long a lot of this storage class may ride without refrigeration: the figure matching
    uses too (``miam.pooled_rounds.out_of_fridge_s``)."""
    return pooled_rounds.out_of_fridge_s(storage)


def routing_params() -> routing.RoutingParams:
    return routing.RoutingParams(service_s=int(settings.LOGISTICS_STOP_MINUTES) * 60)


def distance_backend() -> CrowFlightRoads:
    return CrowFlightRoads(detour_factor=float(settings.ROAD_DETOUR_FACTOR), speed_kmh=pooled_rounds.speed_kmh())


def matches_of_day(*, territory: Territory, day: dt.date):
    """Confirmed or scheduled matches of ``day`` whose structure is in the territory, not carried
    by a round that already has a driver or that was made by hand, not gleaned on the spot."""
    # Kept rounds: those a driver took, and those made by hand (planning again leaves them).
    kept = Q(round__status__in=(RS.CLAIMED, RS.DONE)) | Q(round__plan__isnull=True, round__status=RS.PLANNED)
    claimed = Stop.objects.filter(kept, round__day=day, match__isnull=False).values("match_id")
    return (
        Match.objects.filter(status__in=CARRIED_STATUSES, need__organization__commune__territories=territory)
        .filter(Q(scheduled_for=day) | Q(scheduled_for__isnull=True, proposed_for=day))
        .exclude(mode=Logistics.GLEANING)
        .exclude(pk__in=claimed)
        .select_related("offer", "offer__organization", "offer__category", "need", "need__organization")
        .order_by("id")
        .distinct()
    )


def vehicles_for(*, territory: Territory, day: dt.date, hub: Hub | None = None):
    qs = Vehicle.objects.filter(is_active=True).select_related("organization", "hub")
    if hub is not None:
        qs = qs.filter(hub=hub)
    else:
        qs = qs.filter(Q(organization__commune__territories=territory) | Q(hub__commune__territories=territory))
    busy = Round.objects.filter(day=day, status__in=(RS.CLAIMED, RS.DONE)).values("vehicle_id")
    return [v for v in qs.exclude(pk__in=busy).distinct().order_by("id") if day.weekday() in (v.days_available or [])]


def _in_territory(territory: Territory, organization_ids) -> set[int]:
    return set(
        Organization.objects.filter(pk__in=organization_ids, commune__territories=territory).values_list(
            "pk", flat=True
        )
    )


# --- Writing rounds ---------------------------------------------------------------------------


LEG = Round.Leg


def _at_hub(leg: str, kind: str) -> bool:
    """Is this stop of a cross-docking leg the hub (the drop of a round to it, the pick-up of
    a round from it)?"""
    return (leg == LEG.TO_HUB and kind == "delivery") or (leg == LEG.FROM_HUB and kind == "pickup")


def _write_round(
    planned: routing.PlannedRound,
    *,
    vehicle: Vehicle,
    territory,
    day,
    plan=None,
    hub=None,
    leg=LEG.DIRECT,
    existing: Round | None = None,
) -> Round:
    matches = {}
    lot_ids = [s.lot_id for s in planned.stops if s.lot_id]
    for match in Match.objects.filter(pk__in=lot_ids).select_related("offer", "offer__organization", "need"):
        matches[match.pk] = match
    lots_kg = {}
    for stop in planned.stops:
        if stop.lot_id and stop.kind == "pickup":
            lots_kg[stop.lot_id] = stop
    windows = windows_for(
        {m.offer.organization_id for m in matches.values()} | {m.need.organization_id for m in matches.values()},
        day.weekday(),
    )
    values = {
        "plan": plan,
        "territory": territory,
        "hub": hub or vehicle.hub,
        "day": day,
        "vehicle": vehicle,
        "leg": leg,
        "starts_at": _clock(planned.stops[0].arrival_s),
        "ends_at": _clock(planned.stops[-1].arrival_s),
        "distance_km": Decimal(str(round(planned.km, 1))),
        "duration_min": round(planned.duration_s / 60),
        "max_load_kg": Decimal(str(round(planned.max_load_kg, 1))),
    }
    if existing is None:
        round_ = Round.objects.create(**values)
    else:  # a round changed by hand keeps its id (its page, its links)
        round_ = existing
        for name, value in values.items():
            setattr(round_, name, value)
        round_.save()
    stops = []
    previous_load = 0.0
    for position, stop in enumerate(planned.stops):
        match = matches.get(stop.lot_id)
        organization, stop_hub = None, vehicle.hub
        if match is not None and _at_hub(leg, stop.kind):
            stop_hub = hub
        elif match is not None:
            organization = match.offer.organization if stop.kind == "pickup" else match.need.organization
        window = _window_at(windows.get(organization.pk) if organization else None, stop.arrival_s)
        stops.append(
            Stop(
                round=round_,
                position=position,
                kind=stop.kind,
                organization=organization,
                hub=stop_hub if organization is None else None,
                match=match,
                latitude=stop.place.lat,
                longitude=stop.place.lon,
                arrives_at=_clock(stop.arrival_s),
                window_start=window[0] if window else None,
                window_end=window[1] if window else None,
                quantity_kg=Decimal(str(round(abs(stop.load_kg - previous_load), 1))),
                storage=match.offer.storage if match else Storage.AMBIENT,
                load_kg=Decimal(str(round(stop.load_kg, 1))),
                distance_km=Decimal(str(round(stop.km_from_start, 1))),
            )
        )
        previous_load = stop.load_kg
    Stop.objects.bulk_create(stops)
    if leg != LEG.TO_HUB:  # the round that brings it to the structure says so
        for match in matches.values():
            _say_carried_by_round(match, day)
    round_event(
        round_, "planned" if existing is None else "updated", organization_ids=[s.organization_id for s in stops]
    )
    return round_


#: How a match reaches its structure, in its reasons: a round replaces the mode it had.
CARRIER_REASONS = ("delivery_by_farm", "partner_carries", "pickup_by_structure", "pooled_round")


def _say_carried_by_round(match: Match, day: dt.date) -> None:
    """The match is now « livré par la tournée du mardi » (``offers.reasons``), by a partner."""
    kept = [r for r in (match.reasons or []) if r.get("code") not in CARRIER_REASONS]
    match.reasons = [*kept, {"code": "pooled_round", "params": {"weekday": day.weekday()}}]
    match.mode = Logistics.PARTNER
    match.save(update_fields=["reasons", "mode", "updated_at"])


def _forget_rounds(match_ids) -> None:
    """Rounds planned again: their matches no longer say a round carries them until one does."""
    for match in Match.objects.filter(pk__in=match_ids):
        kept = [r for r in (match.reasons or []) if r.get("code") != "pooled_round"]
        if kept != match.reasons:
            match.reasons = kept
            match.save(update_fields=["reasons", "updated_at"])


def _window_at(windows, arrival_s: int):
    if not windows:
        return None
    for start, end in windows:
        if _seconds(start) <= arrival_s <= _seconds(end):
            return start, end
    return windows[0]


# --- The planning job ---------------------------------------------------------------------------


@transaction.atomic
def round_plan_request(
    *, by, territory: Territory, day: dt.date, hub: Hub | None = None, cross_dock: bool | None = False
) -> RoundPlan:
    """An officer asks for the rounds of a day: a job plans them, its progress on the plan.
    With ``cross_dock`` (a hub is needed), the pick-ups go to the hub and a second round takes
    them from the hub to the structures."""
    permissions.require_manage_territory(by, territory)
    if hub is not None and not hub.commune.territories.filter(pk=territory.pk).exists():
        raise refused("hub", _("Ce hub n'est pas sur ce territoire."), "hub_outside_territory")
    if cross_dock and hub is None:
        raise refused("hub", _("Le groupage passe par un hub : choisissez-le."), "hub_required")
    plan = RoundPlan.objects.create(
        territory=territory, day=day, hub=hub, cross_dock=bool(cross_dock), requested_by=permissions.as_user(by)
    )
    plan.task_id = dispatch(PLAN_TASK, kwargs={"plan_id": plan.pk})
    plan.save(update_fields=["task_id"])
    return plan


def _stage(plan: RoundPlan, stage: str, progress: int) -> None:
    RoundPlan.objects.filter(pk=plan.pk).update(stage=stage, progress=progress)
    plan.stage, plan.progress = stage, progress


def round_plan_run(*, plan_id: int) -> RoundPlan:
    """Run one planning job (idempotent: a finished plan is left as it is; running it again
    replaces the rounds it wrote that no driver has claimed yet)."""
    with transaction.atomic():
        plan = RoundPlan.objects.select_for_update(of=("self",)).select_related("territory", "hub").get(pk=plan_id)
        if plan.status == PS.SUCCESS:
            return plan
        plan.status, plan.started_at, plan.error = PS.RUNNING, timezone.now(), ""
        plan.save(update_fields=["status", "started_at", "error"])
    try:
        return _plan(plan)
    except Exception as error:
        RoundPlan.objects.filter(pk=plan.pk).update(
            status=PS.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise


def _plan(plan: RoundPlan) -> RoundPlan:
    territory, day = plan.territory, plan.day
    _stage(plan, "read", 10)
    matches = list(matches_of_day(territory=territory, day=day))
    vehicles = vehicles_for(territory=territory, day=day, hub=plan.hub)
    org_ids = {m.offer.organization_id for m in matches} | {m.need.organization_id for m in matches}
    inside = _in_territory(territory, org_ids)
    windows = windows_for(org_ids, day.weekday())
    lots, outside, no_weight = [], [], []
    for match in matches:
        if match.offer.organization_id not in inside or match.need.organization_id not in inside:
            outside.append(match.pk)
            continue
        kg = match.quantity_kg or match_kg(match)
        if not kg:
            no_weight.append(match.pk)
            continue
        lots.append(_lot(match, kg, windows))
    _stage(plan, "solve", 30)
    trucks = [_truck(v) for v in vehicles]
    if plan.cross_dock and plan.hub is not None:
        result, second = _cross_dock(lots, trucks, hub=plan.hub, day=day)
    else:
        result, second = routing.plan(lots, trucks, distances=distance_backend(), params=routing_params()), None
    _stage(plan, "write", 80)
    by_id = {v.pk: v for v in vehicles}
    with transaction.atomic():
        # Rounds this kind of plan wrote for the day that no driver took yet are planned again;
        # claimed ones stay.
        replaced = Round.objects.filter(
            territory=territory, day=day, status=RS.PLANNED, driver__isnull=True, plan__isnull=False
        ).filter(Q(plan__hub=plan.hub) if plan.hub else Q(plan__hub__isnull=True))
        _forget_rounds(Stop.objects.filter(round__in=replaced, match__isnull=False).values_list("match_id", flat=True))
        for old_round in replaced.select_related("vehicle"):
            round_event(old_round, "deleted")
        replaced.delete()
        first_leg = LEG.TO_HUB if second is not None else LEG.DIRECT
        rounds = [
            _write_round(
                r, vehicle=by_id[r.truck_id], territory=territory, day=day, plan=plan, hub=plan.hub, leg=first_leg
            )
            for r in result.rounds
        ]
        if second is not None:
            rounds += _write_second_leg(second, rounds, by_id=by_id, territory=territory, day=day, plan=plan)
        plan.status, plan.progress, plan.stage, plan.finished_at = PS.SUCCESS, 100, "done", timezone.now()
        plan.counts = {
            "matches": len(matches),
            "lots": len(lots),
            "vehicles": len(vehicles),
            "rounds": len(rounds),
            "unassigned": sorted(set(result.unassigned) | set(second.unassigned if second else ())),
            "cross_dock": second is not None,
            "outside_territory": outside,
            "no_weight": no_weight,
            "km": round(result.km + (second.km if second else 0), 1),
            "separate_trips_km": round(_separate_trips_km(lots) if second else result.separate_trips_km, 1),
            "solve_s": round(result.solve_s + (second.solve_s if second else 0), 3),
        }
        plan.save(update_fields=["status", "progress", "stage", "finished_at", "counts"])
    return plan


# --- Cross-docking: to the hub, then from the hub -------------------------------------------


def _hub_place(hub: Hub) -> routing.Place:
    return routing.Place(f"hub:{hub.pk}", hub.latitude, hub.longitude)


def _cross_dock(lots: list[routing.Lot], trucks: list[routing.Truck], *, hub: Hub, day: dt.date):
    """The solver twice: the pick-ups to the hub (within its hours), then the lots that reached
    it from the hub to their structures, each no earlier than it was unloaded there. A vehicle
    that drove the first leg starts the second when it is back."""
    where = _hub_place(hub)
    hub_hours = (routing.Window(_seconds(hub.opens_at), _seconds(hub.closes_at)),)
    distances, params = distance_backend(), routing_params()
    inbound = [
        routing.Lot(
            id=lot.id,
            kg=lot.kg,
            cold=lot.cold,
            pickup=lot.pickup,
            delivery=where,
            pickup_windows=lot.pickup_windows,
            delivery_windows=hub_hours,
            out_of_fridge_s=lot.out_of_fridge_s,
        )
        for lot in lots
    ]
    first = routing.plan(inbound, trucks, distances=distances, params=params)
    ready, back = {}, {}
    for planned in first.rounds:
        back[planned.truck_id] = planned.stops[-1].arrival_s
        for stop in planned.stops:
            if stop.kind == "delivery":
                ready[stop.lot_id] = stop.arrival_s + params.service_s
    outbound = [
        routing.Lot(
            id=lot.id,
            kg=lot.kg,
            cold=lot.cold,
            pickup=where,
            delivery=lot.delivery,
            pickup_windows=(routing.Window(ready[lot.id], max(ready[lot.id], hub_hours[0].end_s)),),
            delivery_windows=lot.delivery_windows,
            out_of_fridge_s=lot.out_of_fridge_s,
        )
        for lot in lots
        if lot.id in ready
    ]
    later = [
        routing.Truck(
            id=t.id,
            capacity_kg=t.capacity_kg,
            refrigerated=t.refrigerated,
            depot=t.depot,
            window=routing.Window(max(t.window.start_s, back.get(t.id, 0)), t.window.end_s),
            max_duration_s=t.max_duration_s,
        )
        for t in trucks
        if max(t.window.start_s, back.get(t.id, 0)) < t.window.end_s
    ]
    second = routing.plan(outbound, later, distances=distances, params=params)
    return first, second


def _separate_trips_km(lots: list[routing.Lot]) -> float:
    """One return trip per lot, farm → structure → farm (what pooling is measured against)."""
    points = [(p.lat, p.lon) for lot in lots for p in (lot.pickup, lot.delivery)]
    km, _seconds = distance_backend().matrices(points)
    return float(sum(2 * km[2 * i, 2 * i + 1] for i in range(len(lots))))


def _write_second_leg(second, first_rounds: list[Round], *, by_id, territory, day, plan) -> list[Round]:
    """The rounds from the hub, each linked to the rounds that brought its lots to the hub."""
    brought_by = {}
    for round_ in first_rounds:
        for match_id in round_.stops.filter(kind=Stop.Kind.DELIVERY).values_list("match_id", flat=True):
            brought_by[match_id] = round_
    made = []
    for planned in second.rounds:
        round_ = _write_round(
            planned,
            vehicle=by_id[planned.truck_id],
            territory=territory,
            day=day,
            plan=plan,
            hub=plan.hub,
            leg=LEG.FROM_HUB,
        )
        round_.after.set({brought_by[s.lot_id] for s in planned.stops if s.lot_id in brought_by})
        made.append(round_)
    return made


# --- A round by hand ----------------------------------------------------------------------------


def can_run_rounds(principal, territory: Territory) -> bool:
    """Who organises a territory's rounds: its officers, and the people of a logistics
    organization of the territory (its logistics coordinators)."""
    from logistics.selectors import coordinated_territory_ids

    return permissions.can_manage_territory(principal, territory) or territory.pk in coordinated_territory_ids(
        principal
    )


def round_territories(principal):
    """The territories whose rounds one may organise (the builder's choice)."""
    from logistics.selectors import coordinated_territory_ids

    ids = permissions.officer_territory_ids(principal) | coordinated_territory_ids(principal)
    return Territory.objects.filter(pk__in=ids).order_by("name")


def require_run_rounds(by, territory: Territory) -> None:
    permissions.require_write(by)
    if not can_run_rounds(by, territory):
        raise NotAllowed(
            _(
                "Seul·es les chargé·es de mission et les coordinateur·rices logistiques de ce territoire "
                "organisent ses tournées."
            )
        )


@dataclass(frozen=True)
class ColdCheck:
    """The out-of-fridge check of one chilled or frozen lot of a round."""

    match_id: int
    storage: str
    refrigerated: bool  # the vehicle keeps it cold: no limit
    ride_min: int | None  # from the end of its loading to the start of its delivery
    allowed_min: int

    @property
    def ok(self) -> bool:
        return self.refrigerated or (self.allowed_min > 0 and (self.ride_min or 0) <= self.allowed_min)


@dataclass
class RoundDraft:
    """A round by hand before it is saved: the planner's order, its km, its load against the
    vehicle's payload, the out-of-fridge check of its cold lots, each stop's opening hours."""

    territory: Territory
    day: dt.date
    vehicle: Vehicle
    matches: list
    planned: routing.PlannedRound
    separate_trips_km: float
    cold: list[ColdCheck] = field(default_factory=list)
    windows: dict = field(default_factory=dict)

    @property
    def km(self) -> float:
        return round(self.planned.km, 1)

    @property
    def max_load_kg(self) -> float:
        return round(self.planned.max_load_kg, 1)

    @property
    def payload_kg(self) -> float:
        return float(self.vehicle.capacity_kg)

    def stops(self) -> list[dict]:
        """The ordered stops as a page shows them (organization, time, slot, kg, on board)."""
        by_id = {m.pk: m for m in self.matches}
        out, previous = [], 0.0
        for stop in self.planned.stops:
            match = by_id.get(stop.lot_id)
            organization = None
            if match is not None:
                organization = match.offer.organization if stop.kind == "pickup" else match.need.organization
            window = _window_at(self.windows.get(organization.pk) if organization else None, stop.arrival_s)
            out.append(
                {
                    "kind": stop.kind,
                    "match": match,
                    "organization": organization,
                    "arrives_at": _clock(stop.arrival_s),
                    "window": window,
                    "quantity_kg": round(abs(stop.load_kg - previous), 1),
                    "load_kg": round(stop.load_kg, 1),
                    "km": round(stop.km_from_start, 1),
                }
            )
            previous = stop.load_kg
        return out


def _lots_on_rounds(match_ids, *, day: dt.date, but: Round | None) -> dict[int, Round]:
    """Which of these matches a live round of the day already carries (not ``but``)."""
    stops = Stop.objects.filter(match_id__in=match_ids, kind=Stop.Kind.PICKUP, round__day=day).exclude(
        round__status=RS.CANCELLED
    )
    if but is not None:
        stops = stops.exclude(round=but)
    return {s.match_id: s.round for s in stops.select_related("round", "round__vehicle")}


def _direct_ride_s(match: Match) -> float:
    farm, structure = match.offer.organization, match.need.organization
    _km, seconds = distance_backend().matrices(
        [(farm.latitude, farm.longitude), (structure.latitude, structure.longitude)]
    )
    return float(seconds[0, 1])


def _ids(matches) -> str:
    return ", ".join(str(m.pk) for m in matches)


def round_draft(
    *, by, territory: Territory, day: dt.date, vehicle: Vehicle, matches: list[Match], editing: Round | None = None
) -> RoundDraft:
    """Check a round by hand and have the planner order its stops, writing nothing. Every
    refusal is in one French ``DomainError``, on its field: a stop outside the territory, a
    match not confirmed, for another day or already on a round, a vehicle that does not serve
    the territory or not that day, a lot heavier than its payload, a cold lot in a vehicle that
    cannot keep it cold; then what the planner could not fit (load along the way, hours)."""
    require_run_rounds(by, territory)
    errors: dict[str, list[str]] = defaultdict(list)
    if not matches:
        errors["matches"].append(_("Choisissez au moins une mise en relation."))
    org_ids = {m.offer.organization_id for m in matches} | {m.need.organization_id for m in matches}
    inside = _in_territory(territory, org_ids)
    outside = sorted(
        {
            f"{org.name} ({org.commune.name})"
            for m in matches
            for org in (m.offer.organization, m.need.organization)
            if org.pk not in inside
        }
    )
    if outside:
        errors["matches"].append(
            _("Ces arrêts sont hors du territoire %(territory)s : %(names)s.")
            % {"territory": territory.name, "names": ", ".join(outside)}
        )
    wrong = [m for m in matches if m.status not in CARRIED_STATUSES]
    if wrong:
        errors["matches"].append(
            _("Seules les mises en relation confirmées peuvent être transportées (n° %(ids)s).") % {"ids": _ids(wrong)}
        )
    gleaned = [m for m in matches if m.mode == Logistics.GLEANING]
    if gleaned:
        errors["matches"].append(
            _("Ces mises en relation sont glanées sur place, sans transport (n° %(ids)s).") % {"ids": _ids(gleaned)}
        )
    other_day = [m for m in matches if (m.scheduled_for or m.proposed_for) not in (None, day)]
    if other_day:
        errors["matches"].append(
            _("Ces mises en relation sont prévues un autre jour (n° %(ids)s).") % {"ids": _ids(other_day)}
        )
    for match_id, other in sorted(_lots_on_rounds([m.pk for m in matches], day=day, but=editing).items()):
        errors["matches"].append(
            _("La mise en relation n° %(id)s est déjà dans la tournée de %(vehicle)s (%(time)s).")
            % {"id": match_id, "vehicle": other.vehicle.name, "time": f"{other.starts_at:%H:%M}"}
        )
    from logistics.selectors import territory_vehicles

    if not territory_vehicles(territory.pk).filter(pk=vehicle.pk).exists():
        errors["vehicle"].append(
            _("Ce véhicule ne sert pas le territoire %(territory)s (ni son organisation ni son hub n'y sont).")
            % {"territory": territory.name}
        )
    elif day.weekday() not in (vehicle.days_available or []):
        errors["vehicle"].append(_("Ce véhicule n'est pas disponible ce jour-là."))
    kgs = {}
    for match in matches:
        kg = match.quantity_kg or match_kg(match)
        if not kg:
            errors["matches"].append(_("Le poids de la mise en relation n° %(id)s est inconnu.") % {"id": match.pk})
            continue
        kgs[match.pk] = kg
        if kg > vehicle.capacity_kg:
            errors["matches"].append(
                _("Le lot n° %(id)s (%(kg)s kg) dépasse la charge utile du véhicule (%(payload)s kg).")
                % {"id": match.pk, "kg": _kg(kg), "payload": _kg(vehicle.capacity_kg)}
            )
        cold = match.offer.storage in (Storage.CHILLED, Storage.FROZEN)
        if cold and not vehicle.is_refrigerated:
            allowed = out_of_fridge_s(match.offer.storage)
            if allowed <= 0:
                errors["vehicle"].append(
                    _(
                        "Le lot n° %(id)s est %(storage)s : il ne voyage qu'en véhicule réfrigéré, "
                        "et ce véhicule ne l'est pas."
                    )
                    % {"id": match.pk, "storage": Storage(match.offer.storage).label}
                )
            elif _direct_ride_s(match) > allowed:
                errors["vehicle"].append(
                    _(
                        "Le lot n° %(id)s est %(storage)s : son trajet direct (%(ride)s min) dépasse les "
                        "%(allowed)s min permises hors du froid ; il faut un véhicule réfrigéré."
                    )
                    % {
                        "id": match.pk,
                        "storage": Storage(match.offer.storage).label,
                        "ride": round(_direct_ride_s(match) / 60),
                        "allowed": allowed // 60,
                    }
                )
    if errors:
        raise DomainError("invalid_round", _("Cette tournée n'est pas possible."), fields=dict(errors))
    windows = windows_for(org_ids, day.weekday())
    lots = [_lot(m, kgs[m.pk], windows) for m in matches]
    result = routing.plan(lots, [_truck(vehicle)], distances=distance_backend(), params=routing_params())
    if result.unassigned or not result.rounds:
        left = [m for m in matches if m.pk in set(result.unassigned)] or matches
        total = sum(kgs.values())
        message = _(
            "Le véhicule ne peut pas tout prendre (charge utile, froid ou horaires) : mises en relation n° %(ids)s."
        ) % {"ids": _ids(left)}
        if total > vehicle.capacity_kg:
            message += " " + _(
                "Les lots font %(total)s kg pour une charge utile de %(payload)s kg : "
                "aucun ordre des arrêts ne les fait tenir."
            ) % {"total": _kg(total), "payload": _kg(vehicle.capacity_kg)}
        if any(m.offer.storage in (Storage.CHILLED, Storage.FROZEN) for m in left) and not vehicle.is_refrigerated:
            message += " " + _("Un lot au frais resterait trop longtemps hors du froid dans ce véhicule.")
        raise refused("matches", message, "round_infeasible")
    planned = result.rounds[0]
    return RoundDraft(
        territory=territory,
        day=day,
        vehicle=vehicle,
        matches=list(matches),
        planned=planned,
        separate_trips_km=round(result.separate_trips_km, 1),
        cold=_cold_checks(planned, matches, vehicle),
        windows=windows,
    )


def _kg(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _cold_checks(planned: routing.PlannedRound, matches, vehicle: Vehicle) -> list[ColdCheck]:
    service_s = routing_params().service_s
    loaded, checks = {}, []
    by_id = {m.pk: m for m in matches}
    for stop in planned.stops:
        match = by_id.get(stop.lot_id)
        if match is None or match.offer.storage not in (Storage.CHILLED, Storage.FROZEN):
            continue
        if stop.kind == "pickup":
            loaded[match.pk] = stop.arrival_s + service_s
        elif stop.kind == "delivery":
            ride = max(0, stop.arrival_s - loaded.get(match.pk, stop.arrival_s))
            checks.append(
                ColdCheck(
                    match_id=match.pk,
                    storage=match.offer.storage,
                    refrigerated=vehicle.is_refrigerated,
                    ride_min=round(ride / 60),
                    allowed_min=out_of_fridge_s(match.offer.storage) // 60,
                )
            )
    return checks


@transaction.atomic
def round_create(*, by, territory: Territory, day: dt.date, vehicle: Vehicle, matches: list[Match]) -> Round:
    """A round of chosen matches on one vehicle, ordered by the planner (``round_draft``'s
    checks; nothing is written when one fails)."""
    draft = round_draft(by=by, territory=territory, day=day, vehicle=vehicle, matches=matches)
    return _write_round(draft.planned, vehicle=vehicle, territory=territory, day=day)


def _editable(round_: Round) -> None:
    if round_.status not in (RS.PLANNED, RS.CLAIMED) or round_.day < timezone.localdate():
        raise DomainError(
            "round_closed", _("Cette tournée est passée, effectuée ou annulée : elle ne change plus."), status_code=409
        )
    if round_.leg != LEG.DIRECT:
        raise DomainError(
            "round_cross_dock",
            _("Une tournée de groupage se recalcule avec son hub (« Calculer les tournées d'un jour »)."),
            status_code=409,
        )


def can_change_round(principal, round_: Round) -> bool:
    """May one edit or cancel this round now (before it runs)?"""
    return (
        round_.status in (RS.PLANNED, RS.CLAIMED)
        and round_.day >= timezone.localdate()
        and round_.leg == LEG.DIRECT
        and can_run_rounds(principal, round_.territory)
    )


@transaction.atomic
def round_update(*, by, round_: Round, day: dt.date, vehicle: Vehicle, matches: list[Match]) -> Round:
    """Change a round before it runs: its day, vehicle or matches, ordered again by the planner.
    It becomes a round made by hand (planning the day again keeps it); a new day or vehicle
    lets its driver go (the vehicle's pool claims it again)."""
    round_ = Round.objects.select_for_update().select_related("territory", "vehicle").get(pk=round_.pk)
    require_run_rounds(by, round_.territory)
    _editable(round_)
    draft = round_draft(by=by, territory=round_.territory, day=day, vehicle=vehicle, matches=matches, editing=round_)
    before = set(round_.stops.filter(match__isnull=False).values_list("match_id", flat=True))
    _forget_rounds(before - {m.pk for m in matches})
    moved = day != round_.day or vehicle.pk != round_.vehicle_id
    round_.stops.all().delete()
    if moved:
        round_.driver, round_.status = None, RS.PLANNED
        round_.reminded_at = round_.unassigned_alerted_at = None
    round_.plan = None
    return _write_round(draft.planned, vehicle=vehicle, territory=round_.territory, day=day, existing=round_)


@transaction.atomic
def round_cancel(*, by, round_: Round) -> Round:
    """Cancel a round before it runs: its matches are free for another round, its driver is told."""
    round_ = Round.objects.select_for_update().select_related("territory", "vehicle").get(pk=round_.pk)
    require_run_rounds(by, round_.territory)
    _editable(round_)
    _forget_rounds(round_.stops.filter(match__isnull=False).values_list("match_id", flat=True))
    driver = round_.driver
    round_.status, round_.plan = RS.CANCELLED, None
    round_.save(update_fields=["status", "plan", "updated_at"])
    round_event(round_, "cancelled")
    if driver is not None:
        from actors.services import notify

        notify(
            users=[driver],
            kind="round_cancelled",
            title=lambda: (
                _("La tournée du %(day)s (%(vehicle)s) est annulée.")
                % {"day": round_.day.strftime("%d/%m/%Y"), "vehicle": round_.vehicle.name}
            ),
            url=_round_url(round_),
        )
    return round_


# --- Drivers --------------------------------------------------------------------------------------


def can_drive(by, vehicle: Vehicle) -> bool:
    user = permissions.as_user(by)
    if user is None:
        return False
    if vehicle.drivers.filter(pk=user.pk).exists():
        return True
    return (
        not vehicle.drivers.exists()
        and Membership.objects.filter(user=user, organization=vehicle.organization).exists()
    )


@transaction.atomic
def round_claim(*, round_: Round, by) -> Round:
    """A driver of the vehicle's pool takes the round; the first one keeps it."""
    round_ = Round.objects.select_for_update().select_related("vehicle").get(pk=round_.pk)
    if not can_drive(by, round_.vehicle):
        raise DomainError(
            "not_a_driver", _("Vous ne faites pas partie des chauffeur·es de ce véhicule."), status_code=403
        )
    if round_.status != RS.PLANNED or round_.driver_id:
        raise DomainError("round_taken", _("Cette tournée a déjà un·e chauffeur·e."), status_code=409)
    round_.driver, round_.status = by, RS.CLAIMED
    round_.save(update_fields=["driver", "status", "updated_at"])
    round_event(round_, "claimed")
    return round_


@transaction.atomic
def round_release(*, round_: Round, by) -> Round:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.driver_id != getattr(by, "pk", None) and not permissions.can_manage_territory(by, round_.territory):
        raise DomainError("not_your_round", _("Ce n'est pas votre tournée."), status_code=403)
    round_.driver, round_.status = None, RS.PLANNED
    round_.save(update_fields=["driver", "status", "updated_at"])
    round_event(round_, "released")
    return round_


# --- Reminders (beat jobs) ------------------------------------------------------------------------


def _round_url(round_: Round) -> str:
    from django.urls import reverse

    return reverse("logistics:round_detail", args=[round_.pk])


def rounds_remind_tomorrow(*, today: dt.date) -> int:
    """The day before: the driver, and each farm and structure of a round, are told their time."""
    from actors.services import notify
    from offers.services.notices import members_by_organization

    sent = 0
    tomorrow = today + dt.timedelta(days=1)
    for round_ in Round.objects.filter(day=tomorrow, reminded_at__isnull=True).exclude(status=RS.CANCELLED):
        with transaction.atomic():
            round_ = Round.objects.select_for_update(of=("self",)).select_related("vehicle").get(pk=round_.pk)
            if round_.reminded_at:
                continue
            stops = list(round_.stops.filter(organization__isnull=False).select_related("organization"))
            if round_.driver_id:
                notify(
                    users=[round_.driver],
                    kind="round_reminder",
                    title=lambda round_=round_, stops=stops: (
                        _("Demain, tournée de %(start)s à %(end)s (%(stops)s arrêts)")
                        % {"start": f"{round_.starts_at:%H:%M}", "end": f"{round_.ends_at:%H:%M}", "stops": len(stops)}
                    ),
                    url=_round_url(round_),
                )
            members = members_by_organization({s.organization_id for s in stops})
            for stop in stops:
                notify(
                    users=members.get(stop.organization_id, []),
                    kind="round_slot",
                    title=lambda stop=stop: (
                        _("Demain, %(kind)s par la tournée vers %(time)s")
                        % {
                            "kind": _("enlèvement") if stop.kind == Stop.Kind.PICKUP else _("livraison"),
                            "time": f"{stop.arrives_at:%H:%M}",
                        }
                    ),
                    url=_round_url(round_),
                )
            round_.reminded_at = timezone.now()
            round_.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def rounds_alert_unassigned(*, now: dt.datetime) -> int:
    """A round that has no driver 24 h before it starts: its territory's officers are told (once)."""
    from actors.models import TerritoryRole
    from actors.services import notify

    local = timezone.localtime(now)
    horizon = local + dt.timedelta(hours=24)
    alerted = 0
    candidates = Round.objects.filter(
        status=RS.PLANNED,
        driver__isnull=True,
        unassigned_alerted_at__isnull=True,
        day__gte=local.date(),
        day__lte=horizon.date(),
    ).select_related("territory", "vehicle")
    for round_ in candidates:
        starts = timezone.make_aware(dt.datetime.combine(round_.day, round_.starts_at))
        if not (local <= starts <= horizon):
            continue
        officers = [
            r.user
            for r in TerritoryRole.objects.filter(
                territory=round_.territory, role=TerritoryRole.Role.OFFICER
            ).select_related("user")
        ]
        notify(
            users=officers,
            kind="round_no_driver",
            title=lambda round_=round_: (
                _("Tournée sans chauffeur·e le %(day)s à %(time)s (%(vehicle)s)")
                % {
                    "day": round_.day.strftime("%d/%m/%Y"),
                    "time": f"{round_.starts_at:%H:%M}",
                    "vehicle": round_.vehicle.name,
                }
            ),
            url=_round_url(round_),
        )
        Round.objects.filter(pk=round_.pk).update(unassigned_alerted_at=timezone.now())
        alerted += 1
    return alerted
