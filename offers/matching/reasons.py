"""Why: reason codes and their parameters, plain data, never a sentence.

The engine says *why* as `Reason(code, params)`; the service stores them on the match
(JSON) and the pages, e-mails and API render them in the reader's language
(`offers/reasons.py`). Parameters are numbers, strings, lists and ISO dates only.

To add a reason: give it a code here (or in the caller that knows why, such as a pooled
round), and a renderer in `offers/reasons.py`; a test fails while a code has none.

Codes of a proposal, most decisive first: ``fairness_priority`` (when the fairness
objective decided), ``distance``, one of ``delivery_by_farm``, ``pooled_round`` (the
weekday of the territory's round that carries it: « livré par la tournée du mardi »),
``pickup_by_structure``, ``gleaning``, then ``fridge_available`` or
``freezer_available``, ``donation`` or ``price``, ``covers_need``, ``use_by``,
``labels``, ``delivery_day``. Codes of a pair that is not feasible: `CONSTRAINT_CODES`.
Codes of a need without proposal: ``near_miss`` (one per group of offers blocked by the
same constraint), ``allocated_elsewhere``, ``no_offer``.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .arrays import CHILLED, FROZEN, NeedArrays, OfferArrays, StructureArrays
from .types import MODES, Params, Reason

#: Hard constraints, in the order they are reported (candidates.pair_checks).
CONSTRAINT_CODES = (
    "unit_mismatch",
    "category_mismatch",
    "no_fridge",
    "no_freezer",
    "windows_disjoint",
    "window_past",
    "expired",
    "no_distribution_day",
    "out_of_reach",
    "purchase_not_accepted",
    "price_missing",
    "price_too_high",
    "quantity_below_minimum",
    "cold_storage_too_small",
    "budget_exhausted",
    "excluded_pair",
)
PROPOSAL_CODES = (
    "fairness_priority",
    "distance",
    "delivery_by_farm",
    "pooled_round",
    "pickup_by_structure",
    "gleaning",
    "fridge_available",
    "freezer_available",
    "donation",
    "price",
    "covers_need",
    "use_by",
    "labels",
    "delivery_day",
)
NO_PROPOSAL_CODES = ("near_miss", "allocated_elsewhere", "no_offer")
#: Constraints that make an offer of the right category a near-miss.
NEAR_MISS_CODES = tuple(c for c in CONSTRAINT_CODES if c not in ("category_mismatch", "excluded_pair"))


def _r(value: float, digits: int = 1) -> float:
    return round(float(value), digits)


def _iso(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def proposal_reasons(
    *,
    offer_index: int,
    need_index: int,
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    distance_km: float,
    mode: int,
    quantity_base: float,
    delivery_day: int,
    params: Params,
    fairness: tuple[float, int] | None,
) -> tuple[Reason, ...]:
    """The reasons of one proposal; `fairness` is (kg received in the window, people
    served) when the fairness objective decided it."""
    offer, need = o.items[offer_index], n.items[need_index]
    reasons = []
    if fairness is not None:
        received, people = fairness
        reasons.append(
            Reason(
                "fairness_priority",
                {"received_kg": _r(received, 0), "people": int(people), "days": params.fairness_window_days},
            )
        )
    reasons.append(Reason("distance", {"km": _r(distance_km)}))
    by = MODES[mode]
    if by == "delivery":
        reasons.append(Reason("delivery_by_farm", {"radius_km": _r(offer.delivery_radius_km)}))
    elif by == "partner":
        reasons.append(Reason("pooled_round", {"weekday": date.fromordinal(int(delivery_day)).weekday()}))
    elif by == "pickup":
        reasons.append(Reason("pickup_by_structure", {"radius_km": _r(need.pickup_radius_km)}))
    else:
        reasons.append(Reason("gleaning", {"volunteers": int(need.gleaning_volunteers)}))
    storage = o.storage[offer_index]
    if storage == CHILLED:
        reasons.append(Reason("fridge_available"))
    elif storage == FROZEN:
        reasons.append(Reason("freezer_available"))
    if offer.pricing == "donation" or offer.price_per_unit is None:
        reasons.append(Reason("donation"))
    else:
        usual = offer.usual_price_per_unit
        change = round(100 * (offer.price_per_unit / usual - 1)) if usual else 0
        reasons.append(
            Reason("price", {"price": _r(offer.price_per_unit, 2), "unit": offer.unit, "change_percent": change})
        )
    open_base = float(n.quantity[need_index])
    share = min(1.0, quantity_base / open_base) if open_base else 0.0
    reasons.append(Reason("covers_need", {"percent": round(100 * share)}))
    if offer.use_by is not None:
        reasons.append(Reason("use_by", {"date": offer.use_by.isoformat()}))
    labels = sorted(offer.labels & need.preferred_labels)
    if labels:
        reasons.append(Reason("labels", {"labels": labels}))
    if need.distribution_days:
        reasons.append(
            Reason(
                "delivery_day",
                {
                    "date": _iso(delivery_day),
                    "days": sorted(need.distribution_days),
                    "hours": need.distribution_hours,
                },
            )
        )
    return tuple(reasons)


def constraint_reasons(
    checks: dict[str, np.ndarray],
    at: int,
    *,
    o: OfferArrays,
    n: NeedArrays,
    s: StructureArrays,
    oi: int,
    ni: int,
    distance_km: float,
    caps: tuple[float, float, float],
    params: Params,
) -> list[Reason]:
    """The broken constraints of pair `at` of `checks`, each with what the reader needs."""
    offer, need = o.items[oi], n.items[ni]
    out = []
    for code in CONSTRAINT_CODES:
        if not checks[code][at]:
            continue
        params_: dict = {}
        if code == "unit_mismatch":
            params_ = {"offer_unit": offer.unit, "need_unit": need.unit}
        elif code == "no_distribution_day":
            params_ = {"days": sorted(need.distribution_days)}
        elif code == "out_of_reach":
            params_ = {"km": _r(distance_km), "limits": reach_limits(offer, need, params, distance_km)}
        elif code == "price_too_high":
            params_ = {
                "price": _r(offer.price_per_unit or 0, 2),
                "unit": offer.unit,
                "max_price": _r(need.max_price_per_unit or 0, 2),
                "need_unit": need.unit,
            }
        elif code == "quantity_below_minimum":
            per_unit = float(o.base_per_unit[oi])
            params_ = {
                "possible": _r(caps[0] / per_unit, 3),
                "minimum": _r(offer.min_quantity, 3),
                "unit": offer.unit,
            }
        elif code == "cold_storage_too_small":
            params_ = {"capacity_kg": _r(caps[1], 1)}
        elif code == "budget_exhausted":
            money = np.fmin(n.budget[ni], s.spend_limit(n.structure[ni : ni + 1])[0])
            params_ = {"budget_eur": _r(0 if np.isnan(money) else money, 2)}
        out.append(Reason(code, params_))
    return out


def dry_ride_km(storage: str, params: Params) -> float | None:
    """The longest direct ride a lot of this storage may take on a dry round (None: ambient)."""
    if storage == "ambient":
        return None
    return params.dry_ride_km_chilled if storage == "chilled" else params.dry_ride_km_frozen


def reach_limits(offer, need, params: Params, distance_km: float) -> list[dict]:
    """How far each of the offer's logistics goes for this need (None: it cannot)."""
    limits = []
    if "delivery" in offer.logistics:
        limits.append({"by": "delivery", "km": _r(offer.delivery_radius_km)})
    if "partner" in offer.logistics:
        dry_km = dry_ride_km(offer.storage, params)
        cold = dry_km is not None and not (dry_km > 0 and distance_km <= dry_km)
        days = sorted({r.weekday for r in params.rounds if r.refrigerated or not cold})
        limit = {"by": "partner", "km": None, "days": days, "refrigerated": cold}
        if cold and dry_km and any(not r.refrigerated for r in params.rounds):
            limit["dry_km"] = _r(dry_km)  # dry rounds run, but the ride is too long out of the fridge
        limits.append(limit)
    if "pickup" in offer.logistics:
        can = need.has_vehicle and need.pickup_radius_km > 0
        limits.append({"by": "pickup", "km": _r(need.pickup_radius_km) if can else None})
    if "gleaning" in offer.logistics:
        can = need.gleaning_volunteers > 0 and need.pickup_radius_km > 0
        limits.append({"by": "gleaning", "km": _r(need.pickup_radius_km) if can else None})
    return limits


def near_miss_reason(code: str, family_id: int, distances: list[float], need, offers, params: Params) -> Reason:
    """One group of offers of a family that a single constraint kept out."""
    values = {
        "constraint": code,
        "count": len(distances),
        "category_id": int(family_id),
        "min_km": _r(min(distances), 0),
        "max_km": _r(max(distances), 0),
    }
    if code == "out_of_reach":
        collects = (need.has_vehicle or need.gleaning_volunteers > 0) and need.pickup_radius_km > 0
        values["radius_km"] = _r(need.pickup_radius_km, 0) if collects else None
    elif code == "price_too_high":
        values["max_price"] = _r(need.max_price_per_unit or 0, 2)
        values["unit"] = need.unit
    elif code == "unit_mismatch":
        values["units"] = sorted({o.unit for o in offers})
        values["need_unit"] = need.unit
    elif code == "no_distribution_day":
        values["days"] = sorted(need.distribution_days)
    return Reason("near_miss", values)
