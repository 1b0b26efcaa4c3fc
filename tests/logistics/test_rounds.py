"""Rounds: the confirmed matches of a day grouped into multi-stop rounds by VROOM, in a job
with progress; capacity, cold chain and the structures' hours are never broken; drivers
claim rounds; a round made by hand refuses a stop outside its territory."""

from __future__ import annotations

import datetime as dt

import pytest

from logistics import routing
from logistics.models import OpeningHours, Round, RoundPlan, Stop
from logistics.services import rounds
from miam.errors import DomainError
from tests.factories import TerritoryFactory, make_member, make_officer
from tests.logistics.helpers import (
    confirmed_match,
    farm,
    logistics_org,
    next_tuesday,
    structure,
    three_matches,
    vehicle,
)

pytestmark = pytest.mark.django_db


def plan_day(territory, day, django_capture_on_commit_callbacks) -> RoundPlan:
    with django_capture_on_commit_callbacks(execute=True):
        plan = rounds.round_plan_request(by=make_officer(territory), territory=territory, day=day)
    plan.refresh_from_db()
    return plan


def test_three_tuesday_matches_become_one_round_shorter_than_three_return_trips(
    django_capture_on_commit_callbacks,
):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    matches = three_matches(tuesday)
    truck = vehicle(days=(1,))
    plan = plan_day(territory, tuesday, django_capture_on_commit_callbacks)

    assert (plan.status, plan.progress, plan.counts["lots"], plan.counts["unassigned"]) == ("success", 100, 3, [])
    (made,) = Round.objects.all()
    assert made.vehicle == truck and made.day == tuesday
    stops = list(made.stops.order_by("position"))
    assert [s.position for s in stops] == list(range(8))
    assert (stops[0].kind, stops[-1].kind) == ("start", "end")
    assert sorted(s.match_id for s in stops if s.kind == "pickup") == sorted(m.pk for m in matches)
    # Each lot is picked up before it is delivered; times go forward along the round.
    for match in matches:
        pickup = next(s for s in stops if s.match_id == match.pk and s.kind == "pickup")
        delivery = next(s for s in stops if s.match_id == match.pk and s.kind == "delivery")
        assert pickup.position < delivery.position
        assert (pickup.organization, delivery.organization) == (match.offer.organization, match.need.organization)
    assert [s.arrives_at for s in stops] == sorted(s.arrives_at for s in stops)
    separate = plan.counts["separate_trips_km"]
    assert 0 < float(made.distance_km) < separate
    assert max(s.load_kg for s in stops) == made.max_load_kg == 300


def test_a_chilled_lot_is_never_put_on_a_vehicle_without_refrigeration(settings, django_capture_on_commit_callbacks):
    settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES = {"chilled": 0, "frozen": 0}  # no time out of the fridge
    territory, tuesday = TerritoryFactory(), next_tuesday()
    yogurt = confirmed_match(farm("71007"), structure("71137"), day=tuesday, category="dairy", storage="chilled")
    potatoes = confirmed_match(farm("71532"), structure("71240"), day=tuesday)
    dry_van = vehicle(refrigerated=False, name="Fourgon sec", days=(1,))
    plan = plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    # No refrigerated vehicle that day: the chilled lot waits, the dry van takes the potatoes.
    assert plan.counts["unassigned"] == [yogurt.pk]
    assert set(Stop.objects.filter(round__vehicle=dry_van).values_list("match_id", flat=True)) == {potatoes.pk, None}

    fridge = vehicle(refrigerated=True, name="Frigo", days=(1,), capacity=200)
    plan = plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    assert plan.counts["unassigned"] == []
    cold_stops = Stop.objects.filter(storage="chilled")
    assert cold_stops.count() == 2 and {s.round.vehicle_id for s in cold_stops} == {fridge.pk}


def test_no_round_exceeds_its_vehicle_capacity(django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    three_matches(tuesday, kg=120)
    owner = logistics_org()
    small = [vehicle(owner, capacity=250, name=f"Petit {i}", days=(1,)) for i in range(2)]
    plan = plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    assert plan.counts["unassigned"] == []
    made = list(Round.objects.all())
    # 360 kg never ride together in a 250 kg vehicle: at most two lots on board at once.
    for each in made:
        assert each.vehicle in small
        assert max(s.load_kg for s in each.stops.all()) <= each.vehicle.capacity_kg
    assert Stop.objects.filter(kind="pickup").count() == 3


def test_a_structure_distribution_hours_are_respected(django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    afternoon = structure("71137", hours="mardi, 14 h – 16 h")
    morning = structure("71240")
    OpeningHours.objects.create(organization=morning, weekday=1, opens_at=dt.time(9), closes_at=dt.time(10))
    late = confirmed_match(farm("71007"), afternoon, day=tuesday)
    early = confirmed_match(farm("71532"), morning, day=tuesday)
    vehicle(days=(1,))
    plan = plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    assert plan.counts["unassigned"] == []
    at_afternoon = Stop.objects.get(match=late, kind="delivery")
    at_morning = Stop.objects.get(match=early, kind="delivery")
    assert dt.time(14) <= at_afternoon.arrives_at <= dt.time(16)
    assert (at_afternoon.window_start, at_afternoon.window_end) == (dt.time(14), dt.time(16))
    assert dt.time(9) <= at_morning.arrives_at <= dt.time(10)


def test_planning_again_replaces_unclaimed_rounds_and_keeps_claimed_ones(django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    three_matches(tuesday)
    owner = logistics_org()
    truck = vehicle(owner, days=(1,))
    driver = make_member(owner, role="member")
    truck.drivers.add(driver)
    plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    claimed = rounds.round_claim(round_=Round.objects.get(), by=driver)
    again = plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    assert again.counts["matches"] == 0  # its matches are carried by the claimed round
    assert list(Round.objects.all()) == [claimed]


def test_a_driver_of_the_pool_claims_a_round_once():
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()
    truck = vehicle(owner, days=(1,))
    first, second = make_member(owner, role="member"), make_member(owner, role="member")
    truck.drivers.add(first, second)
    made = rounds.round_create(
        by=make_officer(territory), territory=territory, day=tuesday, vehicle=truck, matches=three_matches(tuesday)
    )
    rounds.round_claim(round_=made, by=first)
    with pytest.raises(DomainError) as caught:
        rounds.round_claim(round_=made, by=second)
    assert caught.value.message == "Cette tournée a déjà un·e chauffeur·e."
    with pytest.raises(DomainError) as caught:
        rounds.round_claim(round_=made, by=make_member(logistics_org()))
    assert caught.value.status_code == 403
    made.refresh_from_db()
    assert (made.driver, made.status) == (first, "claimed")


def test_a_round_with_a_stop_outside_the_territory_is_refused_and_nothing_is_written():
    territory, tuesday = TerritoryFactory(), next_tuesday()
    inside = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    outside = confirmed_match(farm("71076"), structure("71240"), day=tuesday)  # Chalon-sur-Saône
    with pytest.raises(DomainError) as caught:
        rounds.round_create(
            by=make_officer(territory),
            territory=territory,
            day=tuesday,
            vehicle=vehicle(days=(1,)),
            matches=[inside, outside],
        )
    assert "hors du territoire" in caught.value.fields["matches"][0]
    assert "Chalon-sur-Saône" in caught.value.fields["matches"][0]
    assert not Round.objects.exists() and not Stop.objects.exists()


def test_the_planner_leaves_out_what_no_vehicle_can_take():
    depot = routing.Place("d", 46.43, 4.65)
    lots = [
        routing.Lot(1, 80, False, routing.Place("f", 46.52, 4.67), routing.Place("s", 46.45, 4.64)),
        routing.Lot(2, 500, False, routing.Place("f2", 46.51, 4.68), routing.Place("s", 46.45, 4.64)),
    ]
    truck = routing.Truck(1, 100, False, depot, routing.Window(8 * 3600, 18 * 3600), 8 * 3600)
    result = routing.plan(lots, [truck])
    assert result.unassigned == (2,)
    assert [s.lot_id for s in result.rounds[0].stops if s.kind == "pickup"] == [1]


def test_a_match_carried_by_a_round_says_it_is_delivered_by_the_tuesday_round(django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    (match, *_others) = three_matches(tuesday)
    match.reasons = [{"code": "delivery_by_farm", "params": {"radius_km": 20}}]
    match.save()
    vehicle(days=(1,))
    plan_day(territory, tuesday, django_capture_on_commit_callbacks)
    match.refresh_from_db()
    assert match.mode == "partner"
    assert match.explanation == "livré par la tournée du mardi"
    from django.utils import translation

    with translation.override("en"):
        assert match.explanation == "delivered by the Tuesday round"
