"""The pure matching engine: hard constraints, scores, explanations and allocation.

Runs without Django: `pytest tests/offers/test_matching_engine.py -p no:django`.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offers.matching import (
    NeedInput,
    OfferInput,
    Params,
    Weights,
    allocate_flow,
    allocate_greedy,
    allocate_lp,
    candidates_bruteforce,
    check_pair,
    find_candidates,
    least_served_coverage,
    objective_value,
    run,
    score_candidates,
    top_per_need,
)

TODAY = date(2025, 5, 12)
PARAMS = Params(today=TODAY)
CLUNY = (46.4347, 4.6591)
KM_PER_DEGREE_LAT = 111.195  # on the engine's sphere
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


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
        people_served_per_week=50,
    )
    return replace(need, **changes)


def codes(reasons: list[str]) -> list[str]:
    return [reason.split(" : ", 1)[0] for reason in reasons]


def assert_only_excluded_by(offer: OfferInput, need: NeedInput, code: str, **kwargs) -> list[str]:
    """The pair is not proposed, and `code` is the one reason given."""
    excluded = kwargs.get("excluded_pairs", frozenset())
    assert find_candidates([offer], [need], params=PARAMS, excluded_pairs=excluded).id_pairs() == set()
    assert run([offer], [need], params=PARAMS, excluded_pairs=excluded).proposals == ()
    reasons = check_pair(offer, need, params=PARAMS, excluded_pairs=excluded)
    assert codes(reasons) == [code]
    return reasons


def proposed(offer: OfferInput, need: NeedInput, params: Params = PARAMS):
    result = run([offer], [need], params=params)
    assert check_pair(offer, need, params=params) == []
    assert len(result.proposals) == 1
    return result.proposals[0]


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


def test_a_logistics_partner_carries_up_to_its_limit_only():
    offer = make_offer(logistics=frozenset({"partner"}))
    assert proposed(offer, make_need(road_km=79.0)).mode == "partner"
    assert_only_excluded_by(offer, make_need(road_km=81.0), "out_of_reach")


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
    reasons = assert_only_excluded_by(offer, replace(need, gleaning_volunteers=0), "out_of_reach")
    assert "bénévoles" in reasons[0]


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


def test_the_explanation_reads_as_a_short_french_sentence():
    offer = make_offer(price_per_unit=10.80, usual_price_per_unit=11.74, quantity=50.0)
    need = make_need(road_km=12.0, quantity=83.3, max_price_per_unit=12.0)
    assert proposed(offer, need).explanation == (
        "12 km · la ferme livre jusqu'à 20 km · frigo disponible · 10,80 €/kg (−8 %) · couvre 60 % du besoin"
    )


@pytest.mark.parametrize(
    ("offer_changes", "need_changes", "expected"),
    [
        (
            {"pricing": "donation", "price_per_unit": None, "storage": "ambient"},
            {"road_km": 4.5},
            "4,5 km · la ferme livre jusqu'à 20 km · don · couvre 100 % du besoin",
        ),
        (
            {"logistics": frozenset({"pickup"}), "pricing": "donation", "storage": "ambient"},
            {"pickup_radius_km": 30.0, "has_vehicle": True},
            "10 km · enlèvement par la structure (rayon 30 km) · don · couvre 100 % du besoin",
        ),
        (
            {"logistics": frozenset({"gleaning"}), "pricing": "donation", "storage": "ambient"},
            {"pickup_radius_km": 30.0, "gleaning_volunteers": 4},
            "10 km · glanage par 4 bénévoles · don · couvre 100 % du besoin",
        ),
    ],
)
def test_the_explanation_names_who_carries_the_goods(offer_changes, need_changes, expected):
    assert proposed(make_offer(**offer_changes), make_need(**need_changes)).explanation == expected


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


def test_past_deliveries_between_the_two_organisations_raise_the_score():
    offer, need = make_offer(), make_need()
    plain = run([offer], [need], params=PARAMS).proposals[0]
    known = run([offer], [need], params=PARAMS, history={(10, 20): 6}).proposals[0]
    assert plain.components["history"] == 0
    assert known.components["history"] == pytest.approx(0.75)
    assert known.score > plain.score


def test_a_structure_that_received_little_per_person_scores_higher_on_fairness():
    starved = proposed(make_offer(), make_need(received_quantity_recent=0.0)).components["fairness"]
    fed = proposed(make_offer(), make_need(received_quantity_recent=40.0)).components["fairness"]
    assert (starved, fed) == (1.0, pytest.approx(0.2))


def test_territory_weights_are_normalised_and_validated():
    weights = Weights(distance=2, coverage=2, urgency=0, price=0, labels=0, recurrence=0, history=0, fairness=0)
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


def random_instance(
    seed: int, n_offers: int, n_needs: int, *, kg_only: bool = False, minimums: bool = True
) -> tuple[list[OfferInput], list[NeedInput]]:
    rng = random.Random(seed)
    units = ["kg"] if kg_only else ["kg", "kg", "l", "piece"]
    offers = []
    for i in range(n_offers):
        start = days(rng.randint(-5, 6))
        pricing = rng.choice(["donation", "donation", "solidarity", "market"])
        usual = rng.uniform(1, 5)
        leaf = rng.randint(11, 16)
        offers.append(
            OfferInput(
                id=1000 + i,
                organization_id=rng.randint(1, max(1, n_offers // 2)),
                category_id=leaf,
                category_ancestors=(leaf, 1 + leaf % 2),
                lat=46.0 + rng.uniform(0, 0.6),
                lon=4.3 + rng.uniform(0, 0.8),
                quantity=float(rng.randint(1, 120)),
                unit=rng.choice(units),
                min_quantity=float(rng.choice([0, 0, 2, 10])) if minimums else 0.0,
                window_start=start,
                window_end=start + timedelta(days=rng.randint(0, 15)),
                use_by=start + timedelta(days=rng.randint(0, 8)) if rng.random() < 0.3 else None,
                storage=rng.choice(["ambient", "ambient", "chilled", "frozen"]),
                pricing=pricing,
                price_per_unit=None if pricing == "donation" else round(usual * rng.uniform(0.6, 1.1), 2),
                usual_price_per_unit=usual,
                logistics=frozenset(rng.sample(["delivery", "pickup", "gleaning", "partner"], rng.randint(1, 2))),
                delivery_radius_km=float(rng.randint(0, 40)),
                labels=frozenset(rng.sample(["bio", "hve", "local"], rng.randint(0, 2))),
                recurrence=rng.choice(["once", "weekly", "monthly", "season"]),
                shelf_life_days=rng.choice([None, 2, 10]),
            )
        )
    needs = []
    for i in range(n_needs):
        start = days(rng.randint(0, 6))
        needs.append(
            NeedInput(
                id=5000 + i,
                organization_id=100 + rng.randint(1, max(1, n_needs // 2)),
                category_ids=frozenset(rng.sample([1, 2, 11, 12, 13, 14, 15, 16], rng.randint(1, 3))),
                lat=46.0 + rng.uniform(0, 0.6),
                lon=4.3 + rng.uniform(0, 0.8),
                quantity=float(rng.randint(1, 150)),
                unit=rng.choice(units),
                window_start=start,
                window_end=start + timedelta(days=rng.randint(0, 20)),
                accepts_purchase=rng.random() < 0.5,
                max_price_per_unit=rng.choice([None, 2.0, 4.0]),
                has_fridge=rng.random() < 0.7,
                chilled_capacity_kg=float(rng.randint(0, 100)),
                has_freezer=rng.random() < 0.4,
                frozen_capacity_kg=float(rng.randint(0, 100)),
                pickup_radius_km=float(rng.choice([0, 10, 25, 40])),
                has_vehicle=rng.random() < 0.6,
                gleaning_volunteers=rng.choice([0, 0, 3]),
                preferred_labels=frozenset(rng.sample(["bio", "hve", "local"], rng.randint(0, 2))),
                urgency=rng.randint(1, 3),
                frequency=rng.choice(["once", "weekly", "monthly"]),
                people_served_per_week=rng.randint(0, 200),
                received_quantity_recent=float(rng.randint(0, 300)),
            )
        )
    return offers, needs


seeds = st.integers(0, 2**32 - 1)


@FAST
@given(seeds, st.integers(0, 60), st.integers(0, 30), st.sampled_from([1.0, 1.3, 2.0]))
def test_the_spatial_index_finds_exactly_the_pairs_brute_force_finds(seed, n_offers, n_needs, detour):
    offers, needs = random_instance(seed, n_offers, n_needs)
    params = replace(PARAMS, road_detour_factor=detour)
    indexed = find_candidates(offers, needs, params=params)
    brute = candidates_bruteforce(offers, needs, params=params)
    assert indexed.id_pairs() == brute.id_pairs()
    for name in ("offer_idx", "need_idx", "mode", "cap", "distance_km", "earliest_day"):
        np.testing.assert_array_equal(getattr(indexed, name), getattr(brute, name))
    assert indexed.n_raw_pairs <= brute.n_raw_pairs


@FAST
@given(seeds, st.integers(1, 25), st.integers(1, 12))
def test_check_pair_finds_no_reason_exactly_for_the_candidate_pairs(seed, n_offers, n_needs):
    offers, needs = random_instance(seed, n_offers, n_needs)
    excluded = {(offers[0].id, needs[0].id)}
    found = find_candidates(offers, needs, params=PARAMS, excluded_pairs=excluded).id_pairs()
    for offer in offers:
        for need in needs:
            reasons = check_pair(offer, need, params=PARAMS, excluded_pairs=excluded)
            assert (reasons == []) == ((offer.id, need.id) in found), reasons


@FAST
@given(seeds, st.integers(1, 50), st.integers(1, 25), st.sampled_from(["flow", "lp", "greedy"]))
def test_allocations_never_exceed_offer_need_or_pair_quantities(seed, n_offers, n_needs, mode):
    offers, needs = random_instance(seed, n_offers, n_needs)
    params = replace(PARAMS, mode=mode)
    result = run(offers, needs, params=params)
    offer_by_id = {o.id: o for o in offers}
    need_by_id = {n.id: n for n in needs}
    given_by_offer: dict[int, float] = {}
    given_by_need: dict[int, float] = {}
    for p in result.proposals:
        offer, need = offer_by_id[p.offer_id], need_by_id[p.need_id]
        assert check_pair(offer, need, params=params) == []
        assert p.quantity >= offer.min_quantity - 1e-9
        assert p.quantity > 0
        if offer.unit == "piece":
            assert p.quantity == int(p.quantity)
        given_by_offer[offer.id] = given_by_offer.get(offer.id, 0.0) + p.quantity
        given_by_need[need.id] = given_by_need.get(need.id, 0.0) + p.quantity
    for offer_id, total in given_by_offer.items():
        assert total <= offer_by_id[offer_id].quantity + 1e-6
    for need_id, total in given_by_need.items():
        assert total <= need_by_id[need_id].quantity + 1e-6


def _scored(offers, needs, params):
    c = find_candidates(offers, needs, params=params)
    s = score_candidates(c, weights=Weights(), params=params)
    return top_per_need(c, s, params.max_candidates_per_need)


@FAST
@given(seeds, st.integers(1, 60), st.integers(1, 30), st.sampled_from([0.0, 0.3, 1.0]))
def test_the_lp_objective_is_at_least_the_greedy_one(seed, n_offers, n_needs, fairness):
    # Without minimum quantities the LP is exact, so it can never do worse than greedy.
    offers, needs = random_instance(seed, n_offers, n_needs, kg_only=True, minimums=False)
    params = replace(PARAMS, fairness_strength=fairness)
    c, s = _scored(offers, needs, params)
    lp = objective_value(c, s, allocate_lp(c, s, params), params)
    greedy = objective_value(c, s, allocate_greedy(c, s), params)
    assert lp >= greedy - 1e-6 * max(1.0, abs(greedy))


@FAST
@given(
    seeds,
    st.integers(1, 60),
    st.integers(1, 30),
    st.sampled_from([0.0, 0.3, 1.0]),
    st.sampled_from([0.0, 0.3, 0.55]),
)
def test_the_min_cost_flow_reaches_the_lp_optimum_and_beats_greedy(seed, n_offers, n_needs, fairness, first_share):
    # Integer flow units of 10 g and costs in hundredths of a point: the flow optimum is the
    # LP optimum up to 0.01 point per unit for the score and as much for the fairness bonus.
    offers, needs = random_instance(seed, n_offers, n_needs, kg_only=True, minimums=False)
    params = replace(PARAMS, fairness_strength=fairness, fairness_first_share=first_share)
    c, s = _scored(offers, needs, params)
    x = allocate_flow(c, s, params)
    flow = objective_value(c, s, x, params)
    lp = objective_value(c, s, allocate_lp(c, s, params), params)
    greedy = objective_value(c, s, allocate_greedy(c, s), params)
    slack = 0.01 * float(x.sum()) + 1e-6 * max(1.0, abs(lp))
    assert lp - slack <= flow <= lp + 1e-6 * max(1.0, abs(lp))
    assert flow >= greedy - slack


def test_the_flow_counts_pieces_in_whole_units_and_kilograms_in_ten_grams():
    pieces = make_offer(id=1, unit="piece", quantity=7.0, min_quantity=0.0, storage="ambient")
    kilos = make_offer(id=2, quantity=3.456, min_quantity=0.0, storage="ambient")
    needs = [
        make_need(id=1, unit="piece", quantity=10.0, received_quantity_recent=500.0),
        make_need(id=2, quantity=50.0, received_quantity_recent=500.0),
    ]
    c, s = _scored([pieces, kilos], needs, PARAMS)
    given = dict(zip(c.offers.id[c.offer_idx].tolist(), allocate_flow(c, s, PARAMS).tolist(), strict=True))
    assert given == {1: 7.0, 2: 3.45}


def test_the_lp_serves_the_least_served_structure_better_than_greedy():
    offer = make_offer(quantity=100.0, min_quantity=0.0, storage="ambient", logistics=frozenset({"partner"}))
    well_fed = make_need(id=1, organization_id=1, road_km=2.0, quantity=100.0, received_quantity_recent=500.0)
    starved = make_need(id=2, organization_id=2, road_km=60.0, quantity=100.0, received_quantity_recent=0.0)
    c, s = _scored([offer], [well_fed, starved], PARAMS)
    scores = dict(zip(c.needs.id[c.need_idx].tolist(), s.score.tolist(), strict=True))
    assert scores[1] > scores[2]  # greedy alone would give everything to the well-fed one

    greedy = allocate_greedy(c, s)
    for exact in (allocate_flow(c, s, PARAMS), allocate_lp(c, s, PARAMS)):
        assert least_served_coverage(c, exact, PARAMS) > least_served_coverage(c, greedy, PARAMS) == 0.0
        assert dict(zip(c.needs.id[c.need_idx].tolist(), exact.tolist(), strict=True))[2] == pytest.approx(30.0)


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
    offers, needs = random_instance(seed, n_offers, n_needs)
    first = run(offers, needs, params=PARAMS)
    again = run(list(reversed(offers)), list(reversed(needs)), params=PARAMS)
    assert first.proposals == again.proposals
    assert first.stats.objective == again.stats.objective
    keys = [(p.need_id, -p.score, p.offer_id) for p in first.proposals]
    assert keys == sorted(keys)


def test_an_empty_territory_yields_no_proposal():
    result = run([], [], params=PARAMS)
    assert result.proposals == ()
    assert math.isnan(result.stats.least_served_coverage)


def test_invalid_inputs_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="unit"):
        make_offer(unit="crate")
    with pytest.raises(ValueError, match="window_start"):
        make_need(window_start=days(3), window_end=days(1))
    with pytest.raises(ValueError, match="mode"):
        Params(today=TODAY, mode="random")  # type: ignore[arg-type]


def test_the_exact_min_cost_flow_is_the_default_allocation():
    assert Params(today=TODAY).mode == "flow"
