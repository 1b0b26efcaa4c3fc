"""Stage 1: the (offer, need) pairs that pass every hard constraint.

Pairs are found with a k-d tree per group of offers sharing a dimension, a category
path and partner logistics, queried with each compatible need's reach; every raw
pair is then checked with the vectorised rules of `_evaluate`, the same rules
`candidates_bruteforce` applies to all pairs and `pair_checks` spells out, one
constraint at a time, for `engine.check_pair` and the near-misses.

Hard constraints, in the order they are reported: same dimension (units that convert
safely), category, cold chain, dates (windows, use-by, a distribution day of the
structure in the common window), reach (who carries the goods), price, quantity
(minimum, cold capacity, budget left), and pairs never to propose again.

Who carries, in this order: the farm within its delivery radius; a pooled round of the
territory (`Params.rounds`, the "partner" mode: no radius, the first common day a round suited
to the lot runs and the structure receives goods, the lot within the largest payload of that
day; chilled and frozen lots on refrigerated rounds, or on dry ones when their direct ride is
within `Params.dry_ride_km_*`, the planner's out-of-fridge time); the structure within its
pick-up radius with a vehicle; its gleaners within that radius. What all the lots of one
weekday weigh together is the allocation's business (`round_weekday`, `round_strict`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.spatial import cKDTree

from .arrays import (
    AMBIENT,
    CAPPED_DIMENSIONS,
    CHILLED,
    DONATION,
    FROZEN,
    MASS,
    NeedArrays,
    OfferArrays,
    StructureArrays,
    build_arrays,
    chord_for_great_circle_km,
    haversine_km,
    intersects,
    weekday_mask,
)
from .types import MODES, NeedInput, OfferInput, Params, PooledRound, StructureInput

DELIVERY, PARTNER, PICKUP, GLEANING = range(len(MODES))
#: Every weekday, as a mask of weekday bits.
ANY_DAY = 0x7F
#: Float noise allowed when a quantity is compared with a minimum or a grain.
EPSILON = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class CandidatePairs:
    """Feasible pairs as parallel arrays, sorted by (need index, offer index)."""

    offers: OfferArrays
    needs: NeedArrays
    structures: StructureArrays
    offer_idx: np.ndarray
    need_idx: np.ndarray
    distance_km: np.ndarray  # road estimate
    mode: np.ndarray  # index in MODES
    cap: np.ndarray  # most that can go from this offer to this need, base units (grain multiple)
    earliest_day: np.ndarray  # first common pick-up day (ordinal)
    last_day: np.ndarray  # last day the goods can reach the need (ordinal)
    delivery_day: np.ndarray  # first of those days that is a distribution day of the structure
    n_raw_pairs: int  # pairs examined before the exact checks
    #: Weekday of the round carrying the pair (-1: not carried by a round), and whether it
    #: needs a refrigerated one (a cold lot whose ride is too long without refrigeration).
    round_weekday: np.ndarray | None = None
    round_strict: np.ndarray | None = None
    #: Per weekday, the total payload of the territory's rounds, and of its refrigerated ones (kg).
    round_total_kg: np.ndarray | None = None
    round_cold_total_kg: np.ndarray | None = None
    #: Per pair, the weekdays (bits) of every round day of its window that suits the lot and on
    #: which the structure receives: the first is its round day, the others where the
    #: allocation moves it when that day's rounds are full.
    round_options: np.ndarray | None = None

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
            structures=self.structures,
            offer_idx=self.offer_idx[keep],
            need_idx=self.need_idx[keep],
            distance_km=self.distance_km[keep],
            mode=self.mode[keep],
            cap=self.cap[keep],
            earliest_day=self.earliest_day[keep],
            last_day=self.last_day[keep],
            delivery_day=self.delivery_day[keep],
            n_raw_pairs=self.n_raw_pairs,
            round_weekday=None if self.round_weekday is None else self.round_weekday[keep],
            round_strict=None if self.round_strict is None else self.round_strict[keep],
            round_total_kg=self.round_total_kg,
            round_cold_total_kg=self.round_cold_total_kg,
            round_options=None if self.round_options is None else self.round_options[keep],
        )

    def price(self) -> np.ndarray:
        """€ per base unit of each pair (0 for donations)."""
        return np.nan_to_num(self.offers.price[self.offer_idx], nan=0.0)


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


@dataclass(frozen=True, slots=True, eq=False)
class RoundSupply:
    """The territory's pooled rounds by weekday: bit masks of the weekdays some round runs
    (any, refrigerated), the largest lot one vehicle takes each weekday (kg, 0: none), and
    the sum of the day's payloads (all vehicles, refrigerated ones)."""

    any_mask: int
    cold_mask: int
    any_kg: np.ndarray  # (7,)
    cold_kg: np.ndarray  # (7,)
    any_total_kg: np.ndarray  # (7,)
    cold_total_kg: np.ndarray  # (7,)


@lru_cache(maxsize=32)
def round_supply(rounds: tuple[PooledRound, ...]) -> RoundSupply:
    any_kg, cold_kg, any_total, cold_total = np.zeros(7), np.zeros(7), np.zeros(7), np.zeros(7)
    for r in rounds:
        any_kg[r.weekday] = max(any_kg[r.weekday], r.capacity_kg)
        any_total[r.weekday] += r.capacity_kg
        if r.refrigerated:
            cold_kg[r.weekday] = max(cold_kg[r.weekday], r.capacity_kg)
            cold_total[r.weekday] += r.capacity_kg
    return RoundSupply(
        weekday_mask(np.flatnonzero(any_kg)),
        weekday_mask(np.flatnonzero(cold_kg)),
        any_kg,
        cold_kg,
        any_total,
        cold_total,
    )


def needs_cold_round(o: OfferArrays, oi: np.ndarray, d: np.ndarray, params: Params) -> np.ndarray:
    """Per pair, whether only a refrigerated round may carry the lot: chilled or frozen goods
    whose direct ride (road km) is longer than they may spend out of the fridge."""
    storage = o.storage[oi]
    dry_km = np.where(storage == CHILLED, params.dry_ride_km_chilled, params.dry_ride_km_frozen)
    return (storage != AMBIENT) & ~((dry_km > 0) & (d <= dry_km))


def round_days(
    o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray, params: Params, d: np.ndarray | None = None
) -> np.ndarray:
    """Per pair, the first day of the common window on which a round of the territory suited to
    the lot (refrigerated for chilled and frozen goods, unless their ride fits their out-of-fridge
    time) runs and the structure receives goods; -1 when none, when the offer is not open to a
    logistics partner, or when the lot has no known mass (a round loads kilograms)."""
    out = np.full(len(oi), -1, dtype=np.int64)
    if not params.rounds or not len(oi):
        return out
    supply = round_supply(params.rounds)
    if d is None:
        d = pair_distance_km(o, n, oi, ni, params)
    cold = needs_cold_round(o, oi, d, params)
    receives = np.where(n.distribution_mask[ni] == 0, ANY_DAY, n.distribution_mask[ni])
    mask = receives & np.where(cold, supply.cold_mask, supply.any_mask)
    usable = o.has_partner[oi] & (o.dimension[oi] == MASS) & (mask != 0)
    if usable.any():
        earliest, last = days_window(o, n, oi[usable], ni[usable], params)
        out[usable] = first_distribution_day(earliest, last, mask[usable])
    return out


def round_options(
    o: OfferArrays,
    n: NeedArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    strict: np.ndarray,
    earliest: np.ndarray,
    last: np.ndarray,
    params: Params,
) -> np.ndarray:
    """Per pair, the weekdays (bits) of the round days within [earliest, last] that suit the lot
    (refrigerated when `strict`) and on which the structure receives goods; 0 when none."""
    out = np.zeros(len(oi), dtype=np.int64)
    if not params.rounds or not len(oi):
        return out
    supply = round_supply(params.rounds)
    receives = np.where(n.distribution_mask[ni] == 0, ANY_DAY, n.distribution_mask[ni])
    suited = receives & np.where(strict, supply.cold_mask, supply.any_mask)
    span = last - earliest
    weekday = (earliest - 1) % 7  # date.fromordinal(1) is a Monday
    window = np.zeros(len(oi), dtype=np.int64)
    for k in range(7):
        window |= np.where(k <= span, np.left_shift(1, (weekday + k) % 7), 0)
    return suited & window


def round_carry(day: np.ndarray, strict: np.ndarray, params: Params) -> np.ndarray:
    """Base units (kg) the round of `day` takes in one lot: its largest suited vehicle's payload
    (refrigerated when `strict`)."""
    carry = np.full(len(day), np.inf)
    ok = day >= 0
    if ok.any():
        supply = round_supply(params.rounds)
        weekday = (day[ok] - 1) % 7  # date.fromordinal(1) is a Monday
        cold = strict[ok]
        carry[ok] = np.where(cold, supply.cold_kg[weekday], supply.any_kg[weekday])
    return carry


def reach_modes(
    o: OfferArrays,
    n: NeedArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    d: np.ndarray,
    params: Params,
    round_day: np.ndarray | None = None,
) -> np.ndarray:
    """First feasible mode among delivery, partner (a round of the territory), pickup,
    gleaning; -1 when none."""
    if round_day is None:
        round_day = round_days(o, n, oi, ni, params, d)
    by_mode = (
        o.has_delivery[oi] & (d <= o.delivery_radius_km[oi]),
        round_day >= 0,
        o.has_pickup[oi] & n.can_pick_up[ni] & (d <= n.pickup_radius_km[ni]),
        o.has_gleaning[oi] & n.can_glean[ni] & (d <= n.pickup_radius_km[ni]),
    )
    return np.select(by_mode, [DELIVERY, PARTNER, PICKUP, GLEANING], default=-1).astype(np.int8)


def pair_carriers(
    o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(road km, mode, round day or -1, most one lot may weigh on its carrier, whether its
    round must be refrigerated) of each pair."""
    d = pair_distance_km(o, n, oi, ni, params)
    rday = round_days(o, n, oi, ni, params, d)
    mode = reach_modes(o, n, oi, ni, d, params, rday)
    rday = np.where(mode == PARTNER, rday, -1)
    strict = needs_cold_round(o, oi, d, params)
    return d, mode, rday, round_carry(rday, strict, params), strict


def days_window(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray, params: Params):
    """(earliest, last) common days (ordinals): from today, until use-by and the need's end."""
    earliest = np.maximum(np.maximum(o.window_start[oi], n.window_start[ni]), params.today.toordinal())
    last = np.minimum(o.good_until[oi], n.window_end[ni])
    return earliest, last


def first_distribution_day(earliest: np.ndarray, last: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """First day in [earliest, last] whose weekday is in `mask` (any day when 0); -1 if none."""
    out = np.full(len(earliest), -1, dtype=np.int64)
    span = last - earliest
    out[(mask == 0) & (span >= 0)] = earliest[(mask == 0) & (span >= 0)]
    weekday = (earliest - 1) % 7  # date.fromordinal(1) is a Monday
    for k in range(7):
        hit = (out < 0) & (mask != 0) & (k <= span) & (((mask >> ((weekday + k) % 7)) & 1) == 1)
        out[hit] = earliest[hit] + k
    return out


def price_ok(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray) -> np.ndarray:
    price, max_price = o.price[oi], n.max_price[ni]
    with np.errstate(invalid="ignore"):
        within = np.isnan(max_price) | (price <= max_price * (1 + EPSILON))
        sale_ok = n.accepts_purchase[ni] & ~np.isnan(o.price_per_unit[oi]) & within
    return (o.pricing[oi] == DONATION) | sale_ok


def _floor_to_grain(quantity: np.ndarray, grain: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        whole = np.floor(quantity / grain + EPSILON) * grain
    return np.where(grain > 0, whole, quantity)


def pair_caps(
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    carry: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair, in base units: (plain cap: min of both quantities and of what one lot may
    weigh on its carrier, after cold capacity, after the budget left), each a multiple of the
    offer's grain."""
    plain = np.minimum(o.quantity[oi], n.quantity[ni])
    if carry is not None:
        plain = np.minimum(plain, carry)
    capped = np.isin(o.dimension[oi], CAPPED_DIMENSIONS)
    storage = o.storage[oi]
    cold = np.where(capped & (storage == CHILLED), np.minimum(plain, n.chilled_capacity[ni]), plain)
    cold = np.where(capped & (storage == FROZEN), np.minimum(cold, n.frozen_capacity[ni]), cold)
    money = np.fmin(n.budget[ni], s.spend_limit(n.structure[ni]))  # NaN: no limit
    price = o.price[oi]
    with np.errstate(divide="ignore", invalid="ignore"):
        affordable = np.where(price > 0, money / price, np.inf)
    affordable = np.where(np.isnan(money) | np.isnan(price), np.inf, affordable)
    budget = np.minimum(cold, affordable)
    grain = o.grain[oi]
    return _floor_to_grain(plain, grain), _floor_to_grain(cold, grain), _floor_to_grain(budget, grain)


def _enough(cap: np.ndarray, o: OfferArrays, oi: np.ndarray) -> np.ndarray:
    return (cap > EPSILON) & (cap >= o.min_quantity[oi] * (1 - EPSILON) - EPSILON)


def _evaluate(
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    params: Params,
    excluded: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Apply every hard constraint to raw pairs; returns the feasible ones and their data."""
    keep = (o.dimension[oi] == n.dimension[ni]) & intersects(o.categories[oi], n.categories[ni])
    oi, ni = oi[keep], ni[keep]
    d, mode, rday, carry, strict = pair_carriers(o, n, oi, ni, params)
    keep = mode >= 0
    oi, ni, d, mode, rday, carry, strict = (a[keep] for a in (oi, ni, d, mode, rday, carry, strict))

    storage = o.storage[oi]
    earliest, last = days_window(o, n, oi, ni, params)
    keep = (
        ((storage != CHILLED) | n.has_fridge[ni])
        & ((storage != FROZEN) | n.has_freezer[ni])
        & (earliest <= last)
        & price_ok(o, n, oi, ni)
    )
    oi, ni, d, mode, earliest, last = oi[keep], ni[keep], d[keep], mode[keep], earliest[keep], last[keep]
    rday, carry, strict = rday[keep], carry[keep], strict[keep]
    day = np.where(mode == PARTNER, rday, first_distribution_day(earliest, last, n.distribution_mask[ni]))
    cap = pair_caps(o, n, s, oi, ni, carry)[2]
    keep = (day >= 0) & _enough(cap, o, oi)
    if len(excluded):
        keep &= ~np.isin(oi.astype(np.int64) * len(n) + ni, excluded)
    weekday = np.where(mode == PARTNER, (day - 1) % 7, -1).astype(np.int8)  # date.fromordinal(1): a Monday
    options = np.where(mode == PARTNER, round_options(o, n, oi, ni, strict, earliest, last, params), 0)
    return (
        oi[keep],
        ni[keep],
        d[keep],
        mode[keep],
        cap[keep],
        earliest[keep],
        last[keep],
        day[keep],
        weekday[keep],
        strict[keep] & (mode[keep] == PARTNER),
        options[keep],
    )


def pair_checks(
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    oi: np.ndarray,
    ni: np.ndarray,
    params: Params,
    excluded: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every hard constraint on its own, in report order: code → pairs that break it.

    A pair breaks none exactly when `_evaluate` keeps it (a property test checks it).
    "cold_storage_too_small" and "budget_exhausted" are reported only when the plain
    quantities would have been enough; "expired" and "no_distribution_day" only when
    the windows meet.
    """
    d, mode, _rday, carry, _strict = pair_carriers(o, n, oi, ni, params)
    storage = o.storage[oi]
    earliest, last = days_window(o, n, oi, ni, params)
    common_start = np.maximum(o.window_start[oi], n.window_start[ni])
    common_end = np.minimum(o.window_end[oi], n.window_end[ni])
    disjoint = common_start > common_end
    past = ~disjoint & (np.maximum(common_start, params.today.toordinal()) > common_end)
    expired = ~disjoint & ~past & (earliest > last)
    no_day = (earliest <= last) & (first_distribution_day(earliest, last, n.distribution_mask[ni]) < 0)
    plain, cold, budget = pair_caps(o, n, s, oi, ni, carry)
    short = ~_enough(plain, o, oi)
    no_fridge = (storage == CHILLED) & ~n.has_fridge[ni]
    no_freezer = (storage == FROZEN) & ~n.has_freezer[ni]
    cold_short = ~short & ~no_fridge & ~no_freezer & ~_enough(cold, o, oi)
    checks = {
        "unit_mismatch": o.dimension[oi] != n.dimension[ni],
        "category_mismatch": ~intersects(o.categories[oi], n.categories[ni]),
        "no_fridge": no_fridge,
        "no_freezer": no_freezer,
        "windows_disjoint": disjoint,
        "window_past": past,
        "expired": expired,
        "no_distribution_day": no_day,
        "out_of_reach": mode < 0,
        **_price_checks(o, n, oi, ni),
        "quantity_below_minimum": short,
        "cold_storage_too_small": cold_short,
        "budget_exhausted": ~short
        & ~cold_short
        & ~no_fridge
        & ~no_freezer
        & _enough(cold, o, oi)
        & ~_enough(budget, o, oi),
        "excluded_pair": np.isin(oi.astype(np.int64) * len(n) + ni, excluded)
        if len(excluded)
        else np.zeros(len(oi), dtype=bool),
    }
    return checks


def _price_checks(o: OfferArrays, n: NeedArrays, oi: np.ndarray, ni: np.ndarray) -> dict[str, np.ndarray]:
    sale = o.pricing[oi] != DONATION
    refused = ~price_ok(o, n, oi, ni)
    accepts = n.accepts_purchase[ni]
    missing = np.isnan(o.price_per_unit[oi])
    return {
        "purchase_not_accepted": refused & sale & ~accepts,
        "price_missing": refused & sale & accepts & missing,
        "price_too_high": refused & sale & accepts & ~missing,
    }


def _assemble(
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    parts: list[tuple[np.ndarray, ...]],
    n_raw: int,
    params: Params,
) -> CandidatePairs:
    if parts:
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    else:
        types = (np.intp, np.intp, float, np.int8, float, np.int64, np.int64, np.int64, np.int8, bool, np.int64)
        cols = [np.empty(0, dtype=t) for t in types]
    order = np.lexsort((cols[0], cols[1]))
    oi, ni, d, mode, cap, earliest, last, day, weekday, strict, options = (c[order] for c in cols)
    supply = round_supply(params.rounds)
    return CandidatePairs(
        o,
        n,
        s,
        oi,
        ni,
        d,
        mode,
        cap,
        earliest,
        last,
        day,
        n_raw,
        round_weekday=weekday,
        round_strict=strict,
        round_total_kg=supply.any_total_kg,
        round_cold_total_kg=supply.cold_total_kg,
        round_options=options,
    )


def _offer_groups(o: OfferArrays) -> list[np.ndarray]:
    """Offers sharing dimension, category path and partner logistics (same reach bound)."""
    if not len(o):
        return []
    keys = np.column_stack((o.dimension.astype(np.uint64), o.has_partner.astype(np.uint64), o.categories))
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def find_candidates_arrays(
    o: OfferArrays, n: NeedArrays, s: StructureArrays, params: Params, excluded: np.ndarray
) -> CandidatePairs:
    parts = []
    n_raw = 0
    for group in _offer_groups(o):
        first = group[0]
        needs = np.flatnonzero(
            (n.dimension == o.dimension[first]) & intersects(n.categories, o.categories[first : first + 1])
        )
        if not len(needs):
            continue
        # Upper bound of each need's reach to any offer of the group, in road km.
        reach = np.full(len(needs), -1.0)
        if o.has_delivery[group].any():
            reach[:] = o.delivery_radius_km[group][o.has_delivery[group]].max()
        if o.has_partner[first] and params.rounds:
            # A round of the territory reaches every structure of it (the run's scope).
            reach[:] = np.inf
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
        parts.append(_evaluate(o, n, s, group[local], np.repeat(needs, counts), params, excluded))
    return _assemble(o, n, s, parts, n_raw, params)


def find_candidates(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    structures: Sequence[StructureInput] = (),
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> CandidatePairs:
    """Every feasible pair, found through a spatial index (never all pairs)."""
    o, n, s = build_arrays(offers, needs, structures)
    return find_candidates_arrays(o, n, s, params, excluded_keys(o, n, excluded_pairs))


def bruteforce_arrays(
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
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
            parts.append(_evaluate(o, n, s, oi, ni, params, excluded))
    return _assemble(o, n, s, parts, len(o) * len(n), params)


def candidates_bruteforce(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    structures: Sequence[StructureInput] = (),
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> CandidatePairs:
    """Every feasible pair by checking all offers against all needs (reference and bench)."""
    o, n, s = build_arrays(offers, needs, structures)
    return bruteforce_arrays(o, n, s, params, excluded_keys(o, n, excluded_pairs))
