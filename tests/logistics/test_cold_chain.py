"""The out-of-fridge time: a chilled or frozen lot rides in a refrigerated vehicle, or in a dry
one only when it reaches its structure within ``LOGISTICS_OUT_OF_FRIDGE_MINUTES`` of leaving
the farm (``docs/logistics.md``). Checked on the planner alone and through the planning job."""

from __future__ import annotations

import random

import pytest

from logistics import routing
from logistics.models import Round, Stop
from logistics.services import rounds
from tests.factories import TerritoryFactory, make_officer
from tests.logistics.helpers import confirmed_match, farm, next_tuesday, structure, vehicle

SERVICE_S = 600
DEPOT = routing.Place("depot", 46.434, 4.659)  # Cluny
DAY = routing.Window(8 * 3600, 18 * 3600)


def dry_truck(truck_id=1) -> routing.Truck:
    return routing.Truck(truck_id, 2000, False, DEPOT, DAY, 8 * 3600)


def chilled(lot_id, pickup, delivery, *, minutes) -> routing.Lot:
    return routing.Lot(lot_id, 50, True, pickup, delivery, out_of_fridge_s=minutes * 60)


def ride_s(planned: routing.PlannedRound, lot_id: int) -> int:
    pickup = next(s for s in planned.stops if s.lot_id == lot_id and s.kind == "pickup")
    delivery = next(s for s in planned.stops if s.lot_id == lot_id and s.kind == "delivery")
    return delivery.arrival_s - (pickup.arrival_s + SERVICE_S)


FARM = routing.Place("farm", 46.480, 4.660)  # about 5 km north of Cluny
NEAR = routing.Place("near", 46.430, 4.665)  # Cluny: about 9 min by road
FAR = routing.Place("far", 46.800, 4.850)  # Chalon side: about an hour by road


def test_a_chilled_lot_over_its_out_of_fridge_time_is_never_on_a_dry_vehicle():
    result = routing.plan([chilled(1, FARM, FAR, minutes=30)], [dry_truck()])
    assert result.unassigned == (1,) and result.rounds == ()


def test_a_chilled_lot_within_its_out_of_fridge_time_may_ride_a_dry_vehicle():
    result = routing.plan([chilled(1, FARM, NEAR, minutes=30)], [dry_truck()])
    assert result.unassigned == ()
    (planned,) = result.rounds
    assert 0 <= ride_s(planned, 1) <= 30 * 60


def test_without_an_out_of_fridge_time_a_chilled_lot_needs_refrigeration():
    result = routing.plan([chilled(1, FARM, NEAR, minutes=0)], [dry_truck()])
    assert result.unassigned == (1,)


def test_no_cold_lot_rides_a_dry_vehicle_longer_than_its_out_of_fridge_time():
    """Many short cold lots, dry vehicles only: the solver would like to chain them, carrying
    one while it fetches the next; every ride that is kept fits the time."""
    rng = random.Random(16)
    lots = []
    for lot_id in range(1, 25):
        pickup = routing.Place(f"p{lot_id}", 46.43 + rng.uniform(-0.08, 0.08), 4.66 + rng.uniform(-0.1, 0.1))
        delivery = routing.Place(f"d{lot_id}", 46.43 + rng.uniform(-0.08, 0.08), 4.66 + rng.uniform(-0.1, 0.1))
        lots.append(chilled(lot_id, pickup, delivery, minutes=20))
    result = routing.plan(lots, [dry_truck(1), dry_truck(2)])
    carried = [(r, s.lot_id) for r in result.rounds for s in r.stops if s.kind == "pickup"]
    assert carried, "some short lots ride the dry vehicles"
    for planned, lot_id in carried:
        assert ride_s(planned, lot_id) <= 20 * 60


@pytest.mark.django_db
def test_the_planning_job_puts_a_near_chilled_lot_on_a_dry_van_and_never_a_far_one(
    settings, django_capture_on_commit_callbacks
):
    settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES = {"chilled": 20, "frozen": 0}
    territory, tuesday = TerritoryFactory(), next_tuesday()
    near = confirmed_match(
        farm("71240"), structure("71137"), day=tuesday, category="dairy", storage="chilled"
    )  # Jalogny
    ameugny = farm("71007")
    farthest = max(
        territory.communes.all(),
        key=lambda c: (c.latitude - ameugny.latitude) ** 2 + (c.longitude - ameugny.longitude) ** 2,
    )
    far = confirmed_match(ameugny, structure(farthest.insee_code), day=tuesday, category="dairy", storage="chilled")
    dry_van = vehicle(refrigerated=False, name="Fourgon sec", days=(1,))
    with django_capture_on_commit_callbacks(execute=True):
        plan = rounds.round_plan_request(by=make_officer(territory), territory=territory, day=tuesday)
    plan.refresh_from_db()
    on_van = set(Stop.objects.filter(round__vehicle=dry_van, match__isnull=False).values_list("match_id", flat=True))
    assert near.pk in on_van
    assert far.pk not in on_van and far.pk in plan.counts["unassigned"]
    assert Round.objects.count() == 1
