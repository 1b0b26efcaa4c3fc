"""Stage 2: a 0–100 score per feasible pair (its explanation is in reasons.py).

score = 100 × Σ weightᵢ × componentᵢ, every component in [0, 1]:

- distance: 1 − road km / reach of the chosen mode (delivery radius, the structure's
  pick-up radius; for a pooled round, which has no radius, `Params.round_score_km`);
- coverage: share of the need's open quantity this offer alone can cover;
- urgency: mean of the offer's perishability (1 when the goods must go on the
  first common day, 0 with two weeks or more left, shelf life counting too)
  and the need's urgency level (1 → 0, 2 → 0.5, 3 → 1);
- price: donation 1. A sale is worth 0.7 (solidarity) or 0.4 (market) plus up
  to 0.3 for its discount on the usual price, reaching the full bonus at 30 %
  off. A solidarity price close to the usual price is not penalised (0.7, well
  above market), and discounts beyond 30 % earn nothing more, so the engine
  never pushes farmers below a fair price;
- labels: share of the structure's preferred labels the offer carries (1 when
  it prefers none);
- recurrence: fit of the offer's rhythm to the need's (table below).

Nothing in the score depends on what a structure received before, nor on past
deliveries between the two organisations: who is least served is the allocation's own
objective (fairness.py), and having received before must never raise a priority.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import DONATION, SOLIDARITY, popcount
from .candidates import DELIVERY, PARTNER, CandidatePairs
from .types import FREQUENCIES, RECURRENCES, Params, Weights

COMPONENTS = Weights.names()

# Rows: offer recurrence (once, weekly, monthly, season); columns: need frequency
# (once, weekly, monthly).
RECURRENCE_FIT = np.array(
    [
        [1.0, 0.5, 0.6],
        [0.7, 1.0, 0.6],
        [0.7, 0.5, 1.0],
        [0.6, 1.0, 0.8],
    ]
)
assert RECURRENCE_FIT.shape == (len(RECURRENCES), len(FREQUENCIES))

PERISHABLE_HORIZON_DAYS = 14.0
FULL_DISCOUNT = 0.30


@dataclass(frozen=True, slots=True, eq=False)
class Scores:
    components: np.ndarray  # (pairs, len(COMPONENTS)) in [0, 1]
    score: np.ndarray  # 0–100 floats, per base unit (kilogram-equivalent) allocated

    def subset(self, keep: np.ndarray) -> Scores:
        return Scores(self.components[keep], self.score[keep])


def score_candidates(c: CandidatePairs, *, weights: Weights, params: Params) -> Scores:
    o, n, oi, ni = c.offers, c.needs, c.offer_idx, c.need_idx
    mode = c.mode
    reach = np.select(
        [mode == DELIVERY, mode == PARTNER],
        [o.delivery_radius_km[oi], np.full(len(c), params.round_score_km)],
        default=n.pickup_radius_km[ni],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(reach > 0, 1 - c.distance_km / reach, 1.0)
        coverage = c.cap / n.quantity[ni]

        days_left = (c.last_day - c.earliest_day).astype(float)
        shelf = o.shelf_life_days[oi]
        days_left = np.where(np.isnan(shelf), days_left, np.minimum(days_left, shelf))
        perishability = 1 - days_left / PERISHABLE_HORIZON_DAYS
        urgency = 0.5 * np.clip(perishability, 0, 1) + 0.5 * (n.urgency[ni] - 1) / 2

        discount = np.clip(np.nan_to_num(1 - o.price_per_unit[oi] / o.usual_price[oi], nan=0.0), 0, None)
        sale_base = np.where(o.pricing[oi] == SOLIDARITY, 0.7, 0.4)
        sale = sale_base + 0.3 * np.minimum(discount, FULL_DISCOUNT) / FULL_DISCOUNT
        price = np.where(o.pricing[oi] == DONATION, 1.0, sale)

        wanted = popcount(n.preferred_labels)[ni]
        present = popcount(o.labels[oi] & n.preferred_labels[ni])
        labels = np.where(wanted > 0, present / wanted, 1.0)

    recurrence = RECURRENCE_FIT[o.recurrence[oi], n.frequency[ni]]
    components = np.column_stack([distance, coverage, urgency, price, labels, recurrence])
    components = np.clip(components, 0.0, 1.0).reshape(len(c), len(COMPONENTS))
    score = 100 * components @ np.asarray(weights.as_tuple())
    return Scores(components, score)


def top_per_need(c: CandidatePairs, s: Scores, limit: int) -> tuple[CandidatePairs, Scores]:
    """Keep each need's `limit` best pairs (ties: lower offer id first)."""
    order = np.lexsort((c.offers.id[c.offer_idx], -s.score, c.need_idx))
    ni = c.need_idx[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ni)) + 1] if len(ni) else np.empty(0, dtype=np.intp)
    rank = np.arange(len(ni)) - np.repeat(starts, np.diff(np.r_[starts, len(ni)]))
    keep = order[rank < limit]
    return c.subset(keep), s.subset(keep)
