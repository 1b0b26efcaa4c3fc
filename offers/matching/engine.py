"""Stage 4: the whole run; why one pair is not feasible; why a need got nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from time import perf_counter

import numpy as np

from .allocation import allocate, later_rounds, objective_value, round_groups, spending
from .arrays import MASS, build_arrays
from .candidates import (
    excluded_keys,
    find_candidates_arrays,
    pair_caps,
    pair_carriers,
    pair_checks,
    pair_distance_km,
)
from .fairness import fairness_model, least_served
from .reasons import (
    NEAR_MISS_CODES,
    constraint_reasons,
    near_miss_reason,
    proposal_reasons,
)
from .scoring import COMPONENTS, score_candidates, top_per_need
from .types import (
    MODES,
    EngineResult,
    EngineStats,
    NeedInput,
    OfferInput,
    Params,
    Proposal,
    Reason,
    StructureInput,
    Weights,
)

#: Quantities proposed are given to the thousandth of a unit, never more than allocated.
THOUSANDTHS = 1000


def _in_unit(base: np.ndarray, per_unit: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """Base quantities back in a listing's unit: whole packs when it has a grain, else
    thousandths rounded down."""
    with np.errstate(divide="ignore", invalid="ignore"):
        quantity = base / per_unit
        packs = np.rint(quantity / pack) * pack
    thousandths = np.floor(quantity * THOUSANDTHS + 1e-6) / THOUSANDTHS
    return np.where(pack > 0, packs, thousandths)


def run(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    weights: Weights = Weights(),  # noqa: B008 - immutable
    structures: Sequence[StructureInput] = (),
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> EngineResult:
    """Candidates, scores, allocation; proposals sorted by (need_id, -score, offer_id)."""
    timings: dict[str, float] = {}
    start = perf_counter()
    o, n, s = build_arrays(offers, needs, structures)
    candidates = find_candidates_arrays(o, n, s, params, excluded_keys(o, n, excluded_pairs))
    timings["candidates"] = perf_counter() - start

    start = perf_counter()
    scores = score_candidates(candidates, weights=weights, params=params)
    kept, kept_scores = top_per_need(candidates, scores, params.max_candidates_per_need)
    timings["scores"] = perf_counter() - start

    start = perf_counter()
    fm = fairness_model(kept, params)
    x = allocate(kept, kept_scores, params, fm)
    kept, x = later_rounds(kept, kept_scores, params, x)
    timings["allocation"] = perf_counter() - start
    decided = np.zeros(len(kept), dtype=bool)
    if params.explain_fairness and fm.active and len(kept):
        decided = fairness_decided(kept, kept_scores, x, fm)

    start = perf_counter()
    oi, ni = kept.offer_idx, kept.need_idx
    pack = np.where(o.grain[oi] > 0, o.grain[oi] / o.base_per_unit[oi], 0.0)
    quantity = _in_unit(x, o.base_per_unit[oi], pack)
    chosen = np.flatnonzero((x > 0) & (quantity > 0))
    need_quantity = np.floor(x / n.base_per_unit[ni] * THOUSANDTHS + 1e-6) / THOUSANDTHS
    pair_struct = fm.pair_structure(kept)
    columns = zip(
        chosen.tolist(),
        quantity[chosen].tolist(),
        need_quantity[chosen].tolist(),
        x[chosen].tolist(),
        o.id[oi[chosen]].tolist(),
        n.id[ni[chosen]].tolist(),
        oi[chosen].tolist(),
        ni[chosen].tolist(),
        np.rint(kept_scores.score[chosen]).astype(int).tolist(),
        kept.distance_km[chosen].tolist(),
        kept.mode[chosen].tolist(),
        kept.delivery_day[chosen].tolist(),
        np.round(kept_scores.components[chosen], 4).tolist(),
        strict=True,
    )
    proposals = []
    for p, q, q_need, base, offer_id, need_id, o_i, n_i, score, distance, mode, day, comps in columns:
        fairness = None
        if decided[p]:
            t = int(pair_struct[p])
            fairness = (float(s.received_kg[t]), int(s.people[t]))
        proposals.append(
            Proposal(
                offer_id=offer_id,
                need_id=need_id,
                quantity=q,
                need_quantity=q_need,
                quantity_kg=round(base, 3) if o.dimension[o_i] == MASS else None,
                score=score,
                distance_km=round(distance, 1),
                mode=MODES[mode],  # type: ignore[arg-type]
                delivery_date=date.fromordinal(day),
                reasons=proposal_reasons(
                    offer_index=o_i,
                    need_index=n_i,
                    o=o,
                    n=n,
                    s=s,
                    distance_km=distance,
                    mode=mode,
                    quantity_base=base,
                    delivery_day=day,
                    params=params,
                    fairness=fairness,
                ),
                components=dict(zip(COMPONENTS, comps, strict=True)),
                fairness_decided=bool(decided[p]),
            )
        )
    proposals.sort(key=lambda pr: (pr.need_id, -pr.score, pr.offer_id))
    timings["output"] = perf_counter() - start

    allocated = fm.allocated(kept, x)
    rates = np.where(fm.taking_part(kept), fm.fill_rates(allocated), np.nan)
    lowest, decile = least_served(rates)
    fill = {}
    for t in np.flatnonzero(np.isfinite(rates)).tolist():
        fill[int(s.id[t])] = {
            "people": int(s.people[t]),
            "entitlement_kg": float(fm.entitlement[t]),
            "received_kg": float(s.received_kg[t]),
            "allocated_kg": float(allocated[t]),
            "fill_rate": float(rates[t]),
        }
    stats = EngineStats(
        n_offers=len(o),
        n_needs=len(n),
        n_candidate_pairs=len(candidates),
        n_scored_pairs=len(kept),
        n_proposals=len(proposals),
        objective=objective_value(kept, kept_scores, x, params, with_fairness=False, fm=fm),
        objective_with_fairness=objective_value(kept, kept_scores, x, params, fm=fm),
        least_served_fill_rate=lowest,
        least_served_decile=decile,
        timings_s=timings,
    )
    return EngineResult(tuple(proposals), stats, fill)


def fairness_decided(c, s, x: np.ndarray, fm) -> np.ndarray:
    """Pairs the fairness objective decided: the structure got quantity of an offer that
    another structure's pair, scoring at least as well (within half a point), could still
    have taken (its need had room, its budget too, and its weekday's pooled rounds payload
    left — or it rides the same weekday, which the quantity given up would free): priority,
    not the score, gave it."""
    o = c.offers
    step = np.where(o.grain[c.offer_idx] > 0, o.grain[c.offer_idx], 0.01)
    need_left = c.needs.quantity - np.bincount(c.need_idx, weights=x, minlength=len(c.needs))
    per_need, per_struct = spending(c, x)
    price = c.price()
    money = np.where(np.isnan(c.needs.budget), np.inf, c.needs.budget - per_need)[c.need_idx]
    t = c.needs.structure[c.need_idx]
    struct_left = np.where(np.isnan(c.structures.budget), np.inf, c.structures.budget - per_struct)
    money[t >= 0] = np.minimum(money[t >= 0], struct_left[t[t >= 0]])
    room = (c.cap - x > step) & (need_left[c.need_idx] > step) & ((price <= 0) | (money > price * step))
    owner = c.needs.organization_id[c.need_idx]
    # A weekday's rounds full: its pairs take nothing more, unless the decided pair frees room
    # on that same day.
    round_room = np.ones(len(c), dtype=bool)
    for of_pair, limit in round_groups(c):
        on = of_pair >= 0
        loaded = np.bincount(of_pair[on], weights=x[on], minlength=len(limit))
        round_room[on] &= (limit - loaded)[of_pair[on]] > step[on]
    rival = _rival(c.offer_idx, len(o), room & round_room, s.score, owner)
    if c.round_weekday is not None and (c.round_weekday >= 0).any():
        day = c.round_weekday.astype(np.int64)
        key = np.where(day >= 0, c.offer_idx * 7 + day, 0)
        same_day = _rival(key, len(o) * 7, room & (day >= 0), s.score, owner)
        rival = np.where(day >= 0, np.maximum(rival, same_day), rival)
    return (x > 0) & (fm.pair_structure(c) >= 0) & (rival >= s.score - 0.5)


def _rival(key: np.ndarray, n_keys: int, room: np.ndarray, score: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per pair, the best score among the pairs of its key (its offer, or its offer and
    weekday) that have room and belong to another structure (-inf: none)."""
    with_room = np.flatnonzero(room)
    order = with_room[np.lexsort((-score[with_room], key[with_room]))]
    best = np.full(n_keys, -np.inf)
    best_owner = np.full(n_keys, -1, dtype=np.int64)
    second = np.full(n_keys, -np.inf)
    if len(order):
        keys_sorted = key[order]
        first = np.r_[0, np.flatnonzero(np.diff(keys_sorted)) + 1]
        heads = order[first]
        best[key[heads]] = score[heads]
        best_owner[key[heads]] = owner[heads]
        other = owner[order] != best_owner[keys_sorted]
        candidates = np.where(other, score[order], -np.inf)
        np.maximum.at(second, keys_sorted, candidates)
    return np.where(best_owner[key] != owner, best[key], second[key])


def check_pair(
    offer: OfferInput,
    need: NeedInput,
    *,
    params: Params,
    structures: Sequence[StructureInput] = (),
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> list[Reason]:
    """Why this pair breaks hard constraints: the reasons, in report order.

    An empty list means the pair is feasible: exactly the pairs `find_candidates`
    returns, since both use the same vectorised rules.
    """
    structures = [x for x in structures if x.id == need.organization_id]
    o, n, s = build_arrays([offer], [need], structures)
    one = np.zeros(1, dtype=np.intp)
    checks = pair_checks(o, n, s, one, one, params, excluded_keys(o, n, excluded_pairs))
    d, _mode, _day, carry, _strict = pair_carriers(o, n, one, one, params)
    distance = float(d[0])
    caps = tuple(float(c[0]) for c in pair_caps(o, n, s, one, one, carry))
    return constraint_reasons(checks, 0, o=o, n=n, s=s, oi=0, ni=0, distance_km=distance, caps=caps, params=params)


def near_misses(
    offers: Sequence[OfferInput],
    need: NeedInput,
    *,
    params: Params,
    structures: Sequence[StructureInput] = (),
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
    limit: int = 5,
) -> tuple[int, list[Reason]]:
    """(feasible offers, near-misses) of one need among `offers`.

    A near-miss is an offer of an accepted category that exactly one hard constraint
    keeps out; they are grouped by constraint and product family, nearest groups first,
    at most `limit` groups.
    """
    structures = [x for x in structures if x.id == need.organization_id]
    o, n, s = build_arrays(offers, [need], structures)
    if not len(o):
        return 0, []
    oi = np.arange(len(o))
    ni = np.zeros(len(o), dtype=np.intp)
    checks = pair_checks(o, n, s, oi, ni, params, excluded_keys(o, n, excluded_pairs))
    broken = np.column_stack([checks[c] for c in NEAR_MISS_CODES])
    count = broken.sum(axis=1)
    right_category = ~checks["category_mismatch"] & ~checks["excluded_pair"]
    feasible = int((right_category & (count == 0)).sum())
    near = np.flatnonzero(right_category & (count == 1))
    distance = pair_distance_km(o, n, oi, ni, params)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for k in near[np.argsort(distance[near], kind="stable")].tolist():
        code = NEAR_MISS_CODES[int(np.flatnonzero(broken[k])[0])]
        family = o.items[k].category_ancestors[-1]
        groups[(code, family)].append(k)
    ranked = sorted(groups.items(), key=lambda item: (float(distance[item[1][0]]), item[0][0], item[0][1]))
    reasons = [
        near_miss_reason(
            code,
            family,
            [float(distance[k]) for k in members],
            need,
            [o.items[k] for k in members],
            params,
        )
        for (code, family), members in ranked[:limit]
    ]
    return feasible, reasons
