"""Matching knows the pooled option: a structure without a vehicle is served by a round of its
territory (the "partner" mode), and its proposal says « livré par la tournée du mardi »; no round
in the territory, no such proposal; a chilled lot never through a round without refrigeration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from actors.models import StructureProfile
from miam import pooled_rounds
from miam.errors import DomainError
from offers.models import Match, MatchingRun
from offers.services import matches as match_services
from offers.services import runs
from tests.factories import TerritoryFactory, commune, make_member, matching_need, matching_offer
from tests.logistics.helpers import confirmed_match, farm, next_tuesday, structure, vehicle

pytestmark = pytest.mark.django_db

PONTARLIER = "25462"  # in the Doubs, some 200 km by road from Ameugny


def far_territory():
    """The Clunisois and, far to the east, Pontarlier: one territory, beyond any old radius."""
    territory = TerritoryFactory()
    territory.communes.add(commune(PONTARLIER))
    return territory


def far_pair(*, category="potatoes", need_categories=("vegetables",)):
    grower = farm("71007")
    grocery = structure(PONTARLIER)
    StructureProfile.objects.filter(organization=grocery).update(
        vehicle="none", pickup_radius_km=0, has_fridge=True, chilled_capacity_kg=300
    )
    offer = matching_offer(grower, category=category, logistics=["partner"], quantity=80)
    need = matching_need(grocery, categories=need_categories, quantity=50)
    return offer, need


def run_matching(territory) -> list[Match]:
    runs.matching_run(territory_id=territory.pk, trigger=MatchingRun.Trigger.MANUAL)
    return list(Match.objects.filter(status=Match.MatchStatus.PROPOSED))


def tuesday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def test_a_structure_without_vehicle_far_away_is_served_by_the_tuesday_round_of_its_territory():
    territory = far_territory()
    offer, need = far_pair()
    vehicle(days=(1,), refrigerated=False)  # a dry van of the Clunisois, on Tuesdays
    assert pooled_rounds.weekly(territory.pk) == [pooled_rounds.WeeklyRound(1, 1000.0, False)]

    (match,) = run_matching(territory)
    assert (match.offer, match.need, match.mode) == (offer, need, "partner")
    assert float(match.distance_km) > 150
    assert match.proposed_for == tuesday_on_or_after(timezone.localdate())
    assert "livré par la tournée du mardi" in match.explanation


def test_without_any_round_in_the_territory_the_far_structure_gets_nothing():
    territory = far_territory()
    far_pair()
    assert run_matching(territory) == []


def test_a_vehicle_outside_the_territory_runs_no_round_of_it():
    territory = far_territory()
    far_pair()
    elsewhere = structure("21231")  # Dijon: not in this territory
    vehicle(elsewhere, days=(1,))
    assert pooled_rounds.weekly(territory.pk) == []
    assert run_matching(territory) == []


def test_a_chilled_lot_is_not_proposed_through_a_round_without_refrigeration():
    territory = far_territory()
    far_pair(category="dairy", need_categories=("dairy",))
    vehicle(days=(1,), refrigerated=False)
    assert run_matching(territory) == []

    vehicle(days=(3,), refrigerated=True, name="Frigo du jeudi")
    (match,) = run_matching(territory)
    assert "livré par la tournée du jeudi" in match.explanation


def test_a_match_is_carried_by_a_partner_only_on_a_day_a_round_of_its_territory_runs():
    TerritoryFactory()
    tuesday = next_tuesday()
    match = confirmed_match(farm("71007"), structure("71137"), day=None)
    volunteer = make_member(match.need.organization)
    with pytest.raises(DomainError) as caught:
        match_services.match_schedule(match=match, by=volunteer, date=tuesday, mode="partner")
    assert caught.value.fields == {
        "date": ["Aucune tournée ne passe sur le territoire : choisissez un autre acheminement."]
    }
    vehicle(days=(1,), refrigerated=False)
    with pytest.raises(DomainError) as caught:
        match_services.match_schedule(match=match, by=volunteer, date=tuesday + dt.timedelta(days=1), mode="partner")
    assert caught.value.fields == {
        "date": ["Les tournées du territoire passent le mardi : choisissez l'un de ces jours."]
    }
    scheduled = match_services.match_schedule(match=match, by=volunteer, date=tuesday, mode="partner")
    assert (scheduled.status, scheduled.scheduled_for, scheduled.mode) == ("scheduled", tuesday, "partner")


def test_a_near_chilled_lot_rides_a_dry_round_within_the_planners_out_of_fridge_time():
    # Ameugny → Cluny: some 10 km by road, within 30 minutes at 50 km/h (the planner's figures).
    territory = far_territory()
    near = structure("71137")
    StructureProfile.objects.filter(organization=near).update(
        vehicle="none", pickup_radius_km=0, has_fridge=True, chilled_capacity_kg=300
    )
    offer = matching_offer(farm("71007"), category="dairy", logistics=["partner"], quantity=80)
    matching_need(near, categories=("dairy",), quantity=50)
    vehicle(days=(1,), refrigerated=False)
    assert pooled_rounds.dry_ride_km("chilled") == pytest.approx(25.0)
    assert pooled_rounds.dry_ride_km("frozen") == 0.0
    (match,) = run_matching(territory)
    assert (match.offer, match.mode) == (offer, "partner")
    assert float(match.distance_km) < 25
    assert "livré par la tournée du mardi" in match.explanation
    # Scheduling agrees: the dry Tuesday round carries it.
    Match.objects.filter(pk=match.pk).update(status=Match.MatchStatus.CONFIRMED)
    match.refresh_from_db()
    volunteer = make_member(near)
    tuesday = next_tuesday()
    scheduled = match_services.match_schedule(match=match, by=volunteer, date=tuesday, mode="partner")
    assert scheduled.mode == "partner"


def test_two_alike_vans_on_tuesdays_are_two_rounds_whose_payloads_add_up():
    territory = far_territory()
    vehicle(days=(1,), refrigerated=False, name="Van 1")
    vehicle(days=(1,), refrigerated=False, name="Van 2")
    assert pooled_rounds.weekly(territory.pk) == [pooled_rounds.WeeklyRound(1, 1000.0, False)] * 2
