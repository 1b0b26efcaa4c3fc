"""Stage 1: the (offer, need) pairs that pass every hard constraint.

Pairs are found with a k-d tree per group of offers sharing a unit, a category
path and partner logistics, queried with each compatible need's reach; every
raw pair is then checked with the vectorised rules of `_evaluate`, the same
rules `candidates_bruteforce` applies to all pairs and `engine.check_pair`
explains for one pair.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .arrays import (
    CHILLED,
    DONATION,
    FROZEN,
    MASS_UNITS,
    NeedArrays,
    OfferArrays,
    build_arrays,
    chord_for_great_circle_km,
    haversine_km,
    intersects,
)
from .types import MODES, NeedInput, OfferInput, Params

DELIVERY, PARTNER, PICKUP, GLEANING = range(len(MODES))


@dataclass(frozen=True, slots=True, eq=False)
class CandidatePairs:
    """Feasible pairs as parallel arrays, sorted by (need index, offer index)."""

    offers: OfferArrays
    needs: NeedArrays
    offer_idx: np.ndarray
    need_idx: np.ndarray
    distance_km: np.ndarray  # road estimate
    mode: np.ndarray  # index in MODES
    cap: np.ndarray  # most that can go from this offer to this need (quantity, storage)
    earliest_day: np.ndarray  # first common pick-up day (ordinal)
    last_day: np.ndarray  # last day the goods can reach the need (ordinal)
    n_raw_pairs: int  # pairs examined before the exact checks

    def __len__(self) -> int:
        return len(self.offer_idx)

    def id_pairs(self) -> set[tuple[int, int]]:
        return set(
            zip(
                self.offers.id[self.offer_idx].tolist(),
                self.needs.id[self.need_idx].tolist(),
                strict=True,
            )
        )

    def subset(self, keep: np.ndarray) -> CandidatePairs:
        return CandidatePairs(
            offers=self.offers,
            needs=self.needs,
            offer_idx=self.offer_idx[keep],
            need_idx=self.need_idx[keep],
            distance_km=self.distance_km[keep],
            mode=self.mode[keep],
            cap=self.cap[keep],
            earliest_day=self.earliest_day[keep],
            last_day=self.last_day[keep],
            n_raw_pairs=self.n_raw_pairs,
        )


def excluded_keys(o: OfferArrays, n: NeedArrays, excluded_pairs: Collection[tuple[int, int]]) -> np.ndarray:
    """Excluded (offer_id, need_id) pairs as sorted `offer_idx * len(needs) + need_idx`."""
    if not excluded_pairs:
        return np.empty(0, dtype=np.int64)
    offer_pos = {int(i): k for k, i in enumerate(o.id)}
    need_pos = {int(i): k for k, i in enumerate(n.id)}
    keys = [
        offer_pos[oid] * len(n) + need_pos[nid] for oid, nid in excluded_pairs if oid in offer_pos and nid in need_pos
    ]
    return np.unique(np.asarray(keys, dtype=np.int64))


def pair_distance_km(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray, params: Params) -> np.ndarray:
    return haversine_km(o.lat[oi], o.lon[oi], n.lat[ni], n.lon[ni]) * params.road_detour_factor


def reach_modes(
    o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray, d: np.ndarray, params: Params
) -> np.ndarray:
    """First feasible mode among delivery, partner, pickup, gleaning; -1 when none."""
    by_mode = (
        o.has_delivery[oi] & (d <= o.delivery_radius_km[oi]),
        o.has_partner[oi] & (d <= params.partner_radius_km),
        o.has_pickup[oi] & n.can_pick_up[ni] & (d <= n.pickup_radius_km[ni]),
        o.has_gleaning[oi] & n.can_glean[ni] & (d <= n.pickup_radius_km[ni]),
    )
    return np.select(by_mode, [DELIVERY, PARTNER, PICKUP, GLEANING], default=-1).astype(np.int8)


def pair_cap(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray) -> np.ndarray:
    """min(offer quantity, need quantity, cold-storage capacity for mass units)."""
    cap = np.minimum(o.quantity[oi], n.quantity[ni])
    mass = np.isin(o.unit[oi], list(MASS_UNITS))
    storage = o.storage[oi]
    cap = np.where(mass & (storage == CHILLED), np.minimum(cap, n.chilled_capacity[ni]), cap)
    return np.where(mass & (storage == FROZEN), np.minimum(cap, n.frozen_capacity[ni]), cap)


def price_ok(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray) -> np.ndarray:
    price, max_price = o.price[oi], n.max_price[ni]
    with np.errstate(invalid="ignore"):
        sale_ok = n.accepts_purchase[ni] & ~np.isnan(price) & (np.isnan(max_price) | (price <= max_price))
    return (o.pricing[oi] == DONATION) | sale_ok


def _evaluate(
    o: OfferArrays,
    n: NeedArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    params: Params,
    excluded: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Apply every hard constraint to raw pairs; returns the feasible ones and their data."""
    keep = (o.unit[oi] == n.unit[ni]) & intersects(o.categories[oi], n.categories[ni])
    oi, ni = oi[keep], ni[keep]
    d = pair_distance_km(o, n, oi, ni, params)
    mode = reach_modes(o, n, oi, ni, d, params)
    keep = mode >= 0
    oi, ni, d, mode = oi[keep], ni[keep], d[keep], mode[keep]

    storage = o.storage[oi]
    earliest = np.maximum(np.maximum(o.window_start[oi], n.window_start[ni]), params.today.toordinal())
    last = np.minimum(o.good_until[oi], n.window_end[ni])
    cap = pair_cap(o, n, oi, ni)
    keep = (
        ((storage != CHILLED) | n.has_fridge[ni])
        & ((storage != FROZEN) | n.has_freezer[ni])
        & (earliest <= last)
        & price_ok(o, n, oi, ni)
        & (cap > 0)
        & (cap >= o.min_quantity[oi])
    )
    if len(excluded):
        keep &= ~np.isin(oi.astype(np.int64) * len(n) + ni, excluded)
    return oi[keep], ni[keep], d[keep], mode[keep], cap[keep], earliest[keep], last[keep]


def _assemble(
    o: OfferArrays,
    n: NeedArrays,
    parts: list[tuple[np.ndarray, ...]],
    n_raw: int,
) -> CandidatePairs:
    if parts:
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    else:
        cols = [np.empty(0, dtype=t) for t in (np.intp, np.intp, float, np.int8, float, np.int64, np.int64)]
    order = np.lexsort((cols[0], cols[1]))
    oi, ni, d, mode, cap, earliest, last = (c[order] for c in cols)
    return CandidatePairs(o, n, oi, ni, d, mode, cap, earliest, last, n_raw)


def _offer_groups(o: OfferArrays) -> list[np.ndarray]:
    """Offers sharing unit, category path and partner logistics (same reach bound)."""
    if not len(o):
        return []
    keys = np.column_stack((o.unit.astype(np.uint64), o.has_partner.astype(np.uint64), o.categories))
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def find_candidates_arrays(o: OfferArrays, n: NeedArrays, params: Params, excluded: np.ndarray) -> CandidatePairs:
    parts = []
    n_raw = 0
    for group in _offer_groups(o):
        first = group[0]
        needs = np.flatnonzero((n.unit == o.unit[first]) & intersects(n.categories, o.categories[first : first + 1]))
        if not len(needs):
            continue
        # Upper bound of each need's reach to any offer of the group, in road km.
        reach = np.full(len(needs), -1.0)
        if o.has_delivery[group].any():
            reach[:] = o.delivery_radius_km[group][o.has_delivery[group]].max()
        if o.has_partner[first]:
            reach = np.maximum(reach, params.partner_radius_km)
        collect = np.zeros(len(needs), dtype=bool)
        if o.has_pickup[group].any():
            collect |= n.can_pick_up[needs]
        if o.has_gleaning[group].any():
            collect |= n.can_glean[needs]
        reach = np.where(collect, np.maximum(reach, n.pickup_radius_km[needs]), reach)
        reachable = reach >= 0
        needs, reach = needs[reachable], reach[reachable]
        if not len(needs):
            continue
        tree = cKDTree(o.xyz[group])
        radius = chord_for_great_circle_km(reach / params.road_detour_factor)
        hits = tree.query_ball_point(n.xyz[needs], radius, return_sorted=False)
        counts = np.fromiter(map(len, hits), dtype=np.intp, count=len(hits))
        total = int(counts.sum())
        if not total:
            continue
        n_raw += total
        local = np.concatenate([np.asarray(h, dtype=np.intp) for h in hits if h])
        parts.append(_evaluate(o, n, group[local], np.repeat(needs, counts), params, excluded))
    return _assemble(o, n, parts, n_raw)


def find_candidates(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> CandidatePairs:
    """Every feasible pair, found through a spatial index (never all pairs)."""
    o, n = build_arrays(offers, needs)
    return find_candidates_arrays(o, n, params, excluded_keys(o, n, excluded_pairs))


def bruteforce_arrays(
    o: OfferArrays,
    n: NeedArrays,
    params: Params,
    excluded: np.ndarray,
    chunk_pairs: int = 2_000_000,
) -> CandidatePairs:
    parts = []
    if len(o):
        step = max(1, chunk_pairs // len(o))
        for start in range(0, len(n), step):
            ni = np.repeat(np.arange(start, min(start + step, len(n))), len(o))
            oi = np.tile(np.arange(len(o)), len(ni) // len(o))
            parts.append(_evaluate(o, n, oi, ni, params, excluded))
    return _assemble(o, n, parts, len(o) * len(n))


def candidates_bruteforce(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> CandidatePairs:
    """Every feasible pair by checking all offers against all needs (reference and bench)."""
    o, n = build_arrays(offers, needs)
    return bruteforce_arrays(o, n, params, excluded_keys(o, n, excluded_pairs))
