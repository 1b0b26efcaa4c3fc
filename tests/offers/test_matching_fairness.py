"""Fairness as the allocation's objective, units in kilogram-equivalents, packs, budgets,
distribution days and near-misses, on the pure engine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from offers.matching import (
    NeedInput,
    OfferInput,
    Params,
    StructureInput,
    Weights,
    allocate_flow,
    allocate_maxmin,
    check_pair,
    fairness_model,
    fill_rates,
    find_candidates,
    least_served,
    near_misses,
    run,
    score_candidates,
    segment_slopes,
    top_per_need,
)
from tests.offers.engine_instances import TODAY, days, random_instance

PARAMS = Params(today=TODAY)
CLUNY = (46.4347, 4.6591)
KM_PER_DEGREE_LAT = 111.195
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def offer(**changes) -> OfferInput:
    base = OfferInput(
        id=1,
        organization_id=10,
        category_id=11,
        category_ancestors=(11, 1),
        lat=CLUNY[0],
        lon=CLUNY[1],
        quantity=90.0,
        unit="kg",
        min_quantity=0.0,
        window_start=TODAY,
        window_end=days(10),
        use_by=None,
        storage="ambient",
        pricing="donation",
        price_per_unit=None,
        usual_price_per_unit=None,
        logistics=frozenset({"delivery"}),
        delivery_radius_km=30.0,
    )
    return replace(base, **changes)


def need(id_: int, *, road_km: float = 10.0, **changes) -> NeedInput:
    base = NeedInput(
        id=id_,
        organization_id=100 + id_,
        category_ids=frozenset({1}),
        lat=CLUNY[0] + road_km / 1.3 / KM_PER_DEGREE_LAT,
        lon=CLUNY[1],
        quantity=100.0,
        unit="kg",
        window_start=TODAY,
        window_end=days(14),
        accepts_purchase=True,
    )
    return replace(base, **changes)


def shares(result) -> dict[int, float]:
    out: dict[int, float] = {}
    for p in result.proposals:
        out[p.need_id] = out.get(p.need_id, 0.0) + p.quantity
    return out


# --- The promise -------------------------------------------------------------------------


def test_a_scarce_offer_goes_mostly_to_the_structure_least_served_for_the_people_it_serves():
    needs = [need(1), need(2), need(3)]  # same distance, same need
    people = {101: 180, 102: 60, 103: 60}
    before = [StructureInput(id=k, people_served_per_week=v) for k, v in people.items()]
    first = shares(run([offer()], needs, params=PARAMS, structures=before))
    assert sum(first.values()) <= 90.0 + 1e-9
    assert first[1] > first[2] + first[3]
    assert first == {1: pytest.approx(54.0), 2: pytest.approx(18.0), 3: pytest.approx(18.0)}  # 3 : 1 : 1

    # Deliveries recorded to the two others beforehand move the shares further towards it.
    fed = [replace(s, received_kg=20.0) if s.id != 101 else s for s in before]
    second = shares(run([offer()], needs, params=PARAMS, structures=fed))
    assert sum(second.values()) <= 90.0 + 1e-9
    assert second[1] > first[1] and second.get(2, 0) < first[2] and second.get(3, 0) < first[3]


def test_receiving_before_lowers_a_priority_and_serving_more_people_raises_it():
    needs = [need(1), need(2)]
    equal = [StructureInput(id=101, people_served_per_week=100), StructureInput(id=102, people_served_per_week=100)]
    split = shares(run([offer()], needs, params=PARAMS, structures=equal))
    assert split[1] == pytest.approx(split[2])
    received = shares(run([offer()], needs, params=PARAMS, structures=[replace(equal[0], received_kg=30.0), equal[1]]))
    assert received[1] < split[1] < received[2]
    more = shares(
        run([offer()], needs, params=PARAMS, structures=[replace(equal[0], people_served_per_week=150), equal[1]])
    )
    assert more[1] > split[1] > more[2]


def test_without_fairness_the_allocation_is_the_score_only_optimum():
    needs = [need(1, road_km=2.0), need(2, road_km=20.0)]
    structures = [
        StructureInput(id=101, people_served_per_week=10, received_kg=500),
        StructureInput(id=102, people_served_per_week=500),
    ]
    assert shares(run([offer()], needs, params=replace(PARAMS, fairness_strength=0), structures=structures)) == {
        1: 90.0
    }
    assert shares(run([offer()], needs, params=PARAMS, structures=structures))[2] > 45.0


def test_the_fairness_reason_says_what_was_received_for_how_many_people_when_it_decided():
    needs = [need(1, road_km=2.0), need(2, road_km=20.0)]
    structures = [
        StructureInput(id=101, people_served_per_week=40, received_kg=300.0),
        StructureInput(id=102, people_served_per_week=180),
    ]
    result = run([offer()], needs, params=PARAMS, structures=structures)
    by_need = {p.need_id: p for p in result.proposals}
    assert by_need[2].fairness_decided
    assert by_need[2].reasons[0].as_dict() == {
        "code": "fairness_priority",
        "params": {"received_kg": 0.0, "people": 180, "days": 30},
    }
    assert all(r.code != "fairness_priority" for r in by_need.get(1, by_need[2]).reasons[1:])
    alone = run([offer()], [need(2)], params=PARAMS, structures=structures)
    assert [r.code for r in alone.proposals[0].reasons][0] == "distance"  # nobody to compete with


def test_the_utility_is_concave_with_slopes_falling_as_a_structure_fills():
    for alpha in (1.0, 2.0, 4.0):
        slopes = segment_slopes(PARAMS.fairness_breakpoints, alpha)
        assert np.all(slopes > 0) and np.all(np.diff(slopes) < 0) and slopes[0] <= 1.0


def test_each_structure_gets_its_entitlement_and_fill_rate_in_the_result():
    structures = [
        StructureInput(id=101, people_served_per_week=180),
        StructureInput(id=102, people_served_per_week=60, received_kg=30.0),
    ]
    result = run([offer()], [need(1), need(2)], params=PARAMS, structures=structures)
    rho = (30.0 + 90.0) / 240  # receipts plus the run's supply, per person served
    assert result.fill_rates[101]["entitlement_kg"] == pytest.approx(180 * rho)
    assert result.fill_rates[102]["entitlement_kg"] == pytest.approx(60 * rho)
    for row in result.fill_rates.values():
        assert row["fill_rate"] == pytest.approx((row["received_kg"] + row["allocated_kg"]) / row["entitlement_kg"])
    assert result.stats.least_served_fill_rate == min(r["fill_rate"] for r in result.fill_rates.values())


# --- Properties of the exact allocation ----------------------------------------------------


def _exact(offers, needs, structures):
    """The exact flow (no minimums, packs nor budgets: nothing the repair changes)."""
    c = find_candidates(offers, needs, params=PARAMS, structures=structures)
    s = score_candidates(c, weights=Weights(), params=PARAMS)
    c, s = top_per_need(c, s, PARAMS.max_candidates_per_need)
    fm = fairness_model(c, PARAMS)
    x = allocate_flow(c, s, PARAMS, fm)
    org = c.needs.organization_id[c.need_idx]
    return {int(k): float(x[org == k].sum()) for k in np.unique(org)}


def _instance(seed, n_offers, n_needs):
    offers, needs, structures = random_instance(
        seed, n_offers, n_needs, kg_only=True, minimums=False, budgets=False, packs=False
    )
    assume(structures)
    return offers, needs, structures


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(2, 16), st.data())
def test_adding_a_past_receipt_to_a_structure_never_increases_its_allocation(seed, n_offers, n_needs, data):
    offers, needs, structures = _instance(seed, n_offers, n_needs)
    k = data.draw(st.integers(0, len(structures) - 1))
    extra = data.draw(st.sampled_from([1.0, 10.0, 50.0, 400.0]))
    before = _exact(offers, needs, structures)
    more = list(structures)
    more[k] = replace(more[k], received_kg=more[k].received_kg + extra)
    after = _exact(offers, needs, more)
    sid = structures[k].id
    assert after.get(sid, 0.0) <= before.get(sid, 0.0) + 1e-6


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(2, 16), st.data())
def test_raising_the_people_a_structure_serves_never_decreases_its_allocation(seed, n_offers, n_needs, data):
    offers, needs, structures = _instance(seed, n_offers, n_needs)
    k = data.draw(st.integers(0, len(structures) - 1))
    extra = data.draw(st.sampled_from([1, 10, 100, 1000]))
    before = _exact(offers, needs, structures)
    more = list(structures)
    more[k] = replace(more[k], people_served_per_week=more[k].people_served_per_week + extra)
    after = _exact(offers, needs, more)
    sid = structures[k].id
    assert after.get(sid, 0.0) >= before.get(sid, 0.0) - 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(5, 40), st.integers(4, 20))
def test_the_max_min_allocation_is_the_highest_lowest_fill_rate(seed, n_offers, n_needs):
    offers, needs, structures = _instance(seed, n_offers, n_needs)
    c = find_candidates(offers, needs, params=PARAMS, structures=structures)
    s = score_candidates(c, weights=Weights(), params=PARAMS)
    fm = fairness_model(c, PARAMS)
    assume(fm.taking_part(c).any())
    default = least_served(fill_rates(c, allocate_flow(c, s, PARAMS, fm), PARAMS, fm))
    maxmin = least_served(fill_rates(c, allocate_maxmin(c, s, PARAMS, fm), PARAMS, fm))
    assert maxmin[0] >= default[0] - 1e-3


# --- Units, packs, budgets, days ---------------------------------------------------------


def test_eggs_by_the_dozen_meet_a_need_counted_in_eggs_and_count_their_mass():
    dozens = offer(unit="dozen", kg_per_unit=0.696, quantity=10.0)
    in_eggs = need(1, unit="piece", kg_per_unit=0.058, quantity=30.0)
    (proposal,) = run([dozens], [in_eggs], params=PARAMS).proposals
    assert (proposal.quantity, proposal.need_quantity) == (2.0, 24.0)  # whole dozens, within 30 eggs
    assert proposal.quantity_kg == pytest.approx(1.392)
    # Without a documented mass, pieces still meet pieces, never kilograms.
    assert run([offer(unit="piece", quantity=10.0)], [need(1, unit="piece")], params=PARAMS).proposals
    codes = [r.code for r in check_pair(offer(unit="piece", quantity=10.0), need(1), params=PARAMS)]
    assert codes == ["unit_mismatch"]


def test_a_litre_of_milk_meets_a_need_in_kilograms_through_its_density():
    milk = offer(unit="l", kg_per_unit=1.03, quantity=50.0)
    (proposal,) = run([milk], [need(1, quantity=20.0)], params=PARAMS).proposals
    assert proposal.need_quantity == pytest.approx(20.0, abs=0.01)
    assert proposal.quantity == pytest.approx(20.0 / 1.03, abs=0.001)


def test_quantities_are_multiples_of_the_pack_size():
    packs = offer(pack_size=0.5, quantity=10.0)
    (proposal,) = run([packs], [need(1, quantity=3.7)], params=PARAMS).proposals
    assert proposal.quantity == 3.5
    assert [r.code for r in check_pair(offer(pack_size=5.0), need(1, quantity=3.0), params=PARAMS)] == [
        "quantity_below_minimum"
    ]


def test_the_engine_never_proposes_what_the_budget_left_cannot_pay():
    sale = offer(pricing="solidarity", price_per_unit=2.0, usual_price_per_unit=2.5, quantity=100.0)
    broke = [StructureInput(id=101, people_served_per_week=50, budget_eur=30.0)]
    (proposal,) = run([sale], [need(1)], params=PARAMS, structures=broke).proposals
    assert proposal.quantity == 15.0  # 30 € at 2 €/kg
    second = replace(sale, id=2)
    total = sum(
        p.quantity * 2.0
        for p in run([sale, second], [need(1), need(2, organization_id=101)], params=PARAMS, structures=broke).proposals
    )
    assert total <= 30.0 + 1e-9
    empty = [replace(broke[0], budget_eur=0.0)]
    assert [r.code for r in check_pair(sale, need(1), params=PARAMS, structures=empty)] == ["budget_exhausted"]
    assert run([offer()], [need(1)], params=PARAMS, structures=empty).proposals  # donations still come


def test_the_delivery_date_proposed_is_a_distribution_day_of_the_structure():
    # TODAY is a Monday; the structure distributes on Thursdays (3).
    thursdays = need(1, distribution_days=frozenset({3}), distribution_hours="14 h – 17 h")
    (proposal,) = run([offer()], [thursdays], params=PARAMS).proposals
    assert proposal.delivery_date == days(3) and proposal.delivery_date.weekday() == 3
    assert proposal.reasons[-1].as_dict() == {
        "code": "delivery_day",
        "params": {"date": days(3).isoformat(), "days": [3], "hours": "14 h – 17 h"},
    }
    short = offer(window_end=days(2))  # Monday to Wednesday: no Thursday
    assert [r.code for r in check_pair(short, thursdays, params=PARAMS)] == ["no_distribution_day"]


# --- Near-misses -----------------------------------------------------------------------------


def test_near_misses_group_the_offers_one_constraint_kept_out_nearest_first():
    far = [
        offer(id=i, delivery_radius_km=5.0, logistics=frozenset({"pickup"}), lat=CLUNY[0] - 0.15 * i) for i in (1, 2, 3)
    ]
    chilled = offer(id=9, storage="chilled", category_id=12, category_ancestors=(12, 1))
    other = offer(id=10, category_id=21, category_ancestors=(21, 2))  # another family: not a near-miss
    structure_need = need(1, pickup_radius_km=25.0, has_vehicle=True, has_fridge=False)
    feasible, reasons = near_misses([*far, chilled, other], structure_need, params=PARAMS)
    assert feasible == 0
    assert [(r.params["constraint"], r.params["count"]) for r in reasons] == [("no_fridge", 1), ("out_of_reach", 3)]
    reach = reasons[1].params
    assert reach["radius_km"] == 25.0 and reach["min_km"] < reach["max_km"] and reach["category_id"] == 1
