"""Stage 3: split limited quantities among competing needs, least-served structures first.

With x_p the quantity of pair p (offer o, need n of structure s), in base units
(kilogram-equivalents whenever a mass is known), every exact mode maximises

    Σ_p score_p · x_p  +  Σ_s Σ_k slope_k · y_{s,k}

subject to Σ_{p∈o} x_p ≤ quantity_o, Σ_{p∈n} x_p ≤ quantity_n, 0 ≤ x_p ≤ cap_p,
0 ≤ y_{s,k} ≤ width_{s,k} and Σ_k y_{s,k} ≤ Σ_{p∈s} x_p: y_{s,k} is what s receives on
segment k of its fairness utility (fairness.py), slopes decreasing with k, so that the
objective is concave in each structure's fill rate. Budgets add Σ price_p · x_p ≤ the
budget left, per need and per structure. `objective_value` computes it for any allocation.

Flow mode (the default) solves it as a min-cost flow with LEMON's network simplex (the
`pylmcf` package): source → offer (capacity quantity_o), offer → need for each pair
(capacity cap_p, cost −score_p), need → its structure (capacity quantity_n), structure
→ sink by one arc per segment (capacity width_{s,k}, cost −slope_k) and one free arc for
the rest, a need without fairness straight to the sink, and a free source → sink bypass
so that supply may stay unused. The constraint matrix is totally unimodular, so with
integer quantities the flow optimum is the LP optimum. Quantities are counted in steps
(`arrays.FLOW_STEPS`: 10 g of kilogram-equivalent, 10 ml, whole pieces and crates) and
values per step in hundredths of a score point (`COST_SCALE`).

A weekday's pooled rounds add Σ_{p by round that day} x_p ≤ the day's payloads (and, for the
lots that need the cold, ≤ its refrigerated payloads): the set of a weekday's pairs crosses both
the offers' and the needs' sets, so no arc of this network says it. When the flow sends a day
beyond its payload, the components the rounds link are solved by the LP (exact), the flow's
optimum standing elsewhere; the repairs below and the greedy top-up keep every day within it.

What a flow cannot say is repaired around the solution, re-optimising only where it
must (every other allocation fixed), up to `Params.min_quantity_rounds` times:
- a budget overspent (a side constraint, not a network one): the purchases of that need
  or structure are scaled down to what the budget pays and capped there;
- an allocation below its offer's minimum: the pair is closed;
- then the pairs sharing an offer or a need with those are re-solved. Quantities are
  rounded down to each offer's grain (pack size, whole pieces and dozens), and what
  rounding and closing freed is handed out greedily by score to pairs that can take at
  least their minimum and what their budget pays.

LP mode solves the same problem with HiGHS on a sparse matrix (connected components of
the offer–need–structure graph solved separately, budgets exact), then the same rounding;
it is kept to compare against and used when pylmcf is missing. Greedy mode, kept to
compare against, takes pairs by decreasing score. `allocate_maxmin` (bench) maximises
the lowest fill rate, then the score. Every mode is deterministic: ties go to the lower
need id, then the lower offer id.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import optimize, sparse
from scipy.sparse.csgraph import connected_components

from .arrays import FLOW_STEPS
from .candidates import EPSILON, CandidatePairs, _floor_to_grain, round_supply
from .fairness import FairnessModel, fairness_model
from .scoring import Scores
from .types import Params

try:  # pylmcf (LEMON's network simplex) is a dependency; without it flow mode falls back to the LP.
    from pylmcf import Graph as FlowGraph
except ImportError:  # pragma: no cover - exercised only where pylmcf is missing
    FlowGraph = None

TOLERANCE = 1e-9
BATCH_PAIRS = 20_000
#: Integer flow costs are values per flow unit in hundredths of a score point.
COST_SCALE = 100


def flow_available() -> bool:
    return FlowGraph is not None


# ---------------------------------------------------------------- shared pieces


def _pair_steps(c: CandidatePairs) -> np.ndarray:
    return FLOW_STEPS[c.offers.dimension[c.offer_idx]]


def _score_order(c: CandidatePairs, s: Scores) -> np.ndarray:
    return np.lexsort((c.offers.id[c.offer_idx], c.needs.id[c.need_idx], -s.score))


def _round_to_grain(c: CandidatePairs, x: np.ndarray) -> np.ndarray:
    x = _floor_to_grain(np.minimum(x, c.cap), c.offers.grain[c.offer_idx])
    return np.where(x > TOLERANCE, x, 0.0)


def _below_minimum(c: CandidatePairs, x: np.ndarray) -> np.ndarray:
    min_q = c.offers.min_quantity[c.offer_idx]
    return (x > 0) & (x < min_q * (1 - EPSILON) - EPSILON)


def _limits(c: CandidatePairs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: € per base unit; per need: budget left (inf when none); per pair: its
    structure's index (-1 none); per structure: budget left (inf when none)."""
    price = c.price()
    need_budget = np.where(np.isnan(c.needs.budget), np.inf, c.needs.budget)
    struct_budget = np.where(np.isnan(c.structures.budget), np.inf, c.structures.budget)
    return price, need_budget, c.needs.structure[c.need_idx], struct_budget


def spending(c: CandidatePairs, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(€ per need, € per structure) that allocation `x` costs."""
    price, _, pair_struct, _ = _limits(c)
    cost = price * x
    per_need = np.bincount(c.need_idx, weights=cost, minlength=len(c.needs))
    on = pair_struct >= 0
    per_struct = np.bincount(pair_struct[on], weights=cost[on], minlength=len(c.structures))
    return per_need, per_struct


def _scale_to_budgets(c: CandidatePairs, s: Scores | None, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Purchases of overspent needs and structures cut to what their budget pays, the
    least score per euro first (grain multiples); returns (x, pairs cut)."""
    price, need_budget, pair_struct, struct_budget = _limits(c)
    value = s.score / np.where(price > 0, price, 1.0) if s is not None else np.zeros(len(c))
    return _cut_to_limits(c, x, ((c.need_idx, need_budget), (pair_struct, struct_budget)), price, value)


def round_groups(c: CandidatePairs) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The pooled rounds' side constraints as (owner per pair, limit per owner): per weekday,
    the lots needing a refrigerated round within the refrigerated vehicles' payloads, then every
    lot of the day within all its vehicles' payloads (kg; -1: not carried by a round)."""
    if c.round_weekday is None or not len(c) or not (c.round_weekday >= 0).any():
        return ()
    weekday = c.round_weekday.astype(np.int64)
    strict = np.where(c.round_strict, weekday, -1)
    return ((strict, c.round_cold_total_kg), (weekday, c.round_total_kg))


def _scale_to_rounds(c: CandidatePairs, s: Scores | None, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lots of an overloaded weekday's rounds cut to what its vehicles carry together, the
    least score per kg first (grain multiples); returns (x, pairs cut)."""
    groups = round_groups(c)
    if not groups:
        return x, np.zeros(len(c), dtype=bool)
    value = s.score if s is not None else np.zeros(len(c))
    return _cut_to_limits(c, x, groups, np.ones(len(c)), value)


def rounds_overloaded(c: CandidatePairs, x: np.ndarray) -> bool:
    """Whether the lots `x` sends through some weekday's rounds weigh more than they carry."""
    for of_pair, limit in round_groups(c):
        on = of_pair >= 0
        loaded = np.bincount(of_pair[on], weights=x[on], minlength=len(limit))
        if (loaded > limit * (1 + EPSILON) + TOLERANCE).any():
            return True
    return False


def _cut_to_limits(c: CandidatePairs, x: np.ndarray, groups, weight: np.ndarray, value: np.ndarray):
    """Per (owner per pair, limit per owner) of `groups`: Σ weight·x of an owner's pairs cut to
    its limit, the least `value` first (ties: the later pair first); returns (x, pairs cut)."""
    cut = np.zeros(len(c), dtype=bool)
    grain = c.offers.grain[c.offer_idx]
    price = weight
    x = x.copy()
    for of_pair, limit in groups:
        on = of_pair >= 0
        spent = np.bincount(of_pair[on], weights=(price * x)[on], minlength=len(limit))
        over = np.flatnonzero(spent > limit * (1 + EPSILON))
        if not len(over):
            continue
        owner_over = np.zeros(len(limit), dtype=bool)
        owner_over[over] = True
        mine = np.flatnonzero(on & owner_over[np.maximum(of_pair, 0)] & (price > 0) & (x > 0))
        # Per owner, the least value per euro first (ties: the later pair first).
        order = mine[np.lexsort((-mine, value[mine], of_pair[mine]))]
        owner = of_pair[order]
        cost = price[order] * x[order]
        cum = np.cumsum(cost)
        first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
        start_cum = np.repeat(cum[first] - cost[first], np.diff(np.r_[first, len(order)]))
        before = cum - cost - start_cum  # spent on this owner's earlier pairs in the cut order
        excess = spent[owner] - limit[owner]
        remove = np.clip(excess - before, 0.0, cost)
        keep = np.maximum(0.0, x[order] - remove / price[order] * (1 + 1e-9))
        keep = np.where(remove > 0, _floor_to_grain(keep, grain[order]), x[order])
        cut[order[remove > 0]] = True
        x[order] = keep
    return x, cut


def _fill_greedily(
    c: CandidatePairs, s: Scores, x: np.ndarray, open_: np.ndarray, cap: np.ndarray | None = None
) -> np.ndarray:
    """Top up `x` by decreasing score on pairs in `open_`, each reaching its minimum, in
    grain multiples, within what the budgets have left."""
    cap = c.cap if cap is None else cap
    x = x.copy()
    offer_left = c.offers.quantity.copy()
    need_left = c.needs.quantity.copy()
    np.subtract.at(offer_left, c.offer_idx, x)
    np.subtract.at(need_left, c.need_idx, x)
    price, need_budget, pair_struct, struct_budget = _limits(c)
    per_need, per_struct = spending(c, x)
    need_money = (need_budget - per_need).tolist()
    struct_money = (struct_budget - per_struct).tolist()
    # What a pair could take at most (the lefts only shrink): enough for its minimum and a grain?
    room = np.minimum(np.minimum(offer_left[c.offer_idx], need_left[c.need_idx]), cap - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        money = np.minimum(need_budget - per_need, np.inf)[c.need_idx]
        on = pair_struct >= 0
        money[on] = np.minimum(money[on], (struct_budget - per_struct)[pair_struct[on]])
        room = np.where(price > 0, np.minimum(room, money / np.where(price > 0, price, 1.0)), room)
    grain_all = c.offers.grain[c.offer_idx]
    candidates = open_ & (room > TOLERANCE) & (room >= grain_all * (1 - EPSILON))
    candidates &= x + room >= c.offers.min_quantity[c.offer_idx] * (1 - EPSILON) - EPSILON
    if not candidates.any():
        return x
    # What each weekday's rounds (all, refrigerated) still carry, and each pair's day (-1: none).
    groups = round_groups(c)
    round_left: list[list[float]] = []
    round_of: list[list[int]] = []
    for of_pair, limit in groups:
        on = of_pair >= 0
        loaded = np.bincount(of_pair[on], weights=x[on], minlength=len(limit))
        round_left.append((limit - loaded).tolist())
        round_of.append(of_pair.tolist())
    oi, ni = c.offer_idx.tolist(), c.need_idx.tolist()
    grain = c.offers.grain[c.offer_idx].tolist()
    min_q = c.offers.min_quantity[c.offer_idx].tolist()
    cap_l, price_l, struct_l = cap.tolist(), price.tolist(), pair_struct.tolist()
    offer_left_l, need_left_l, x_l = offer_left.tolist(), need_left.tolist(), x.tolist()
    among = np.flatnonzero(candidates)
    order = among[_score_order(c.subset(among), s.subset(among))]
    for p in order.tolist():
        o, n, t = oi[p], ni[p], struct_l[p]
        amount = min(offer_left_l[o], need_left_l[n], cap_l[p] - x_l[p])
        if price_l[p] > 0:
            money = need_money[n] if t < 0 else min(need_money[n], struct_money[t])
            amount = min(amount, money / price_l[p] * (1 - 1e-9))
        for left, of in zip(round_left, round_of, strict=True):
            if of[p] >= 0:
                amount = min(amount, left[of[p]] * (1 - 1e-12))
        if grain[p] > 0:
            amount = math.floor(amount / grain[p] + EPSILON) * grain[p]
        if amount <= TOLERANCE or x_l[p] + amount < min_q[p] * (1 - EPSILON) - EPSILON:
            continue
        x_l[p] += amount
        offer_left_l[o] -= amount
        need_left_l[n] -= amount
        if price_l[p] > 0:
            need_money[n] -= amount * price_l[p]
            if t >= 0:
                struct_money[t] -= amount * price_l[p]
        for left, of in zip(round_left, round_of, strict=True):
            if of[p] >= 0:
                left[of[p]] -= amount
    return np.asarray(x_l, dtype=float)


def later_rounds(c: CandidatePairs, s: Scores, params: Params, x: np.ndarray) -> tuple[CandidatePairs, np.ndarray]:
    """After the allocation: a lot left out because its round day is full moves to the first
    other round day of its window whose rounds still carry its minimum
    (``CandidatePairs.round_options``), with that day's largest suited vehicle as its cap, and
    the greedy top-up gives it what offers, needs, budgets and that day's payload leave. Lots
    already allocated keep their day (a match has one date). Returns the pairs with the new
    weekdays and delivery days (a copy: `c` is left as it is) and the quantities."""
    groups = round_groups(c)
    if not groups or c.round_options is None or not params.rounds or not len(c):
        return c, x
    (cold_of, cold_limit), (all_of, all_limit) = groups
    on = all_of >= 0
    all_left = all_limit - np.bincount(all_of[on], weights=x[on], minlength=7)
    strict_on = cold_of >= 0
    cold_left = cold_limit - np.bincount(cold_of[strict_on], weights=x[strict_on], minlength=7)
    strict = np.asarray(c.round_strict, dtype=bool)
    least = np.maximum(c.offers.min_quantity[c.offer_idx], np.maximum(c.offers.grain[c.offer_idx], TOLERANCE))
    day = c.round_weekday.astype(np.int64)
    at = np.maximum(day, 0)
    here = np.where(strict, np.minimum(cold_left[at], all_left[at]), all_left[at])
    movable = np.flatnonzero(on & (x <= TOLERANCE) & (c.cap > TOLERANCE) & (here < least) & (c.round_options != 0))
    if not len(movable):
        return c, x
    first_weekday = (c.earliest_day[movable] - 1) % 7  # date.fromordinal(1) is a Monday
    best = np.full(len(movable), -1, dtype=np.int64)
    for w in range(7):
        room = np.where(strict[movable], np.minimum(cold_left[w], all_left[w]), all_left[w])
        offered = (((c.round_options[movable] >> w) & 1) == 1) & (day[movable] != w) & (room >= least[movable])
        date = c.earliest_day[movable] + (w - first_weekday) % 7
        best = np.where(offered & ((best < 0) | (date < best)), date, best)
    moved = best >= 0
    if not moved.any():
        return c, x
    pairs, dates = movable[moved], best[moved]
    weekday = (dates - 1) % 7
    supply = round_supply(params.rounds)
    carry = np.where(strict[pairs], supply.cold_kg[weekday], supply.any_kg[weekday])
    round_weekday, delivery_day, cap = c.round_weekday.copy(), c.delivery_day.copy(), c.cap.copy()
    round_weekday[pairs] = weekday
    delivery_day[pairs] = dates
    cap[pairs] = _floor_to_grain(np.minimum(cap[pairs], carry), c.offers.grain[c.offer_idx[pairs]])
    c = replace(c, round_weekday=round_weekday, delivery_day=delivery_day, cap=cap)
    allowed = np.zeros(len(c), dtype=bool)
    allowed[pairs] = cap[pairs] > TOLERANCE
    return c, _tidy(c, _fill_greedily(c, s, x, allowed, cap))


def _tidy(c: CandidatePairs, x: np.ndarray) -> np.ndarray:
    """Clip solver noise so no cap, quantity or budget is ever exceeded; grain multiples."""
    grain = c.offers.grain[c.offer_idx]
    x = np.clip(x, 0.0, c.cap)
    # Solver noise a little under a whole grain still counts as that grain.
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(grain > 0, np.minimum(np.floor(x / grain + 1e-6) * grain, c.cap), x)
    x = _round_to_grain(c, x)
    for idx, limit in ((c.offer_idx, c.offers.quantity), (c.need_idx, c.needs.quantity)):
        total = np.bincount(idx, weights=x, minlength=len(limit))
        over = total > limit * (1 + 1e-12)
        if over.any():
            factor = np.ones(len(limit))
            factor[over] = limit[over] / total[over] * (1 - 1e-12)
            x = _floor_to_grain(x * factor[idx], grain)
    x, _ = _scale_to_budgets(c, None, x)
    x, _ = _scale_to_rounds(c, None, x)
    return np.where(x > TOLERANCE, x, 0.0)


def allocate_greedy(c: CandidatePairs, s: Scores) -> np.ndarray:
    return _fill_greedily(c, s, np.zeros(len(c)), np.ones(len(c), dtype=bool))


# ---------------------------------------------------------------- min-cost flow


def _units(quantity: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Whole flow units in `quantity`, rounded down (beyond float noise)."""
    return np.floor(np.maximum(quantity, 0.0) * steps + 1e-6).astype(np.int64)


def _solve_flow(
    c: CandidatePairs,
    s: Scores,
    fm: FairnessModel,
    pairs: np.ndarray,
    offer_left: np.ndarray,
    need_left: np.ndarray,
    cap: np.ndarray,
    struct_given: np.ndarray,
    floors: np.ndarray | None = None,
) -> np.ndarray:
    """Optimal flow on `pairs`, in base units per pair (same order as `pairs`).

    `offer_left` and `need_left` (base units, per offer / need) are what is left for these
    pairs, `cap` (per pair) their caps, `struct_given` (kg, per structure) what the
    structures already receive from pairs outside `pairs`: it uses up their first
    segments. `floors` (kg per structure, max–min only) are quantities each structure
    must receive before any score counts.
    """
    out = np.zeros(len(pairs))
    steps_all = _pair_steps(c)
    pair_cap = _units(cap[pairs], steps_all[pairs])
    usable = pair_cap > 0
    pairs, pair_cap = pairs[usable], pair_cap[usable]
    if not len(pairs):
        return out
    steps = steps_all[pairs]
    offers, o_node = np.unique(c.offer_idx[pairs], return_inverse=True)
    needs, n_node = np.unique(c.need_idx[pairs], return_inverse=True)
    need_struct = fm.need_structure[needs]
    structs, t_node = np.unique(need_struct[need_struct >= 0], return_inverse=True)
    n_offers, n_needs, n_structs = len(offers), len(needs), len(structs)
    first_need = 2 + n_offers
    first_struct = first_need + n_needs
    o_node, n_node = o_node.ravel() + 2, n_node.ravel() + first_need
    need_nodes = np.arange(n_needs) + first_need
    supply = _units(offer_left[offers], FLOW_STEPS[c.offers.dimension[offers]])
    need_cap = _units(need_left[needs], FLOW_STEPS[c.needs.dimension[needs]])
    total = int(supply.sum())
    score_cost = np.rint(COST_SCALE * s.score[pairs]).astype(np.int64)

    # Structure → sink: the segments still open once `struct_given` is counted, then the rest.
    mass_steps = int(FLOW_STEPS[0])
    seg_tails, seg_caps, seg_bonus = [], [], []
    if n_structs:
        if floors is None:
            ends = np.floor(fm.ends[structs] * mass_steps + 1e-6).astype(np.int64)
            given = np.floor(struct_given[structs] * mass_steps + 1e-6).astype(np.int64)
            starts = np.concatenate([np.zeros((n_structs, 1), np.int64), ends[:, :-1]], axis=1)
            widths = np.maximum(0, ends - np.maximum(starts, given[:, None]))
            bonus = np.rint(COST_SCALE * fm.slopes).astype(np.int64)
            for k in range(widths.shape[1]):
                open_ = widths[:, k] > 0
                if bonus[k] > 0 and open_.any():
                    seg_tails.append(np.flatnonzero(open_) + first_struct)
                    seg_caps.append(widths[open_, k])
                    seg_bonus.append(np.full(int(open_.sum()), bonus[k], np.int64))
        else:
            floor_units = np.ceil(np.maximum(floors[structs] - struct_given[structs], 0) * mass_steps - 1e-6).astype(
                np.int64
            )
            open_ = floor_units > 0
            if open_.any():
                # Worth more than any score: moving a unit onto a floor reroutes at most one
                # unit along each offer and need of a path.
                big = (int(max(score_cost.max(initial=0), 1)) + 1) * (n_offers + n_needs + 2)
                seg_tails.append(np.flatnonzero(open_) + first_struct)
                seg_caps.append(floor_units[open_])
                seg_bonus.append(np.full(int(open_.sum()), big, np.int64))
    seg_tails_a = np.concatenate(seg_tails) if seg_tails else np.zeros(0, np.int64)
    seg_caps_a = np.concatenate(seg_caps) if seg_caps else np.zeros(0, np.int64)
    seg_bonus_a = np.concatenate(seg_bonus) if seg_bonus else np.zeros(0, np.int64)

    # LEMON wants non-negative costs. Node potentials π(source) = π(offer) = k_pair + k_seg,
    # π(need) = π(structure) = k_seg, π(sink) = 0 turn every arc cost c(u, v) into
    # c + π(u) − π(v) ≥ 0: pair arcs k_pair − score, segment arcs k_seg − bonus, the rest and
    # needs without fairness k_seg, need → structure 0, the bypass k_pair + k_seg. Every cycle
    # keeps its cost and any flow's cost moves by a constant, as the supplies are fixed.
    k_pair = max(int(score_cost.max()), 0)
    k_seg = max(int(seg_bonus_a.max(initial=0)), 0)
    to_struct = need_struct >= 0
    need_heads = np.where(to_struct, first_struct + np.searchsorted(structs, np.maximum(need_struct, 0)), 1)
    rest_cap = np.zeros(n_structs, np.int64)
    if n_structs:
        np.add.at(rest_cap, t_node.ravel(), need_cap[to_struct])
    struct_nodes = np.arange(n_structs) + first_struct
    tails = np.concatenate([o_node, np.zeros(n_offers, np.int64), need_nodes, seg_tails_a, struct_nodes, [0]]).astype(
        np.int64
    )
    heads = np.concatenate(
        [
            n_node,
            np.arange(n_offers) + 2,
            need_heads,
            np.ones(len(seg_tails_a), np.int64),
            np.ones(n_structs, np.int64),
            [1],
        ]
    ).astype(np.int64)
    capacities = np.concatenate([pair_cap, supply, need_cap, seg_caps_a, rest_cap, [total]])
    costs = np.concatenate(
        [
            k_pair - score_cost,
            np.zeros(n_offers, np.int64),
            np.where(to_struct, 0, k_seg),
            k_seg - seg_bonus_a,
            np.full(n_structs, k_seg, np.int64),
            [k_pair + k_seg],
        ]
    )
    order = np.lexsort((heads, tails))  # LEMON wants arcs sorted by tail then head; stable for the parallel ones
    n_nodes = first_struct + n_structs
    flow = FlowGraph(n_nodes, tails[order], heads[order])
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[0], supplies[1] = total, -total
    flow.set_node_supply(supplies)
    flow.set_edge_capacities(np.ascontiguousarray(capacities[order], dtype=np.int64))
    flow.set_edge_costs(np.ascontiguousarray(costs[order], dtype=np.int64))
    try:
        flow.solve()
    except RuntimeError as error:  # pragma: no cover - the bypass keeps the network feasible
        raise RuntimeError(f"allocation min-cost flow failed: {error}") from error
    arc_flow = np.empty(len(order), dtype=np.int64)
    arc_flow[order] = flow.result()
    out[usable] = arc_flow[: len(pairs)] / steps
    return out


def _settle(
    c: CandidatePairs,
    s: Scores,
    fm: FairnessModel,
    params: Params,
    x: np.ndarray,
    cap: np.ndarray,
    resolve,
) -> np.ndarray:
    """Grains, budgets and minimum quantities around an exact solution (module docstring)."""
    cap = cap.copy()
    touched = np.zeros(len(c), dtype=bool)
    for round_ in range(params.min_quantity_rounds + 1):
        x = _round_to_grain(c, x)
        x, scaled = _scale_to_budgets(c, s, x)
        x, loaded = _scale_to_rounds(c, s, x)
        scaled |= loaded
        cap[scaled] = x[scaled]
        short = _below_minimum(c, x)
        cap[short] = 0.0
        x[short] = 0.0
        changed = scaled | short
        if not changed.any():
            break
        near = np.isin(c.offer_idx, c.offer_idx[changed]) | np.isin(c.need_idx, c.need_idx[changed])
        touched |= near
        if round_ == params.min_quantity_rounds:
            break
        x = resolve(x, near, cap)
    x = _round_to_grain(c, x)
    x, scaled = _scale_to_budgets(c, s, x)
    x, loaded = _scale_to_rounds(c, s, x)
    scaled |= loaded
    cap[scaled] = x[scaled]
    short = _below_minimum(c, x)
    x[short] = 0.0
    cap[short] = 0.0
    # What rounding, closing and budgets freed goes to whoever can take it.
    return _tidy(c, _fill_greedily(c, s, x, cap > 0, cap))


def allocate_flow(c: CandidatePairs, s: Scores, params: Params, fm: FairnessModel | None = None) -> np.ndarray:
    """Exact min-cost flow allocation, then grains, budgets and minimums (module docstring)."""
    if not len(c):
        return np.zeros(0)
    if not flow_available():
        return allocate_lp(c, s, params, fm)
    fm = fairness_model(c, params) if fm is None else fm
    zero_given = np.zeros(len(c.structures))
    x = _solve_flow(c, s, fm, np.arange(len(c)), c.offers.quantity, c.needs.quantity, c.cap, zero_given)
    if rounds_overloaded(c, x):
        # A weekday's payload is a side constraint no network says: the LP solves exactly the
        # components its rounds link, the flow's optimum stands for the others.
        component = pair_components(c, fm)
        todo = np.unique(component[c.round_weekday >= 0])
        fixed = np.where(np.isin(component, todo), 0.0, x)
        x = fixed.copy()
        for batch in _batches(component, todo):
            x[batch] = _solve_lp(c, s, fm, batch, c.cap, fixed)
        return _settle(c, s, fm, params, np.clip(x, 0.0, c.cap), c.cap, _lp_resolver(c, s, fm, component))

    def resolve(x: np.ndarray, near: np.ndarray, cap: np.ndarray) -> np.ndarray:
        # Every allocation outside `near` stays as it is, its quantities taken out first.
        fixed = np.where(near, 0.0, x)
        offer_left = c.offers.quantity - np.bincount(c.offer_idx, weights=fixed, minlength=len(c.offers))
        need_left = c.needs.quantity - np.bincount(c.need_idx, weights=fixed, minlength=len(c.needs))
        local = np.flatnonzero(near)
        x = x.copy()
        x[local] = _solve_flow(c, s, fm, local, offer_left, need_left, cap, fm.allocated(c, fixed))
        return x

    return _settle(c, s, fm, params, x, c.cap, resolve)


def allocate_maxmin(c: CandidatePairs, s: Scores, params: Params, fm: FairnessModel | None = None) -> np.ndarray:
    """Maximise the lowest fill rate, then the score (a reference for the bench).

    The lowest fill rate t is found by bisection: t is reachable when a flow can give
    every structure taking part max(0, t·E − R) before any score counts. Then the score is
    maximised with those floors. Exact up to the bisection's tolerance (1e-4 of a fill
    rate) and the flow units. Minimum quantities, grains and the budgets' sums are left
    out (budgets cap each pair only): a relaxation, whose fill rates are an upper bound of
    what those allow.
    """
    if not len(c):
        return np.zeros(0)
    fm = fairness_model(c, params) if fm is None else fm
    part = fm.taking_part(c)
    if not part.any():
        return allocate_flow(c, s, params, fairness_model(c, params, strength=0.0))
    zero_given = np.zeros(len(c.structures))
    everything = np.arange(len(c))

    def solve(t: float) -> tuple[np.ndarray, bool]:
        floors = np.where(part, np.maximum(0.0, t * fm.entitlement - fm.received), 0.0)
        x = _solve_flow(c, s, fm, everything, c.offers.quantity, c.needs.quantity, c.cap, zero_given, floors=floors)
        got = fm.allocated(c, x)
        need = np.ceil(floors * FLOW_STEPS[0] - 1e-6) / FLOW_STEPS[0]
        return x, bool(np.all(got[part] >= need[part] - 1e-6))

    low = float(np.nanmin(fm.fill_rates(np.zeros(len(c.structures)))[part]))
    x_best, _ = solve(low)
    # The highest fill rate the least-served could reach: everything it can take, alone.
    high = float(np.nanmin(fm.fill_rates(_alone_caps(c, fm))[part]))
    while high - low > 1e-4:
        mid = (low + high) / 2
        x, feasible = solve(mid)
        if feasible:
            low, x_best = mid, x
        else:
            high = mid
    return np.clip(x_best, 0.0, c.cap)


def _alone_caps(c: CandidatePairs, fm: FairnessModel) -> np.ndarray:
    """Per structure: the most it could receive if it had every offer to itself."""
    t = fm.pair_structure(c)
    on = t >= 0
    per_need = np.minimum(np.bincount(c.need_idx, weights=c.cap, minlength=len(c.needs)), c.needs.quantity)
    needs = np.unique(c.need_idx[on])
    out = np.zeros(len(c.structures))
    np.add.at(out, fm.need_structure[needs], per_need[needs])
    return out


# ---------------------------------------------------------------- linear programme


def pair_components(c: CandidatePairs, fm: FairnessModel | None = None) -> np.ndarray:
    """Connected component of each pair in the offer–need(–structure–weekday) graph: independent
    sub-problems (needs of one structure share its segments and budget, lots of one weekday's
    pooled rounds their payload)."""
    n_offers, n_needs = len(c.offers), len(c.needs)
    size = n_offers + n_needs + len(c.structures) + 7
    rows = [c.offer_idx, c.need_idx + n_offers]
    cols = [c.need_idx + n_offers, c.offer_idx]
    link = c.needs.structure[c.need_idx]
    on = link >= 0
    rows.append(c.need_idx[on] + n_offers)
    cols.append(link[on] + n_offers + n_needs)
    if c.round_weekday is not None:
        by_round = c.round_weekday >= 0
        rows += [c.offer_idx[by_round], c.round_weekday[by_round].astype(np.int64) + size - 7]
        cols += [c.round_weekday[by_round].astype(np.int64) + size - 7, c.offer_idx[by_round]]
    r, k = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.coo_array((np.ones(len(r), dtype=np.int8), (r, k)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    return label[c.offer_idx]


def _batches(component: np.ndarray, chosen: np.ndarray, within: np.ndarray | None = None) -> list[np.ndarray]:
    """Pair indices of the chosen components (only those `within`, when given), packed into
    LPs of about BATCH_PAIRS pairs."""
    inside = np.isin(component, chosen)
    if within is not None:
        inside &= within
    pairs = np.flatnonzero(inside)
    pairs = pairs[np.argsort(component[pairs], kind="stable")]
    comp = component[pairs]
    starts = np.r_[0, np.flatnonzero(np.diff(comp)) + 1]
    ends = np.r_[starts[1:], len(pairs)]
    batches, first, filled = [], 0, 0
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if filled and filled + end - start > BATCH_PAIRS:
            batches.append(pairs[first:start])
            first, filled = start, 0
        filled += end - start
    if filled:
        batches.append(pairs[first:])
    return batches


def _solve_lp(
    c: CandidatePairs, s: Scores, fm: FairnessModel, pairs: np.ndarray, upper: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """The LP on `pairs` (whole components), `fixed` allocations elsewhere taken out."""
    n_pairs = len(pairs)
    if not n_pairs:
        return np.zeros(0)
    oi, ni = c.offer_idx[pairs], c.need_idx[pairs]
    offers, o_row = np.unique(oi, return_inverse=True)
    needs, n_row = np.unique(ni, return_inverse=True)
    price, need_budget, _, struct_budget = _limits(c)
    price = price[pairs]
    offer_left = c.offers.quantity - np.bincount(c.offer_idx, weights=fixed, minlength=len(c.offers))
    need_left = c.needs.quantity - np.bincount(c.need_idx, weights=fixed, minlength=len(c.needs))
    spent_need, spent_struct = spending(c, fixed)
    given = fm.allocated(c, fixed)

    rows, cols, vals, rhs = [o_row, n_row + len(offers)], [np.arange(n_pairs)] * 2, [np.ones(n_pairs)] * 2, []
    rhs += [offer_left[offers], need_left[needs]]
    n_rows = len(offers) + len(needs)
    n_cols = n_pairs
    bounds_hi = [upper[pairs]]
    objective = [s.score[pairs]]

    # Fairness segments: y_{t,k} ≤ width, Σ_k y_{t,k} − Σ_{p∈t} x_p ≤ 0.
    t_of_pair = fm.need_structure[ni]
    structs = np.unique(t_of_pair[t_of_pair >= 0])
    if len(structs) and fm.slopes.any():
        starts = np.concatenate([np.zeros((len(fm.ends), 1)), fm.ends[:, :-1]], axis=1)
        t_row = np.searchsorted(structs, t_of_pair)
        with_t = t_of_pair >= 0
        rows.append(n_rows + t_row[with_t])
        cols.append(np.flatnonzero(with_t))
        vals.append(-np.ones(int(with_t.sum())))
        for k in range(fm.ends.shape[1]):
            width = np.maximum(0.0, fm.ends[structs, k] - np.maximum(starts[structs, k], given[structs]))
            open_ = np.flatnonzero(width > 0)
            if fm.slopes[k] <= 0 or not len(open_):
                continue
            rows.append(n_rows + open_)
            cols.append(n_cols + np.arange(len(open_)))
            vals.append(np.ones(len(open_)))
            bounds_hi.append(width[open_])
            objective.append(np.full(len(open_), fm.slopes[k]))
            n_cols += len(open_)
        rhs.append(np.zeros(len(structs)))
        n_rows += len(structs)

    # Budgets: Σ price · x ≤ what is left, per need and per structure (finite ones only).
    buying = price > 0
    for owner, limit, spent in (
        (ni, need_budget, spent_need),
        (c.needs.structure[ni], struct_budget, spent_struct),
    ):
        sel = buying & (owner >= 0)
        if not sel.any():
            continue
        sel &= np.isfinite(limit[np.maximum(owner, 0)])
        owners = np.unique(owner[sel])
        if not len(owners):
            continue
        rows.append(n_rows + np.searchsorted(owners, owner[sel]))
        cols.append(np.flatnonzero(sel))
        vals.append(price[sel])
        rhs.append(np.maximum(limit[owners] - spent[owners], 0.0))
        n_rows += len(owners)

    # Pooled rounds: Σ x of a weekday's lots ≤ its payloads left (refrigerated ones, all).
    for owner_all, limit in round_groups(c):
        owner = owner_all[pairs]
        sel = owner >= 0
        if not sel.any():
            continue
        owners = np.unique(owner[sel])
        on = owner_all >= 0
        loaded = np.bincount(owner_all[on], weights=fixed[on], minlength=len(limit))
        rows.append(n_rows + np.searchsorted(owners, owner[sel]))
        cols.append(np.flatnonzero(sel))
        vals.append(np.ones(int(sel.sum())))
        rhs.append(np.maximum(limit[owners] - loaded[owners], 0.0))
        n_rows += len(owners)

    a_ub = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols)
    )
    hi = np.concatenate(bounds_hi)
    result = optimize.linprog(
        -np.concatenate(objective),
        A_ub=a_ub,
        b_ub=np.maximum(np.concatenate(rhs), 0.0),
        bounds=np.column_stack([np.zeros(n_cols), hi]),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"allocation LP failed: {result.message}")
    return np.asarray(result.x[:n_pairs])


def allocate_lp(c: CandidatePairs, s: Scores, params: Params, fm: FairnessModel | None = None) -> np.ndarray:
    """The same objective as an LP (HiGHS), budgets exact, then the same rounding."""
    if not len(c):
        return np.zeros(0)
    fm = fairness_model(c, params) if fm is None else fm
    component = pair_components(c, fm)
    x = np.zeros(len(c))
    for batch in _batches(component, np.unique(component)):
        x[batch] = _solve_lp(c, s, fm, batch, c.cap, np.zeros(len(c)))
    return _settle(c, s, fm, params, np.clip(x, 0.0, c.cap), c.cap, _lp_resolver(c, s, fm, component))


def _lp_resolver(c: CandidatePairs, s: Scores, fm: FairnessModel, component: np.ndarray):
    """The LP again on the pairs `near`, every other allocation fixed (as the flow's resolver
    does): their quantities stay taken from offers, needs, budgets, fairness segments and the
    rounds' payloads. Not their whole components: a weekday's rounds link a whole PAT into one,
    and solving it all again doubled the allocation's time."""

    def resolve(x: np.ndarray, near: np.ndarray, cap: np.ndarray) -> np.ndarray:
        x = x.copy()
        fixed = np.where(near, 0.0, x)
        for batch in _batches(component, np.unique(component[near]), within=near):
            x[batch] = _solve_lp(c, s, fm, batch, cap, fixed)
        return x

    return resolve


def allocate(c: CandidatePairs, s: Scores, params: Params, fm: FairnessModel | None = None) -> np.ndarray:
    """Quantity per pair (same order as `c`), in base units."""
    if params.mode == "greedy":
        return _tidy(c, allocate_greedy(c, s))
    if params.mode == "lp":
        return allocate_lp(c, s, params, fm)
    return allocate_flow(c, s, params, fm)


def objective_value(
    c: CandidatePairs,
    s: Scores,
    x: np.ndarray,
    params: Params,
    *,
    with_fairness: bool = True,
    fm: FairnessModel | None = None,
) -> float:
    """Σ score × quantity, plus the fairness utility the allocation maximises when asked."""
    value = float(s.score @ x) if len(c) else 0.0
    if with_fairness and len(c):
        fm = fairness_model(c, params) if fm is None else fm
        value += fm.value(fm.allocated(c, x))
    return value


def fill_rates(c: CandidatePairs, x: np.ndarray, params: Params, fm: FairnessModel | None = None) -> np.ndarray:
    """Per structure taking part: (received + allocated) / entitlement; NaN for the others."""
    fm = fairness_model(c, params) if fm is None else fm
    rates = fm.fill_rates(fm.allocated(c, x))
    return np.where(fm.taking_part(c), rates, np.nan)
