"""Plain inputs and outputs of the matching engine (no ORM, no settings, no clock)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal

UNITS = ("kg", "l", "piece", "dozen", "crate")
#: Units counted in whole items unless the offer says its pack size.
WHOLE_UNITS = frozenset({"piece", "dozen"})
STORAGES = ("ambient", "chilled", "frozen")
PRICINGS = ("donation", "solidarity", "market")
LOGISTICS = ("delivery", "pickup", "gleaning", "partner")
RECURRENCES = ("once", "weekly", "monthly", "season")
FREQUENCIES = ("once", "weekly", "monthly")
#: Who carries the goods, in the order the engine tries them.
MODES = ("delivery", "partner", "pickup", "gleaning")

Mode = Literal["delivery", "partner", "pickup", "gleaning"]


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {choices}")


def _check_non_negative(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{type(owner).__name__}.{name} must be a finite number >= 0")


def _check_optional_non_negative(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if value is not None and not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{type(owner).__name__}.{name} must be None or a finite number >= 0")


def _check_mass(owner: object) -> None:
    unit, kg = owner.unit, owner.kg_per_unit  # type: ignore[attr-defined]
    if unit == "kg" and kg not in (None, 1, 1.0):
        raise ValueError(f"{type(owner).__name__}: a kilogram weighs 1 kg")
    if kg is not None and not (kg > 0 and math.isfinite(kg)):
        raise ValueError(f"{type(owner).__name__}.kg_per_unit must be None or > 0")


@dataclass(frozen=True, slots=True)
class OfferInput:
    """A farmer's offer as the engine sees it; `quantity` is what is still available.

    Quantities and prices are in the offer's `unit`. `kg_per_unit` is the mass of one
    unit when a documented factor gives it (a dozen eggs, a litre of milk, the offer's
    crate), None otherwise: the engine then never converts it. Proposed quantities are
    multiples of `pack_size` when it is set, whole numbers for pieces and dozens.
    """

    id: int
    organization_id: int
    category_id: int
    category_ancestors: tuple[int, ...]  # the category itself and all its parents
    lat: float
    lon: float
    quantity: float
    unit: str
    min_quantity: float
    window_start: date
    window_end: date
    use_by: date | None
    storage: str
    pricing: str
    price_per_unit: float | None
    usual_price_per_unit: float | None
    logistics: frozenset[str]
    delivery_radius_km: float
    labels: frozenset[str] = frozenset()
    recurrence: str = "once"
    shelf_life_days: int | None = None
    kg_per_unit: float | None = None  # 1 for kg whatever is given
    pack_size: float = 0.0  # 0: any quantity (whole units for pieces and dozens)

    def __post_init__(self) -> None:
        _check_choice("unit", self.unit, UNITS)
        _check_choice("storage", self.storage, STORAGES)
        _check_choice("pricing", self.pricing, PRICINGS)
        _check_choice("recurrence", self.recurrence, RECURRENCES)
        _check_mass(self)
        if not self.logistics <= frozenset(LOGISTICS):
            raise ValueError(f"logistics={set(self.logistics)!r} not within {LOGISTICS}")
        _check_non_negative(self, "quantity", "min_quantity", "delivery_radius_km", "pack_size")
        if self.window_start > self.window_end:
            raise ValueError(f"offer {self.id}: window_start is after window_end")
        if self.category_id not in self.category_ancestors:
            raise ValueError(f"offer {self.id}: category_ancestors must include category_id")


@dataclass(frozen=True, slots=True)
class NeedInput:
    """A food-aid structure's need; `quantity` is what is still open, in `unit`.

    `budget_eur` is what is left of this need's own budget (None: no limit of its own);
    the structure's monthly budget is on its `StructureInput`. `distribution_days` are
    the weekdays (0 = Monday) the structure receives goods; empty means any day.
    """

    id: int
    organization_id: int
    category_ids: frozenset[int]  # accepted categories: matches any offer descending from one
    lat: float
    lon: float
    quantity: float
    unit: str
    window_start: date
    window_end: date
    accepts_purchase: bool = False
    max_price_per_unit: float | None = None  # None with accepts_purchase: any price
    has_fridge: bool = False
    chilled_capacity_kg: float = 0.0
    has_freezer: bool = False
    frozen_capacity_kg: float = 0.0
    pickup_radius_km: float = 0.0  # 0 = the structure cannot collect
    has_vehicle: bool = False
    gleaning_volunteers: int = 0
    preferred_labels: frozenset[str] = frozenset()
    urgency: int = 2  # 1 low, 2 normal, 3 high
    frequency: str = "once"
    kg_per_unit: float | None = None  # 1 for kg whatever is given
    budget_eur: float | None = None
    distribution_days: frozenset[int] = frozenset()
    distribution_hours: str = ""  # shown in the explanation only

    def __post_init__(self) -> None:
        _check_choice("unit", self.unit, UNITS)
        _check_choice("frequency", self.frequency, FREQUENCIES)
        _check_mass(self)
        if self.urgency not in (1, 2, 3):
            raise ValueError(f"need {self.id}: urgency must be 1, 2 or 3")
        _check_non_negative(
            self,
            "quantity",
            "chilled_capacity_kg",
            "frozen_capacity_kg",
            "pickup_radius_km",
            "gleaning_volunteers",
        )
        _check_optional_non_negative(self, "budget_eur", "max_price_per_unit")
        if not self.distribution_days <= frozenset(range(7)):
            raise ValueError(f"need {self.id}: distribution_days are weekdays 0 (Monday) to 6")
        if self.window_start > self.window_end:
            raise ValueError(f"need {self.id}: window_start is after window_end")


@dataclass(frozen=True, slots=True)
class StructureInput:
    """A food-aid structure, for fairness and its monthly budget.

    `received_kg` is what it received over the territory's rolling window (delivered and
    confirmed matches, in kilogram-equivalents); `budget_eur` what is left of this month's
    purchase budget (None: no monthly limit known). A need whose structure has no
    `StructureInput`, or declares nobody served, gets no fairness priority.
    """

    id: int  # the organization id, as on NeedInput.organization_id
    people_served_per_week: int = 0
    received_kg: float = 0.0
    budget_eur: float | None = None

    def __post_init__(self) -> None:
        _check_non_negative(self, "people_served_per_week", "received_kg")
        _check_optional_non_negative(self, "budget_eur")


@dataclass(frozen=True, slots=True)
class PooledRound:
    """A pooled round of the run's territory that runs every `weekday` (0 = Monday) on a
    vehicle of payload `capacity_kg`; `refrigerated`: it keeps the cold chain.

    The "partner" mode is this: an offer open to a logistics partner reaches every structure
    of the territory (a run holds one territory's offers and needs) on a day one of its
    rounds runs, each lot within one vehicle's payload and all the lots of a weekday within
    the sum of that day's payloads; chilled and frozen lots on a refrigerated round, or on a
    dry one when their direct ride fits their out-of-fridge time (`Params.dry_ride_km`).
    No round in the territory: the partner mode reaches nobody.
    """

    weekday: int
    capacity_kg: float
    refrigerated: bool = False

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError("PooledRound.weekday is 0 (Monday) to 6")
        if not (self.capacity_kg > 0 and math.isfinite(self.capacity_kg)):
            raise ValueError("PooledRound.capacity_kg must be > 0")


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the score components; normalised to sum 1 on creation.

    A territory may override any of them; they must be non-negative and not all zero.
    Fairness is not a score component: it is the allocation's own objective (Params).
    """

    distance: float = 0.30
    coverage: float = 0.20
    urgency: float = 0.20
    price: float = 0.15
    labels: float = 0.075
    recurrence: float = 0.075

    def __post_init__(self) -> None:
        values = self.as_tuple()
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError("weights must be finite and non-negative")
        total = sum(values)
        if total <= 0:
            raise ValueError("at least one weight must be positive")
        for f in fields(self):
            object.__setattr__(self, f.name, getattr(self, f.name) / total)

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(f.name for f in fields(Weights))

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


#: Fill rates (received ÷ entitlement) where the fairness utility changes slope.
FAIRNESS_BREAKPOINTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass(frozen=True, slots=True)
class Params:
    """Run parameters. `today` is given, never read from a clock."""

    today: date
    road_detour_factor: float = 1.3
    mode: Literal["flow", "lp", "greedy"] = "flow"
    max_candidates_per_need: int = 50
    #: Value of one kilogram-equivalent to a structure with nothing received, in score
    #: points (0–100 per kg); 0 turns fairness off (score-only allocation). See fairness.py.
    fairness_strength: float = 1.0
    #: α of the α-fair utility the breakpoints approximate (1: proportional fairness,
    #: larger: closer to max–min).
    fairness_alpha: float = 3.0
    fairness_breakpoints: tuple[float, ...] = FAIRNESS_BREAKPOINTS
    #: The territory's rolling window, for explanations only (the receipts are given).
    fairness_window_days: int = 30
    #: Attach the fairness reason to proposals the fairness objective decided: quantity a
    #: better-scoring pair of the same offer could still have taken (engine.fairness_decided).
    explain_fairness: bool = True
    #: The territory's pooled rounds (one per vehicle and weekday): what the partner mode is.
    rounds: tuple[PooledRound, ...] = ()
    #: Longest direct road ride (km) a chilled and a frozen lot may take on a round without
    #: refrigeration: the planner's out-of-fridge time at its speed (0: never).
    dry_ride_km_chilled: float = 0.0
    dry_ride_km_frozen: float = 0.0
    #: Road km at which a pair carried by a round scores 0 on distance (a score, not a limit).
    round_score_km: float = 80.0
    #: Local re-solves (flow) or component re-solves (LP) when allocations fall below an
    #: offer's minimum quantity or a budget is overspent.
    min_quantity_rounds: int = 1

    def __post_init__(self) -> None:
        _check_choice("mode", self.mode, ("flow", "lp", "greedy"))
        if self.road_detour_factor < 1:
            raise ValueError("road_detour_factor must be >= 1")
        if self.max_candidates_per_need < 1:
            raise ValueError("max_candidates_per_need must be >= 1")
        _check_non_negative(
            self,
            "fairness_strength",
            "round_score_km",
            "min_quantity_rounds",
            "fairness_alpha",
            "dry_ride_km_chilled",
            "dry_ride_km_frozen",
        )
        points = self.fairness_breakpoints
        if not points or any(b <= a for a, b in zip((0.0, *points), points, strict=False)):
            raise ValueError("fairness_breakpoints must be positive and increasing")
        if self.fairness_window_days < 1:
            raise ValueError("fairness_window_days must be >= 1")


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: a code and its parameters, plain data (numbers, strings, lists; dates as ISO
    strings), rendered in the reader's language outside the engine."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed delivery of `quantity` (offer's unit) from an offer to a need."""

    offer_id: int
    need_id: int
    quantity: float  # in the offer's unit
    need_quantity: float  # the same, in the need's unit
    quantity_kg: float | None  # kilogram-equivalent, None when no factor gives a mass
    score: int  # 0–100
    distance_km: float  # road estimate, 1 decimal
    mode: Mode  # who carries the goods
    delivery_date: date  # the first day both windows and the structure's distribution days allow
    reasons: tuple[Reason, ...]  # why this proposal, most decisive first
    components: dict[str, float]  # unweighted components in [0, 1], keyed like Weights
    fairness_decided: bool = False  # priority, not the score, gave this pair its quantity


@dataclass(frozen=True, slots=True)
class EngineStats:
    n_offers: int
    n_needs: int
    n_candidate_pairs: int  # pairs passing every hard constraint
    n_scored_pairs: int  # pairs kept for allocation (top `max_candidates_per_need` per need)
    n_proposals: int
    objective: float  # Σ score × kg-equivalent of the proposals
    objective_with_fairness: float  # the value the allocation maximises
    least_served_fill_rate: float  # lowest fill rate among structures the run could serve
    least_served_decile: float  # mean fill rate of the least-served tenth of them
    timings_s: dict[str, float] = field(default_factory=dict)  # candidates, scores, allocation, output


@dataclass(frozen=True, slots=True)
class EngineResult:
    proposals: tuple[Proposal, ...]  # sorted by (need_id, -score, offer_id)
    stats: EngineStats
    #: Per structure id: entitlement, received before the run and allocated by it (kg-eq).
    fill_rates: dict[int, dict[str, float]] = field(default_factory=dict)
