"""The pure matching engine: hard constraints, scores, reasons and allocation.

Fairness has its own file (test_matching_fairness.py); the reasons' French and English
are tested where they are rendered (tests/offers/test_reasons.py).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offers.matching import (
    NeedInput,
    OfferInput,
    Params,
    PooledRound,
    StructureInput,
    Weights,
    allocate_flow,
    allocate_greedy,
    allocate_lp,
    candidates_bruteforce,
    check_pair,
    fairness_model,
    find_candidates,
    objective_value,
    run,
    score_candidates,
    spending,
    top_per_need,
)
from tests.offers.engine_instances import TODAY, days, random_instance

#: The territory's pooled rounds: a refrigerated van on Tuesdays, a dry car on Fridays.
TUESDAY_VAN, FRIDAY_CAR = PooledRound(1, 500.0, refrigerated=True), PooledRound(4, 150.0, refrigerated=False)
PARAMS = Params(today=TODAY, rounds=(TUESDAY_VAN, FRIDAY_CAR))
NO_ROUND = Params(today=TODAY)
CLUNY = (46.4347, 4.6591)
KM_PER_DEGREE_LAT = 111.195  # on the engine's sphere
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def north_of_cluny(road_km: float) -> tuple[float, float]:
    """A point whose road estimate from Cluny is `road_km` (detour factor 1.3)."""
    return CLUNY[0] + road_km / PARAMS.road_detour_factor / KM_PER_DEGREE_LAT, CLUNY[1]


def make_offer(**changes) -> OfferInput:
    offer = OfferInput(
        id=1,
        organization_id=10,
        category_id=11,
        category_ancestors=(11, 1),
        lat=CLUNY[0],
        lon=CLUNY[1],
        quantity=100.0,
        unit="kg",
        min_quantity=10.0,
        window_start=TODAY,
        window_end=days(10),
        use_by=None,
        storage="chilled",
        pricing="solidarity",
        price_per_unit=2.0,
        usual_price_per_unit=2.5,
        logistics=frozenset({"delivery"}),
        delivery_radius_km=20.0,
    )
    return replace(offer, **changes)


def make_need(*, road_km: float = 10.0, **changes) -> NeedInput:
    lat, lon = north_of_cluny(road_km)
    need = NeedInput(
        id=7,
        organization_id=20,
        category_ids=frozenset({1}),
        lat=lat,
        lon=lon,
        quantity=60.0,
        unit="kg",
        window_start=TODAY,
        window_end=days(14),
        accepts_purchase=True,
        max_price_per_unit=3.0,
        has_fridge=True,
        chilled_capacity_kg=200.0,
    )
    return replace(need, **changes)


def codes(reasons) -> list[str]:
    return [reason.code for reason in reasons]


def assert_only_excluded_by(offer: OfferInput, need: NeedInput, code: str, **kwargs):
    """The pair is not proposed, and `code` is the one reason given."""
    excluded = kwargs.get("excluded_pairs", frozenset())
    structures = kwargs.get("structures", ())
    found = find_candidates([offer], [need], params=PARAMS, excluded_pairs=excluded, structures=structures)
    assert found.id_pairs() == set()
    assert run([offer], [need], params=PARAMS, excluded_pairs=excluded, structures=structures).proposals == ()
    reasons = check_pair(offer, need, params=PARAMS, excluded_pairs=excluded, structures=structures)
    assert codes(reasons) == [code]
    return reasons[0]


def proposed(offer: OfferInput, need: NeedInput, params: Params = PARAMS, structures=()):
    result = run([offer], [need], params=params, structures=structures)
    assert check_pair(offer, need, params=params, structures=structures) == []
    assert len(result.proposals) == 1
    return result.proposals[0]


def reason(proposal, code: str) -> dict:
    return next(r.params for r in proposal.reasons if r.code == code)


# --- Hard constraints: a baseline pair, broken one way at a time ----------------------------


def test_the_baseline_pair_is_proposed_by_delivery():
    proposal = proposed(make_offer(), make_need())
    assert (proposal.offer_id, proposal.need_id, proposal.mode) == (1, 7, "delivery")
    assert proposal.quantity == 60.0
    assert proposal.distance_km == pytest.approx(10.0, abs=0.05)


def test_an_offer_outside_the_accepted_categories_is_excluded():
    assert_only_excluded_by(make_offer(), make_need(category_ids=frozenset({2})), "category_mismatch")


def test_a_need_accepting_the_exact_leaf_category_matches():
    proposed(make_offer(), make_need(category_ids=frozenset({11})))


def test_chilled_goods_are_not_sent_to_a_structure_without_fridge():
    assert_only_excluded_by(make_offer(), make_need(has_fridge=False), "no_fridge")


def test_chilled_goods_beyond_the_fridge_capacity_are_capped_then_excluded_below_minimum():
    assert proposed(make_offer(), make_need(chilled_capacity_kg=40.0)).quantity == 40.0
    assert_only_excluded_by(make_offer(), make_need(chilled_capacity_kg=5.0), "cold_storage_too_small")


def test_frozen_goods_are_not_sent_to_a_structure_without_freezer():
    assert_only_excluded_by(make_offer(storage="frozen"), make_need(has_freezer=False), "no_freezer")
    proposed(make_offer(storage="frozen"), make_need(has_freezer=True, frozen_capacity_kg=100.0))


def test_disjoint_windows_are_excluded():
    need = make_need(window_start=days(11), window_end=days(20))
    assert_only_excluded_by(make_offer(), need, "windows_disjoint")


def test_goods_past_their_use_by_date_on_the_first_common_day_are_excluded():
    need = make_need(window_start=days(5))
    proposed(make_offer(use_by=days(5)), need)
    assert_only_excluded_by(make_offer(use_by=days(4)), need, "expired")


def test_a_one_off_offer_whose_shelf_life_ends_before_the_need_window_is_excluded():
    need = make_need(window_start=days(5))
    assert_only_excluded_by(make_offer(shelf_life_days=3), need, "expired")
    proposed(make_offer(shelf_life_days=3, recurrence="weekly"), need)


def test_a_common_window_already_over_is_excluded():
    offer = make_offer(window_start=days(-10), window_end=days(-1))
    need = make_need(window_start=days(-10))
    assert_only_excluded_by(offer, need, "window_past")


def test_a_structure_beyond_the_farm_delivery_radius_is_excluded():
    proposed(make_offer(), make_need(road_km=19.5))
    assert_only_excluded_by(make_offer(), make_need(road_km=20.5), "out_of_reach")


def test_a_structure_far_away_without_vehicle_is_served_by_the_tuesday_round_of_its_territory():
    offer = make_offer(logistics=frozenset({"partner"}))  # TODAY is a Monday; chilled goods
    proposal = proposed(offer, make_need(road_km=150.0, has_vehicle=False))
    assert (proposal.mode, proposal.delivery_date) == ("partner", days(1))
    assert reason(proposal, "pooled_round") == {"weekday": 1}
    assert codes(proposal.reasons)[:2] == ["distance", "pooled_round"]


def test_without_a_round_in_the_territory_the_partner_mode_reaches_nobody():
    offer = make_offer(logistics=frozenset({"partner"}))
    need = make_need(road_km=15.0, has_vehicle=False)
    assert run([offer], [need], params=NO_ROUND).proposals == ()
    [why] = check_pair(offer, need, params=NO_ROUND)
    assert why.code == "out_of_reach"
    assert why.params["limits"] == [{"by": "partner", "km": None, "days": [], "refrigerated": True}]


def test_a_chilled_lot_never_goes_on_a_round_without_refrigeration():
    offer = make_offer(logistics=frozenset({"partner"}))
    dry_only = replace(PARAMS, rounds=(FRIDAY_CAR,))
    need = make_need(road_km=40.0)
    assert run([offer], [need], params=dry_only).proposals == ()
    assert codes(check_pair(offer, need, params=dry_only)) == ["out_of_reach"]
    # Ambient goods take the Friday car.
    ambient = proposed(replace(offer, storage="ambient"), need, params=dry_only)
    assert (ambient.delivery_date, reason(ambient, "pooled_round")) == (days(4), {"weekday": 4})


#: The planner's out-of-fridge time (30 min for chilled lots, never for frozen ones) at its
#: speed (50 km/h): what matching_params gives from the settings.
DRY_TUESDAY = PooledRound(1, 500.0, refrigerated=False)
OUT_OF_FRIDGE = replace(PARAMS, rounds=(DRY_TUESDAY,), dry_ride_km_chilled=25.0, dry_ride_km_frozen=0.0)


def test_a_chilled_lot_10_km_away_goes_through_a_dry_tuesday_round_within_its_out_of_fridge_time():
    offer = make_offer(logistics=frozenset({"partner"}))  # chilled; TODAY is a Monday
    proposal = proposed(offer, make_need(road_km=10.0, has_vehicle=False), params=OUT_OF_FRIDGE)
    assert (proposal.mode, proposal.delivery_date) == ("partner", days(1))
    assert reason(proposal, "pooled_round") == {"weekday": 1}


def test_a_chilled_lot_80_km_away_rides_too_long_out_of_the_fridge_for_a_dry_round():
    offer = make_offer(logistics=frozenset({"partner"}))
    need = make_need(road_km=80.0, has_vehicle=False)
    assert run([offer], [need], params=OUT_OF_FRIDGE).proposals == ()
    [why] = check_pair(offer, need, params=OUT_OF_FRIDGE)
    assert why.code == "out_of_reach"
    assert why.params["limits"] == [{"by": "partner", "km": None, "days": [], "refrigerated": True, "dry_km": 25.0}]
    # A refrigerated van the same day takes it, whatever the distance.
    with_van = replace(OUT_OF_FRIDGE, rounds=(DRY_TUESDAY, TUESDAY_VAN))
    assert proposed(offer, need, params=with_van).mode == "partner"


def test_a_frozen_lot_never_goes_on_a_dry_round_however_near():
    offer = make_offer(logistics=frozenset({"partner"}), storage="frozen")
    need = make_need(road_km=2.0, has_vehicle=False, has_freezer=True, frozen_capacity_kg=200.0)
    assert run([offer], [need], params=OUT_OF_FRIDGE).proposals == ()
    [why] = check_pair(offer, need, params=OUT_OF_FRIDGE)
    assert why.params["limits"] == [{"by": "partner", "km": None, "days": [], "refrigerated": True}]


def test_the_lots_of_one_tuesday_never_weigh_more_than_its_vehicles_carry_together():
    # Two lots of 300 kg each fit the 500 kg van, not both: one is proposed whole, the other
    # gets what is left of the day's payload (every mode).
    first = make_offer(id=1, logistics=frozenset({"partner"}), quantity=300.0, min_quantity=10.0)
    second = make_offer(id=2, organization_id=11, logistics=frozenset({"partner"}), quantity=300.0, min_quantity=10.0)
    needs = [
        make_need(id=7, road_km=100.0, quantity=300.0, chilled_capacity_kg=300.0),
        make_need(id=8, organization_id=21, road_km=110.0, quantity=300.0, chilled_capacity_kg=300.0),
    ]
    van = replace(PARAMS, rounds=(TUESDAY_VAN,))
    for mode in ("flow", "lp", "greedy"):
        result = run([first, second], needs, params=replace(van, mode=mode))
        assert {p.mode for p in result.proposals} == {"partner"}
        assert sum(p.quantity_kg for p in result.proposals) == pytest.approx(500.0), mode
    # Each alone still fits: the day's payload, not one vehicle's, is what they share.
    assert proposed(first, needs[0], params=van).quantity == 300.0
    # Two vans on Tuesdays carry both.
    two_vans = replace(PARAMS, rounds=(TUESDAY_VAN, TUESDAY_VAN))
    assert sum(p.quantity_kg for p in run([first, second], needs, params=two_vans).proposals) == 600.0


def test_a_chilled_lot_needing_the_cold_van_shares_the_refrigerated_payload_only():
    # The dry car on Tuesday carries ambient goods and near chilled lots, never the far chilled one.
    car = PooledRound(1, 400.0, refrigerated=False)
    params = replace(PARAMS, rounds=(TUESDAY_VAN, car), dry_ride_km_chilled=25.0)
    lots = [
        make_offer(id=k, organization_id=10 + k, logistics=frozenset({"partner"}), quantity=300.0, min_quantity=10.0)
        for k in (1, 2)
    ]
    need = make_need(road_km=100.0, quantity=800.0, chilled_capacity_kg=800.0)
    proposals = run(lots, [need], params=params).proposals
    assert sum(p.quantity for p in proposals) == 500.0  # the van's payload, not the day's 900 kg
    near = replace(need, lat=north_of_cluny(10.0)[0])
    assert sum(p.quantity for p in run(lots, [near], params=params).proposals) == 600.0


def test_a_round_comes_on_a_distribution_day_of_the_structure_only():
    offer = make_offer(logistics=frozenset({"partner"}), storage="ambient")
    friday = proposed(offer, make_need(distribution_days=frozenset({4})))
    assert friday.delivery_date == days(4)
    assert_only_excluded_by(offer, make_need(distribution_days=frozenset({2})), "out_of_reach")


def test_a_lot_on_a_round_weighs_no_more_than_its_vehicle_takes():
    offer = make_offer(logistics=frozenset({"partner"}), storage="ambient", quantity=400.0, window_start=days(3))
    need = make_need(quantity=400.0, chilled_capacity_kg=0.0)
    proposal = proposed(offer, need)  # the first round day is the Friday car's, not the van's
    assert (proposal.delivery_date, proposal.quantity) == (days(4), 150.0)


def test_pickup_needs_a_vehicle_and_a_radius_covering_the_distance():
    offer = make_offer(logistics=frozenset({"pickup"}))
    can_collect = {"pickup_radius_km": 30.0, "has_vehicle": True}
    assert proposed(offer, make_need(**can_collect)).mode == "pickup"
    assert_only_excluded_by(offer, make_need(**{**can_collect, "pickup_radius_km": 8.0}), "out_of_reach")
    assert_only_excluded_by(offer, make_need(**{**can_collect, "has_vehicle": False}), "out_of_reach")


def test_gleaning_without_volunteers_is_excluded():
    offer = make_offer(logistics=frozenset({"gleaning"}))
    need = make_need(pickup_radius_km=30.0, gleaning_volunteers=4)
    assert proposed(offer, need).mode == "gleaning"
    reason = assert_only_excluded_by(offer, replace(need, gleaning_volunteers=0), "out_of_reach")
    assert reason.params["limits"] == [{"by": "gleaning", "km": None}]


def test_gleaners_do_not_go_beyond_the_structure_radius():
    offer = make_offer(logistics=frozenset({"gleaning"}))
    need = make_need(pickup_radius_km=8.0, gleaning_volunteers=4)
    assert_only_excluded_by(offer, need, "out_of_reach")


def test_delivery_is_chosen_first_when_several_modes_reach():
    offer = make_offer(logistics=frozenset({"pickup", "gleaning", "partner", "delivery"}))
    need = make_need(pickup_radius_km=30.0, has_vehicle=True, gleaning_volunteers=3)
    assert proposed(offer, need).mode == "delivery"
    assert proposed(replace(offer, delivery_radius_km=5.0), need).mode == "partner"


def test_a_price_above_the_structure_maximum_is_excluded():
    assert_only_excluded_by(make_offer(price_per_unit=3.5), make_need(), "price_too_high")


def test_a_sale_to_a_donation_only_structure_is_excluded_but_a_donation_matches():
    need = make_need(accepts_purchase=False)
    assert_only_excluded_by(make_offer(), need, "purchase_not_accepted")
    proposed(make_offer(pricing="donation", price_per_unit=None), need)


def test_an_allocatable_quantity_below_the_offer_minimum_is_excluded():
    assert_only_excluded_by(make_offer(), make_need(quantity=5.0), "quantity_below_minimum")


def test_different_units_never_match():
    assert_only_excluded_by(make_offer(), make_need(unit="l"), "unit_mismatch")


def test_declined_pair_is_never_proposed_again():
    assert_only_excluded_by(make_offer(), make_need(), "excluded_pair", excluded_pairs={(1, 7)})


def test_several_broken_constraints_are_all_reported():
    reasons = check_pair(make_offer(), make_need(unit="l", has_fridge=False), params=PARAMS)
    assert codes(reasons) == ["unit_mismatch", "no_fridge"]


# --- Scores and explanations ----------------------------------------------------------------


def test_the_reasons_say_distance_carrier_cold_price_and_coverage_in_order():
    offer = make_offer(price_per_unit=10.80, usual_price_per_unit=11.74, quantity=50.0)
    need = make_need(road_km=12.0, quantity=83.3, max_price_per_unit=12.0)
    assert [r.as_dict() for r in proposed(offer, need).reasons] == [
        {"code": "distance", "params": {"km": 12.0}},
        {"code": "delivery_by_farm", "params": {"radius_km": 20.0}},
        {"code": "fridge_available", "params": {}},
        {"code": "price", "params": {"price": 10.8, "unit": "kg", "change_percent": -8}},
        {"code": "covers_need", "params": {"percent": 60}},
    ]


@pytest.mark.parametrize(
    ("offer_changes", "need_changes", "expected"),
    [
        ({"pricing": "donation", "price_per_unit": None, "storage": "ambient"}, {"road_km": 4.5}, "delivery_by_farm"),
        (
            {"logistics": frozenset({"pickup"}), "pricing": "donation", "storage": "ambient"},
            {"pickup_radius_km": 30.0, "has_vehicle": True},
            "pickup_by_structure",
        ),
        (
            {"logistics": frozenset({"gleaning"}), "pricing": "donation", "storage": "ambient"},
            {"pickup_radius_km": 30.0, "gleaning_volunteers": 4},
            "gleaning",
        ),
        (
            {"logistics": frozenset({"partner"}), "pricing": "donation", "storage": "ambient"},
            {},
            "pooled_round",
        ),
    ],
)
def test_the_reasons_name_who_carries_the_goods(offer_changes, need_changes, expected):
    reasons = proposed(make_offer(**offer_changes), make_need(**need_changes)).reasons
    assert codes(reasons)[:2] == ["distance", expected]
    assert "donation" in codes(reasons)


def test_a_use_by_date_and_shared_labels_are_given_as_plain_data():
    offer = make_offer(use_by=days(6), labels=frozenset({"bio", "hve"}))
    proposal = proposed(offer, make_need(preferred_labels=frozenset({"bio"})))
    assert reason(proposal, "use_by") == {"date": days(6).isoformat()}
    assert reason(proposal, "labels") == {"labels": ["bio"]}


def test_every_component_lies_between_zero_and_one_and_the_score_is_their_weighted_sum():
    proposal = proposed(make_offer(labels=frozenset({"bio"})), make_need(preferred_labels=frozenset({"bio", "hve"})))
    weights = Weights()
    assert all(0 <= v <= 1 for v in proposal.components.values())
    assert proposal.components["labels"] == 0.5
    expected = 100 * sum(getattr(weights, k) * v for k, v in proposal.components.items())
    assert proposal.score == round(expected)


def test_a_fair_solidarity_price_is_not_penalised_like_a_market_price():
    at_usual = make_offer(price_per_unit=2.5, usual_price_per_unit=2.5)
    fair = proposed(at_usual, make_need()).components["price"]
    market = proposed(replace(at_usual, pricing="market"), make_need()).components["price"]
    deep = proposed(make_offer(price_per_unit=1.0), make_need()).components["price"]
    donation = proposed(make_offer(pricing="donation", price_per_unit=None), make_need()).components["price"]
    assert market < fair == 0.7 < deep == 1.0 == donation


def test_nothing_in_the_score_rewards_having_received_before():
    # Past deliveries between two organisations, or to the structure, are not score
    # components any more: fairness is the allocation's objective (test_matching_fairness).
    assert set(Weights.names()) == {"distance", "coverage", "urgency", "price", "labels", "recurrence"}
    fed = [StructureInput(id=20, people_served_per_week=50, received_kg=400.0)]
    starved = [StructureInput(id=20, people_served_per_week=50, received_kg=0.0)]
    assert (
        proposed(make_offer(), make_need(), structures=fed).score
        == proposed(make_offer(), make_need(), structures=starved).score
    )


def test_territory_weights_are_normalised_and_validated():
    weights = Weights(distance=2, coverage=2, urgency=0, price=0, labels=0, recurrence=0)
    assert (weights.distance, weights.coverage, sum(weights.as_tuple())) == (0.5, 0.5, 1.0)
    assert sum(Weights().as_tuple()) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        Weights(distance=-1)
    with pytest.raises(ValueError):
        Weights(**dict.fromkeys(Weights.names(), 0.0))


def test_only_the_best_candidates_of_each_need_are_allocated():
    offers = [make_offer(id=i, quantity=10.0, min_quantity=1.0) for i in range(1, 6)]
    result = run(offers, [make_need()], params=replace(PARAMS, max_candidates_per_need=2))
    assert (result.stats.n_candidate_pairs, result.stats.n_scored_pairs) == (5, 2)
    assert {p.offer_id for p in result.proposals} == {1, 2}


# --- Random instances -----------------------------------------------------------------------

seeds = st.integers(0, 2**32 - 1)


@FAST
@given(seeds, st.integers(0, 60), st.integers(0, 30), st.sampled_from([1.0, 1.3, 2.0]))
def test_the_spatial_index_finds_exactly_the_pairs_brute_force_finds(seed, n_offers, n_needs, detour):
    offers, needs, structures = random_instance(seed, n_offers, n_needs)
    params = replace(PARAMS, road_detour_factor=detour)
    indexed = find_candidates(offers, needs, params=params, structures=structures)
    brute = candidates_bruteforce(offers, needs, params=params, structures=structures)
    assert indexed.id_pairs() == brute.id_pairs()
    for name in ("offer_idx", "need_idx", "mode", "cap", "distance_km", "earliest_day", "delivery_day"):
        np.testing.assert_array_equal(getattr(indexed, name), getattr(brute, name))
    assert indexed.n_raw_pairs <= brute.n_raw_pairs


@FAST
@given(seeds, st.integers(1, 25), st.integers(1, 12))
def test_check_pair_finds_no_reason_exactly_for_the_candidate_pairs(seed, n_offers, n_needs):
    offers, needs, structures = random_instance(seed, n_offers, n_needs)
    excluded = {(offers[0].id, needs[0].id)}
    found = find_candidates(offers, needs, params=PARAMS, excluded_pairs=excluded, structures=structures).id_pairs()
    for offer in offers:
        for need in needs:
            reasons = check_pair(offer, need, params=PARAMS, excluded_pairs=excluded, structures=structures)
            assert (reasons == []) == ((offer.id, need.id) in found), reasons


def _grain_multiple(quantity: float, grain: float) -> bool:
    return abs(quantity / grain - round(quantity / grain)) < 1e-6


@FAST
@given(seeds, st.integers(1, 50), st.integers(1, 25), st.sampled_from(["flow", "lp", "greedy"]))
def test_allocations_never_exceed_quantities_caps_or_budgets_and_respect_packs(seed, n_offers, n_needs, mode):
    offers, needs, structures = random_instance(seed, n_offers, n_needs)
    params = replace(PARAMS, mode=mode)
    result = run(offers, needs, params=params, structures=structures)
    offer_by_id = {o.id: o for o in offers}
    need_by_id = {n.id: n for n in needs}
    budget = {s.id: s.budget_eur for s in structures}
    given_by_offer: dict[int, float] = {}
    given_by_need: dict[int, float] = {}
    spent_need: dict[int, float] = {}
    spent_structure: dict[int, float] = {}
    for p in result.proposals:
        offer, need = offer_by_id[p.offer_id], need_by_id[p.need_id]
        assert check_pair(offer, need, params=params, structures=structures) == []
        assert p.quantity >= offer.min_quantity - 1e-9
        assert p.quantity > 0
        if offer.pack_size:
            assert _grain_multiple(p.quantity, offer.pack_size), (p.quantity, offer.pack_size)
        elif offer.unit in ("piece", "dozen"):
            assert p.quantity == int(p.quantity)
        given_by_offer[offer.id] = given_by_offer.get(offer.id, 0.0) + p.quantity
        given_by_need[need.id] = given_by_need.get(need.id, 0.0) + p.need_quantity
        if offer.pricing != "donation":
            cost = p.quantity * offer.price_per_unit
            spent_need[need.id] = spent_need.get(need.id, 0.0) + cost
            org = need.organization_id
            spent_structure[org] = spent_structure.get(org, 0.0) + cost
        assert p.delivery_date.weekday() in (need.distribution_days or range(7))
        assert (
            max(offer.window_start, need.window_start, TODAY)
            <= p.delivery_date
            <= min(offer.window_end, need.window_end)
        )
    # The lots of one weekday's rounds weigh no more than its vehicles carry together (the cold
    # ones no more than its refrigerated vehicles: PARAMS' only Tuesday van is refrigerated).
    by_round: dict[int, float] = {}
    for p in result.proposals:
        if p.mode == "partner":
            by_round[p.delivery_date.weekday()] = by_round.get(p.delivery_date.weekday(), 0.0) + p.quantity_kg
    payload = {r.weekday: r.capacity_kg for r in params.rounds}
    for weekday, kg in by_round.items():
        assert kg <= payload[weekday] + 1e-6, (weekday, kg)
    for offer_id, total in given_by_offer.items():
        assert total <= offer_by_id[offer_id].quantity + 1e-6
    for need_id, total in given_by_need.items():
        assert total <= need_by_id[need_id].quantity + 1e-6
    for need_id, total in spent_need.items():
        limit = need_by_id[need_id].budget_eur
        assert limit is None or total <= limit + 1e-6
    for org, total in spent_structure.items():
        limit = budget.get(org)
        assert limit is None or total <= limit + 1e-6


def _scored(offers, needs, params, structures=()):
    c = find_candidates(offers, needs, params=params, structures=structures)
    s = score_candidates(c, weights=Weights(), params=params)
    return top_per_need(c, s, params.max_candidates_per_need)


@FAST
@given(seeds, st.integers(1, 60), st.integers(1, 30), st.sampled_from([0.0, 0.3, 1.0, 3.0]))
def test_the_lp_objective_is_at_least_the_greedy_one(seed, n_offers, n_needs, fairness):
    # Without minimum quantities, grains and budgets the LP is exact: it never does worse than greedy.
    offers, needs, structures = random_instance(
        seed, n_offers, n_needs, kg_only=True, minimums=False, budgets=False, packs=False
    )
    params = replace(PARAMS, fairness_strength=fairness)
    c, s = _scored(offers, needs, params, structures)
    fm = fairness_model(c, params)
    lp = objective_value(c, s, allocate_lp(c, s, params, fm), params, fm=fm)
    greedy = objective_value(c, s, allocate_greedy(c, s), params, fm=fm)
    assert lp >= greedy - 1e-6 * max(1.0, abs(greedy))


@FAST
@given(
    seeds,
    st.integers(1, 60),
    st.integers(1, 30),
    st.sampled_from([0.0, 0.3, 1.0, 3.0]),
    st.sampled_from([1.0, 2.0, 4.0]),
)
def test_the_min_cost_flow_stays_within_a_thousandth_of_the_lp_of_the_same_objective(
    seed, n_offers, n_needs, fairness, alpha
):
    # Integer flow units of 10 g and costs in hundredths of a point: the flow optimum is the
    # LP optimum up to 0.01 point per unit for the score and as much for each fairness segment.
    offers, needs, structures = random_instance(
        seed, n_offers, n_needs, kg_only=True, minimums=False, budgets=False, packs=False
    )
    params = replace(PARAMS, fairness_strength=fairness, fairness_alpha=alpha)
    c, s = _scored(offers, needs, params, structures)
    fm = fairness_model(c, params)
    x = allocate_flow(c, s, params, fm)
    flow = objective_value(c, s, x, params, fm=fm)
    lp = objective_value(c, s, allocate_lp(c, s, params, fm), params, fm=fm)
    greedy = objective_value(c, s, allocate_greedy(c, s), params, fm=fm)
    assert lp * (1 - 1e-3) - 1e-6 <= flow <= lp + 1e-6 * max(1.0, abs(lp))
    assert flow >= greedy - 0.02 * float(x.sum()) - 1e-6


@FAST
@given(seeds, st.integers(1, 40), st.integers(1, 20))
def test_with_minimums_packs_and_budgets_the_flow_stays_close_to_the_lp(seed, n_offers, n_needs):
    offers, needs, structures = random_instance(seed, n_offers, n_needs)
    c, s = _scored(offers, needs, PARAMS, structures)
    fm = fairness_model(c, PARAMS)
    flow = objective_value(c, s, allocate_flow(c, s, PARAMS, fm), PARAMS, fm=fm)
    lp = objective_value(c, s, allocate_lp(c, s, PARAMS, fm), PARAMS, fm=fm)
    # Both repair the same way around different optima; neither is exact here.
    assert flow >= 0.9 * lp - 1e-6


def test_pieces_go_in_whole_units_and_the_last_grams_below_a_flow_step_are_not_lost():
    pieces = make_offer(id=1, unit="piece", quantity=7.0, min_quantity=0.0, storage="ambient")
    kilos = make_offer(id=2, quantity=3.456, min_quantity=0.0, storage="ambient")
    needs = [make_need(id=1, unit="piece", quantity=10.0), make_need(id=2, quantity=50.0)]
    result = run([pieces, kilos], needs, params=PARAMS)
    # The flow counts 10 g steps (3.45 kg); the 6 g left over are handed out afterwards.
    assert {p.offer_id: p.quantity for p in result.proposals} == {1: 7.0, 2: 3.456}


def test_the_flow_serves_the_least_served_structure_better_than_greedy():
    offer = make_offer(quantity=100.0, min_quantity=0.0, storage="ambient", logistics=frozenset({"partner"}))
    well_fed = make_need(id=1, organization_id=1, road_km=2.0, quantity=100.0)
    starved = make_need(id=2, organization_id=2, road_km=60.0, quantity=100.0)
    structures = [
        StructureInput(id=1, people_served_per_week=50, received_kg=500.0),
        StructureInput(id=2, people_served_per_week=50, received_kg=0.0),
    ]
    c, s = _scored([offer], [well_fed, starved], PARAMS, structures)
    scores = dict(zip(c.needs.id[c.need_idx].tolist(), s.score.tolist(), strict=True))
    assert scores[1] > scores[2]  # greedy alone gives everything to the well-fed one
    greedy = allocate_greedy(c, s)
    assert dict(zip(c.needs.id[c.need_idx].tolist(), greedy.tolist(), strict=True))[2] == 0.0
    fm = fairness_model(c, PARAMS)
    for exact in (allocate_flow(c, s, PARAMS, fm), allocate_lp(c, s, PARAMS, fm)):
        # 75 kg fill the starved structure's first segment (a quarter of its fair share of
        # 300 kg), worth more than the 2 km structure's better score; the rest goes by score.
        given = dict(zip(c.needs.id[c.need_idx].tolist(), exact.tolist(), strict=True))
        assert given == {1: pytest.approx(25.0), 2: pytest.approx(75.0)}


@pytest.mark.parametrize("mode", ["flow", "lp"])
def test_allocations_below_the_offer_minimum_are_closed_and_reallocated(mode):
    # 25 kg for two needs of 20 kg with a 10 kg minimum: a 20 + 5 split is not allowed.
    offer = make_offer(quantity=25.0, min_quantity=10.0)
    needs = [make_need(id=i, organization_id=i, quantity=20.0, road_km=3.0 * i) for i in (1, 2)]
    result = run([offer], needs, params=replace(PARAMS, mode=mode))
    assert [(p.need_id, p.quantity) for p in result.proposals] in (
        [(1, 20.0)],
        [(1, 15.0), (2, 10.0)],
    )
    assert all(p.quantity >= 10.0 for p in result.proposals)


def test_a_short_allocation_frees_quantity_for_a_pair_that_reaches_the_minimum():
    # Unconstrained, the flow sends offer 1's last 4 kg to need 2, below its 5 kg minimum;
    # that pair is closed and the flow re-solved around it, every proposal reaching its minimum.
    offers = [
        make_offer(id=1, quantity=24.0, min_quantity=5.0, storage="ambient"),
        make_offer(id=2, quantity=5.0, min_quantity=5.0, storage="ambient", lat=north_of_cluny(4.0)[0]),
    ]
    needs = [make_need(id=1, quantity=20.0, road_km=1.0), make_need(id=2, quantity=9.0, road_km=6.0)]
    result = run(offers, needs, params=PARAMS)
    assert [(p.offer_id, p.need_id, p.quantity) for p in result.proposals] == [(1, 1, 20.0), (2, 2, 5.0)]


@FAST
@given(seeds, st.integers(1, 40), st.integers(1, 20))
def test_two_runs_give_identical_results_whatever_the_input_order(seed, n_offers, n_needs):
    offers, needs, structures = random_instance(seed, n_offers, n_needs)
    first = run(offers, needs, params=PARAMS, structures=structures)
    again = run(list(reversed(offers)), list(reversed(needs)), params=PARAMS, structures=structures[::-1])
    assert first.proposals == again.proposals
    assert first.stats.objective == again.stats.objective
    keys = [(p.need_id, -p.score, p.offer_id) for p in first.proposals]
    assert keys == sorted(keys)


def test_an_empty_territory_yields_no_proposal():
    result = run([], [], params=PARAMS)
    assert result.proposals == ()
    assert math.isnan(result.stats.least_served_fill_rate)


def test_invalid_inputs_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="unit"):
        make_offer(unit="sack")
    with pytest.raises(ValueError, match="kilogram weighs 1 kg"):
        make_offer(kg_per_unit=2.0)
    with pytest.raises(ValueError, match="window_start"):
        make_need(window_start=days(3), window_end=days(1))
    with pytest.raises(ValueError, match="distribution_days"):
        make_need(distribution_days=frozenset({7}))
    with pytest.raises(ValueError, match="mode"):
        Params(today=TODAY, mode="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="breakpoints"):
        Params(today=TODAY, fairness_breakpoints=(0.5, 0.25))


def test_the_exact_min_cost_flow_is_the_default_allocation():
    assert Params(today=TODAY).mode == "flow"


def test_spending_counts_what_each_need_and_structure_pays():
    offer = make_offer(quantity=10.0, min_quantity=0.0)  # 2 €/kg
    need = make_need(organization_id=20)
    c, s = _scored([offer], [need], PARAMS, [StructureInput(id=20, people_served_per_week=10)])
    per_need, per_structure = spending(c, np.array([10.0]))
    assert (per_need.tolist(), per_structure.tolist()) == ([20.0], [20.0])


def test_a_structure_whose_round_day_is_full_is_no_rival_for_fairness():
    # The Friday car (150 kg) is full of another farm's lot for structure B; the Tuesday van
    # takes the first farm's lot to A. B's need had room and B scores better, but no round
    # could have carried more to B that Friday: the score and the payload gave A its lot, not
    # fairness.
    ambient = {"logistics": frozenset({"partner"}), "storage": "ambient", "min_quantity": 10.0}
    to_a = make_offer(id=1, quantity=100.0, **ambient)
    to_b = make_offer(id=2, organization_id=11, quantity=150.0, category_id=12, category_ancestors=(12, 2), **ambient)
    a = make_need(id=7, organization_id=20, road_km=200.0, quantity=100.0)
    b = make_need(
        id=8, organization_id=21, road_km=5.0, quantity=400.0, category_ids=frozenset({1, 2}),
        distribution_days=frozenset({4}),
    )  # fmt: skip
    structures = [StructureInput(id=20, people_served_per_week=100), StructureInput(id=21, people_served_per_week=100)]
    result = run([to_a, to_b], [a, b], params=PARAMS, structures=structures)
    by_pair = {(p.offer_id, p.need_id): p for p in result.proposals}
    assert by_pair[(2, 8)].quantity == 150.0 and by_pair[(2, 8)].delivery_date == days(4)
    assert by_pair[(1, 7)].delivery_date == days(1)
    assert not by_pair[(1, 7)].fairness_decided
    assert all(r.code != "fairness_priority" for r in by_pair[(1, 7)].reasons)


def test_a_lot_left_out_by_a_full_round_day_goes_on_the_next_round_day_of_its_window():
    # Both 300 kg lots first suit Tuesday (TODAY is a Monday), whose van carries 500 kg: what
    # is left of a lot then rides the Friday car (150 kg) instead of staying behind, in time.
    ambient = {"logistics": frozenset({"partner"}), "storage": "ambient", "min_quantity": 10.0}
    first = make_offer(id=1, quantity=300.0, **ambient)
    second = make_offer(id=2, organization_id=11, quantity=300.0, **ambient)
    needs = [
        make_need(id=7, road_km=100.0, quantity=300.0),
        make_need(id=8, organization_id=21, road_km=110.0, quantity=300.0),
    ]
    for mode in ("flow", "lp"):
        proposals = run([first, second], needs, params=replace(PARAMS, mode=mode)).proposals
        by_day: dict = {}
        for p in proposals:
            by_day[p.delivery_date] = by_day.get(p.delivery_date, 0.0) + p.quantity_kg
            assert reason(p, "pooled_round") == {"weekday": p.delivery_date.weekday()}
        assert by_day == {days(1): pytest.approx(500.0), days(4): pytest.approx(100.0)}, mode
    # A window that ends before Friday keeps the lot behind.
    short = [replace(n, window_end=days(3)) for n in needs]
    assert sum(p.quantity_kg for p in run([first, second], short, params=PARAMS).proposals) == pytest.approx(500.0)
