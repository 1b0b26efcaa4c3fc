"""Stage 2: a 0–100 score per feasible pair, and its French explanation.

score = 100 × Σ weightᵢ × componentᵢ, every component in [0, 1]:

- distance: 1 − road km / reach of the chosen mode (delivery radius, partner
  limit or the structure's pick-up radius);
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
- recurrence: fit of the offer's rhythm to the need's (table below);
- history: n / (n + h) past successful deliveries between the two
  organisations, h = `Params.history_half_saturation`;
- fairness: 1 − received / (people served × `Params.fairness_reference_per_person`),
  clamped to [0, 1]; 0.5 when the structure declares nobody served.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import CHILLED, DONATION, FROZEN, SOLIDARITY, popcount
from .candidates import DELIVERY, PARTNER, CandidatePairs
from .types import FREQUENCIES, MODES, RECURRENCES, History, Params, Weights

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
    score: np.ndarray  # 0–100 floats
    need_fairness: np.ndarray  # fairness component per need (all needs), for allocation

    def subset(self, keep: np.ndarray) -> Scores:
        return Scores(self.components[keep], self.score[keep], self.need_fairness)


def need_fairness(c: CandidatePairs, params: Params) -> np.ndarray:
    n = c.needs
    with np.errstate(divide="ignore", invalid="ignore"):
        served = n.received_recent / (n.people_served * params.fairness_reference_per_person)
    return np.where(n.people_served > 0, np.clip(1 - served, 0.0, 1.0), 0.5)


def _history(c: CandidatePairs, history: History | None, params: Params) -> np.ndarray:
    if not history or not len(c):
        return np.zeros(len(c))
    offer_org = c.offers.organization_id[c.offer_idx]
    need_org = c.needs.organization_id[c.need_idx]
    counts = np.fromiter(
        (history.get((a, b), 0) for a, b in zip(offer_org.tolist(), need_org.tolist(), strict=True)),
        dtype=float,
        count=len(c),
    )
    counts = np.maximum(counts, 0)
    return counts / (counts + params.history_half_saturation)


def score_candidates(c: CandidatePairs, *, weights: Weights, params: Params, history: History | None = None) -> Scores:
    o, n, oi, ni = c.offers, c.needs, c.offer_idx, c.need_idx
    mode = c.mode
    reach = np.select(
        [mode == DELIVERY, mode == PARTNER],
        [o.delivery_radius_km[oi], np.full(len(c), params.partner_radius_km)],
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

        discount = np.clip(np.nan_to_num(1 - o.price[oi] / o.usual_price[oi], nan=0.0), 0, None)
        sale_base = np.where(o.pricing[oi] == SOLIDARITY, 0.7, 0.4)
        sale = sale_base + 0.3 * np.minimum(discount, FULL_DISCOUNT) / FULL_DISCOUNT
        price = np.where(o.pricing[oi] == DONATION, 1.0, sale)

        wanted = popcount(n.preferred_labels)[ni]
        present = popcount(o.labels[oi] & n.preferred_labels[ni])
        labels = np.where(wanted > 0, present / wanted, 1.0)

    recurrence = RECURRENCE_FIT[o.recurrence[oi], n.frequency[ni]]
    fairness_by_need = need_fairness(c, params)
    components = np.column_stack(
        [
            distance,
            coverage,
            urgency,
            price,
            labels,
            recurrence,
            _history(c, history, params),
            fairness_by_need[ni],
        ]
    )
    components = np.clip(components, 0.0, 1.0).reshape(len(c), len(COMPONENTS))
    score = 100 * components @ np.asarray(weights.as_tuple())
    return Scores(components, score, fairness_by_need)


def top_per_need(c: CandidatePairs, s: Scores, limit: int) -> tuple[CandidatePairs, Scores]:
    """Keep each need's `limit` best pairs (ties: lower offer id first)."""
    order = np.lexsort((c.offers.id[c.offer_idx], -s.score, c.need_idx))
    ni = c.need_idx[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ni)) + 1] if len(ni) else np.empty(0, dtype=np.intp)
    rank = np.arange(len(ni)) - np.repeat(starts, np.diff(np.r_[starts, len(ni)]))
    keep = order[rank < limit]
    return c.subset(keep), s.subset(keep)


# ---------------------------------------------------------------- explanations

UNIT_LABELS = {"kg": "kg", "l": "l", "piece": "pièce", "dozen": "douzaine"}


def fr_number(value: float, decimals: int = 0) -> str:
    """French format: comma decimals, narrow no-break space between thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def fr_km(km: float) -> str:
    return f"{fr_number(km, 1 if km < 10 else 0)} km"


def _radius(km: float) -> str:
    return fr_number(km, 0 if float(km).is_integer() else 1)


def explain(c: CandidatePairs, pair: int, quantity: float) -> str:
    """One short French line saying why this pair is proposed."""
    offer = c.offers.items[c.offer_idx[pair]]
    need = c.needs.items[c.need_idx[pair]]
    mode = MODES[c.mode[pair]]
    parts = [fr_km(float(c.distance_km[pair]))]
    if mode == "delivery":
        parts.append(f"la ferme livre jusqu'à {_radius(offer.delivery_radius_km)} km")
    elif mode == "partner":
        parts.append("transport par un partenaire logistique")
    elif mode == "pickup":
        parts.append(f"enlèvement par la structure (rayon {_radius(need.pickup_radius_km)} km)")
    else:
        volunteers = need.gleaning_volunteers
        parts.append(f"glanage par {volunteers} bénévole{'s' if volunteers > 1 else ''}")
    storage = c.offers.storage[c.offer_idx[pair]]
    if storage == CHILLED:
        parts.append("frigo disponible")
    elif storage == FROZEN:
        parts.append("congélateur disponible")
    if offer.pricing == "donation" or offer.price_per_unit is None:
        parts.append("don")
    else:
        price = f"{fr_number(offer.price_per_unit, 2)} €/{UNIT_LABELS[offer.unit]}"
        usual = offer.usual_price_per_unit
        if usual:
            change = round(100 * (offer.price_per_unit / usual - 1))
            if change:
                price += f" ({'−' if change < 0 else '+'}{abs(change)} %)"
        parts.append(price)
    share = min(1.0, quantity / need.quantity) if need.quantity else 0.0
    parts.append(f"couvre {fr_number(100 * share)} % du besoin")
    if offer.use_by is not None:
        parts.append(f"à consommer avant le {offer.use_by:%d/%m}")
    labels = sorted(offer.labels & need.preferred_labels)
    if labels:
        parts.append("label" + ("s " if len(labels) > 1 else " ") + ", ".join(labels))
    return " · ".join(parts)
