"""Stage 3: split limited quantities among competing needs.

With x_p the quantity of pair p (offer o, need n), every mode aims at

    Σ_p score_p · x_p  +  Σ_n b_n · y_n

subject to Σ_{p∈o} x_p ≤ quantity_o, Σ_{p∈n} x_p ≤ quantity_n, 0 ≤ x_p ≤ cap_p,
0 ≤ y_n ≤ Σ_{p∈n} x_p and y_n ≤ first_share · quantity_n, where
b_n = 100 · fairness_strength · fairness_n. y_n is the "first share" of the
need's coverage: it earns an extra b_n per unit, so the objective is concave
in each need's coverage and an under-served structure (fairness_n near 1)
gets its first share before a well-served one gets its last units
(`objective_value` computes it for any allocation).

Flow mode (the default) solves it exactly as a min-cost flow with LEMON's
network simplex (the `pylmcf` package):
source → offer (capacity quantity_o), offer → need for each pair (capacity
cap_p, cost −score_p), need → sink by two arcs (the first share, cost −b_n,
then the rest at no cost) and a free source → sink bypass, so that supply may
stay unused. The constraint matrix is totally unimodular, so with integer
quantities the flow optimum is the LP optimum. Quantities are counted in steps
of `QUANTITY_STEPS` (10 g or 10 ml, whole pieces and dozens; anything finer is
rounded down) and values per step in hundredths of a score point
(`COST_SCALE`): the flow optimum is within 0.01 point per unit of the LP's.

LP mode solves the same problem with HiGHS on a sparse matrix (components of
the offer–need graph solved separately, pieces rounded down afterwards); it is
kept to compare against and used when pylmcf is not installed.

Minimum quantities make the problem combinatorial (semi-continuous x_p); both
exact modes ignore them, then close every pair allocated below its offer's
minimum. Flow mode re-optimises only around the closed pairs — the pairs of
their offers and needs, every other allocation fixed — up to
`Params.min_quantity_rounds` times; LP mode re-solves the whole connected
components that had such pairs. Whatever still falls short is dropped and the
freed quantity handed out greedily by score to pairs that can take at least
their minimum.

Greedy mode, kept to compare against, takes pairs by decreasing score and gives
each as much as possible (at least its minimum). Every mode rounds pieces and
dozens down to whole numbers and is deterministic: ties go to the lower need
id, then the lower offer id.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, sparse
from scipy.sparse.csgraph import connected_components

from .arrays import MASS_UNITS
from .candidates import CandidatePairs
from .scoring import Scores
from .types import UNITS, Params

try:  # pylmcf (LEMON's network simplex) is a dependency; without it flow mode falls back to the LP.
    from pylmcf import Graph as FlowGraph
except ImportError:  # pragma: no cover - exercised only where pylmcf is missing
    FlowGraph = None

TOLERANCE = 1e-9
BATCH_PAIRS = 20_000
#: Flow units per unit of quantity, by unit code: 10 g / 10 ml, whole pieces and dozens.
QUANTITY_STEPS = np.array([{"kg": 100, "l": 100}.get(u, 1) for u in UNITS], dtype=np.int64)
#: Integer flow costs are values per flow unit in hundredths of a score point.
COST_SCALE = 100


def _limits(c: CandidatePairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: offer quantity, need quantity, offer minimum."""
    return (
        c.offers.quantity[c.offer_idx],
        c.needs.quantity[c.need_idx],
        c.offers.min_quantity[c.offer_idx],
    )


def _score_order(c: CandidatePairs, s: Scores) -> np.ndarray:
    return np.lexsort((c.offers.id[c.offer_idx], c.needs.id[c.need_idx], -s.score))


def _fill_greedily(c: CandidatePairs, s: Scores, x: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Top up `x` by decreasing score on pairs in `open_`, each getting ≥ its minimum."""
    x = x.copy()
    offer_left = c.offers.quantity.copy()
    need_left = c.needs.quantity.copy()
    np.subtract.at(offer_left, c.offer_idx, x)
    np.subtract.at(need_left, c.need_idx, x)
    whole = ~np.isin(c.offers.unit[c.offer_idx], list(MASS_UNITS))
    oi, ni = c.offer_idx.tolist(), c.need_idx.tolist()
    cap, min_q, is_whole = (
        c.cap.tolist(),
        c.offers.min_quantity[c.offer_idx].tolist(),
        whole.tolist(),
    )
    offer_left_l, need_left_l = offer_left.tolist(), need_left.tolist()
    x_l = x.tolist()
    for p in _score_order(c, s).tolist():
        if not open_[p]:
            continue
        o, n = oi[p], ni[p]
        amount = min(offer_left_l[o], need_left_l[n], cap[p] - x_l[p])
        if is_whole[p]:
            amount = math.floor(amount + TOLERANCE)
        if amount <= TOLERANCE or x_l[p] + amount < min_q[p] - TOLERANCE:
            continue
        x_l[p] += amount
        offer_left_l[o] -= amount
        need_left_l[n] -= amount
    return np.asarray(x_l, dtype=float)


def allocate_greedy(c: CandidatePairs, s: Scores) -> np.ndarray:
    return _fill_greedily(c, s, np.zeros(len(c)), np.ones(len(c), dtype=bool))


def _solve_lp(c: CandidatePairs, s: Scores, params: Params, upper: np.ndarray) -> np.ndarray:
    n_pairs = len(c)
    offers, o_row = np.unique(c.offer_idx, return_inverse=True)
    needs, n_row = np.unique(c.need_idx, return_inverse=True)
    bonus = 100 * params.fairness_strength * s.need_fairness[needs]
    share_cap = params.fairness_first_share * c.needs.quantity[needs]
    fair = np.flatnonzero((bonus > 0) & (share_cap > 0))
    fair_row_of_need = np.full(len(needs), -1)
    fair_row_of_need[fair] = np.arange(len(fair))

    base = len(offers) + len(needs)
    pairs = np.arange(n_pairs)
    paired_fair = fair_row_of_need[n_row]
    with_fair = paired_fair >= 0
    rows = np.concatenate([o_row, len(offers) + n_row, base + paired_fair[with_fair], base + np.arange(len(fair))])
    cols = np.concatenate([pairs, pairs, pairs[with_fair], n_pairs + np.arange(len(fair))])
    vals = np.concatenate([np.ones(2 * n_pairs), -np.ones(int(with_fair.sum())), np.ones(len(fair))])
    a_ub = sparse.csr_array((vals, (rows, cols)), shape=(base + len(fair), n_pairs + len(fair)))
    b_ub = np.concatenate([c.offers.quantity[offers], c.needs.quantity[needs], np.zeros(len(fair))])
    objective = -np.concatenate([s.score, bonus[fair]])
    bounds = np.column_stack([np.zeros(n_pairs + len(fair)), np.concatenate([upper, share_cap[fair]])])
    result = optimize.linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if result.status != 0:
        raise RuntimeError(f"allocation LP failed: {result.message}")
    return np.asarray(result.x[:n_pairs])


def _tidy(c: CandidatePairs, x: np.ndarray) -> np.ndarray:
    """Clip solver noise so no cap or quantity is ever exceeded; whole units for pieces."""
    x = np.clip(x, 0.0, c.cap)
    whole = ~np.isin(c.offers.unit[c.offer_idx], list(MASS_UNITS))
    x = np.minimum(np.where(whole, np.floor(x + 1e-6), x), c.cap)
    for idx, limit in ((c.offer_idx, c.offers.quantity), (c.need_idx, c.needs.quantity)):
        total = np.bincount(idx, weights=x, minlength=len(limit))
        over = total > limit
        if over.any():
            factor = np.ones(len(limit))
            factor[over] = limit[over] / total[over]
            x = x * factor[idx]
            x = np.where(whole, np.floor(x), x)
    return np.where(x > TOLERANCE, x, 0.0)


def _below_minimum(c: CandidatePairs, x: np.ndarray) -> np.ndarray:
    min_q = c.offers.min_quantity[c.offer_idx]
    return (x > 0) & (x < min_q * (1 - TOLERANCE) - TOLERANCE)


def pair_components(c: CandidatePairs) -> np.ndarray:
    """Connected component of each pair in the offer–need graph: independent sub-problems."""
    n_offers = len(c.offers)
    size = n_offers + len(c.needs)
    graph = sparse.coo_array((np.ones(len(c), dtype=np.int8), (c.offer_idx, n_offers + c.need_idx)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    return label[c.offer_idx]


def _batches(component: np.ndarray, chosen: np.ndarray) -> list[np.ndarray]:
    """Pair indices of the chosen components, packed into LPs of about BATCH_PAIRS pairs.

    Components are independent, so each is solved exactly; packing small ones together
    saves the per-call overhead, keeping big ones apart keeps each simplex small.
    """
    pairs = np.flatnonzero(np.isin(component, chosen))
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


def allocate_lp(c: CandidatePairs, s: Scores, params: Params) -> np.ndarray:
    if not len(c):
        return np.zeros(0)
    component = pair_components(c)
    todo = np.unique(component)
    upper = c.cap.copy()
    x = np.zeros(len(c))
    for _ in range(params.min_quantity_rounds + 1):
        for batch in _batches(component, todo):
            x[batch] = _solve_lp(c.subset(batch), s.subset(batch), params, upper[batch])
        x = _tidy(c, x)
        short = _below_minimum(c, x)
        if not short.any():
            return x
        upper[short] = 0.0
        todo = np.unique(component[short])
    x[short] = 0.0
    return _tidy(c, _fill_greedily(c, s, x, upper > 0))


# ---------------------------------------------------------------- min-cost flow


def flow_available() -> bool:
    return FlowGraph is not None


def _steps(c: CandidatePairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flow units per unit of quantity: per offer, per need, per pair."""
    per_offer = QUANTITY_STEPS[c.offers.unit]
    return per_offer, QUANTITY_STEPS[c.needs.unit], per_offer[c.offer_idx]


def _units(quantity: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Whole flow units in `quantity`, rounded down (beyond float noise)."""
    return np.floor(quantity * steps + 1e-6).astype(np.int64)


def _solve_flow(
    c: CandidatePairs,
    s: Scores,
    params: Params,
    pairs: np.ndarray,
    offer_cap: np.ndarray,
    need_cap: np.ndarray,
    share_cap: np.ndarray,
    pair_cap: np.ndarray,
) -> np.ndarray:
    """Optimal integer flow (units) on `pairs` (same order), given capacities in flow units.

    `offer_cap`, `need_cap` and `share_cap` (the first share of each need) are
    indexed by offer / need; `pair_cap` by pair.
    """
    out = np.zeros(len(pairs), dtype=np.int64)
    usable = pair_cap[pairs] > 0
    pairs = pairs[usable]
    if not len(pairs):
        return out
    offers, o_node = np.unique(c.offer_idx[pairs], return_inverse=True)
    needs, n_node = np.unique(c.need_idx[pairs], return_inverse=True)
    n_offers, n_needs = len(offers), len(needs)
    o_node, n_node = o_node.ravel() + 2, n_node.ravel() + 2 + n_offers  # 0 source, 1 sink
    need_nodes = np.arange(n_needs) + 2 + n_offers
    bonus = np.rint(COST_SCALE * 100 * params.fairness_strength * s.need_fairness[needs]).astype(np.int64)
    q_need = need_cap[needs]
    first = np.where(bonus > 0, np.minimum(share_cap[needs], q_need), 0)
    supply = offer_cap[offers]
    total = int(supply.sum())
    score_cost = np.rint(COST_SCALE * s.score[pairs]).astype(np.int64)
    # LEMON wants non-negative costs. Node potentials π(source) = π(offer) = k_pair + k_need,
    # π(need) = k_need, π(sink) = 0 turn every arc cost c(u, v) into c + π(u) − π(v) ≥ 0: pair
    # arcs k_pair − score, first-share arcs k_need − bonus, the rest k_need, the bypass
    # k_pair + k_need, source → offer 0. Every cycle keeps its cost and any flow's total cost
    # moves by (k_pair + k_need) · total, a constant as the supplies are fixed: same optimum.
    k_pair, k_need = max(int(score_cost.max()), 0), max(int(bonus.max()), 0)
    tails = np.concatenate([o_node, np.zeros(n_offers, np.int64), need_nodes, need_nodes, [0]])
    heads = np.concatenate([n_node, np.arange(n_offers) + 2, np.ones(2 * n_needs, np.int64), [1]])
    capacities = np.concatenate([pair_cap[pairs], supply, first, q_need - first, [total]])
    costs = np.concatenate(
        [
            k_pair - score_cost,
            np.zeros(n_offers, np.int64),
            k_need - bonus,
            np.full(n_needs, k_need, np.int64),
            [k_pair + k_need],
        ]
    )
    order = np.lexsort((heads, tails))  # LEMON wants arcs sorted by tail then head; stable for the parallel ones
    flow = FlowGraph(2 + n_offers + n_needs, tails[order].astype(np.int64), heads[order].astype(np.int64))
    supplies = np.zeros(2 + n_offers + n_needs, dtype=np.int64)
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
    out[usable] = arc_flow[: len(pairs)]
    return out


def _greedy_units(
    c: CandidatePairs,
    s: Scores,
    pairs: np.ndarray,
    f: np.ndarray,
    offer_left: np.ndarray,
    need_left: np.ndarray,
    pair_cap: np.ndarray,
    min_units: np.ndarray,
) -> None:
    """Top up `f` (flow units, in place) on `pairs` by decreasing score, each reaching its minimum."""
    order = pairs[_score_order(c.subset(pairs), s.subset(pairs))]
    oi, ni = c.offer_idx.tolist(), c.need_idx.tolist()
    for p in order.tolist():
        o, n = oi[p], ni[p]
        amount = min(int(offer_left[o]), int(need_left[n]), int(pair_cap[p] - f[p]))
        if amount <= 0 or f[p] + amount < min_units[p]:
            continue
        f[p] += amount
        offer_left[o] -= amount
        need_left[n] -= amount


def allocate_flow(c: CandidatePairs, s: Scores, params: Params) -> np.ndarray:
    """Exact min-cost flow allocation, then the minimum-quantity repair (module docstring)."""
    if not len(c):
        return np.zeros(0)
    if not flow_available():
        return allocate_lp(c, s, params)
    offer_steps, need_steps, pair_steps = _steps(c)
    offer_q = _units(c.offers.quantity, offer_steps)
    need_q = _units(c.needs.quantity, need_steps)
    share = _units(params.fairness_first_share * c.needs.quantity, need_steps)
    cap = _units(c.cap, pair_steps)
    min_units = np.ceil(c.offers.min_quantity[c.offer_idx] * pair_steps - 1e-6).astype(np.int64)
    f = _solve_flow(c, s, params, np.arange(len(c)), offer_q, need_q, share, cap)
    touched = np.zeros(len(c), dtype=bool)
    for round_ in range(params.min_quantity_rounds + 1):
        short = (f > 0) & (f < min_units)
        if not short.any():
            break
        cap[short] = 0
        f[short] = 0
        # The pairs sharing an offer or a need with a closed pair are re-optimised,
        # every other allocation staying as it is (its quantities taken out first).
        near = np.isin(c.offer_idx, c.offer_idx[short]) | np.isin(c.need_idx, c.need_idx[short])
        touched |= near
        if round_ == params.min_quantity_rounds:
            break
        fixed = np.where(near, 0, f)
        given_offer = np.bincount(c.offer_idx, weights=fixed, minlength=len(c.offers)).astype(np.int64)
        given_need = np.bincount(c.need_idx, weights=fixed, minlength=len(c.needs)).astype(np.int64)
        local = np.flatnonzero(near)
        f[local] = _solve_flow(
            c, s, params, local, offer_q - given_offer, need_q - given_need, np.maximum(share - given_need, 0), cap
        )
    short = (f > 0) & (f < min_units)
    if short.any() or touched.any():
        f[short] = 0
        cap[short] = 0
        offer_left = offer_q - np.bincount(c.offer_idx, weights=f, minlength=len(c.offers)).astype(np.int64)
        need_left = need_q - np.bincount(c.need_idx, weights=f, minlength=len(c.needs)).astype(np.int64)
        _greedy_units(c, s, np.flatnonzero(touched), f, offer_left, need_left, cap, min_units)
    return f / pair_steps


def allocate(c: CandidatePairs, s: Scores, params: Params) -> np.ndarray:
    """Quantity per pair (same order as `c`)."""
    if params.mode == "greedy":
        return _tidy(c, allocate_greedy(c, s))
    if params.mode == "lp":
        return allocate_lp(c, s, params)
    return allocate_flow(c, s, params)


def objective_value(
    c: CandidatePairs, s: Scores, x: np.ndarray, params: Params, *, with_fairness: bool = True
) -> float:
    """Σ score × quantity, plus the fairness bonus the LP maximises when asked."""
    value = float(s.score @ x)
    if with_fairness and len(c):
        given = np.bincount(c.need_idx, weights=x, minlength=len(c.needs))
        first = np.minimum(given, params.fairness_first_share * c.needs.quantity)
        value += float(100 * params.fairness_strength * (s.need_fairness @ first))
    return value


def served_ratio(c: CandidatePairs, x: np.ndarray, params: Params) -> np.ndarray:
    """Per need: (received recently + allocated now) / (people served × reference).

    NaN for needs without any candidate pair or without people served: nothing the
    allocation can change.
    """
    n = c.needs
    given = np.bincount(c.need_idx, weights=x, minlength=len(n))
    reachable = np.bincount(c.need_idx, minlength=len(n)) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (n.received_recent + given) / (n.people_served * params.fairness_reference_per_person)
    return np.where(reachable & (n.people_served > 0), ratio, np.nan)


def least_served_coverage(c: CandidatePairs, x: np.ndarray, params: Params) -> float:
    """Coverage of the least-served structure relative to people served (NaN if none)."""
    ratio = served_ratio(c, x, params)
    return float(np.nanmin(ratio)) if np.isfinite(ratio).any() else math.nan
