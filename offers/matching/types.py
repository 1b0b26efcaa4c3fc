"""Plain inputs and outputs of the matching engine (no ORM, no settings, no clock)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal

UNITS = ("kg", "l", "piece", "dozen")
STORAGES = ("ambient", "chilled", "frozen")
PRICINGS = ("donation", "solidarity", "market")
LOGISTICS = ("delivery", "pickup", "gleaning", "partner")
RECURRENCES = ("once", "weekly", "monthly", "season")
FREQUENCIES = ("once", "weekly", "monthly")
#: Who carries the goods, in the order the engine tries them.
MODES = ("delivery", "partner", "pickup", "gleaning")

Mode = Literal["delivery", "partner", "pickup", "gleaning"]
History = Mapping[tuple[int, int], int]


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {choices}")


def _check_non_negative(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{type(owner).__name__}.{name} must be a finite number >= 0")


@dataclass(frozen=True, slots=True)
class OfferInput:
    """A farmer's offer as the engine sees it; `quantity` is what is still available."""

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

    def __post_init__(self) -> None:
        _check_choice("unit", self.unit, UNITS)
        _check_choice("storage", self.storage, STORAGES)
        _check_choice("pricing", self.pricing, PRICINGS)
        _check_choice("recurrence", self.recurrence, RECURRENCES)
        if not self.logistics <= frozenset(LOGISTICS):
            raise ValueError(f"logistics={set(self.logistics)!r} not within {LOGISTICS}")
        _check_non_negative(self, "quantity", "min_quantity", "delivery_radius_km")
        if self.window_start > self.window_end:
            raise ValueError(f"offer {self.id}: window_start is after window_end")
        if self.category_id not in self.category_ancestors:
            raise ValueError(f"offer {self.id}: category_ancestors must include category_id")


@dataclass(frozen=True, slots=True)
class NeedInput:
    """A food-aid structure's need; `quantity` is what is still open."""

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
    people_served_per_week: int = 0
    received_quantity_recent: float = 0.0  # over the last period, for fairness

    def __post_init__(self) -> None:
        _check_choice("unit", self.unit, UNITS)
        _check_choice("frequency", self.frequency, FREQUENCIES)
        if self.urgency not in (1, 2, 3):
            raise ValueError(f"need {self.id}: urgency must be 1, 2 or 3")
        _check_non_negative(
            self,
            "quantity",
            "chilled_capacity_kg",
            "frozen_capacity_kg",
            "pickup_radius_km",
            "gleaning_volunteers",
            "people_served_per_week",
            "received_quantity_recent",
        )
        if self.window_start > self.window_end:
            raise ValueError(f"need {self.id}: window_start is after window_end")


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the score components; normalised to sum 1 on creation.

    A territory may override any of them; they must be non-negative and not all zero.
    """

    distance: float = 0.25
    coverage: float = 0.15
    urgency: float = 0.15
    price: float = 0.10
    labels: float = 0.05
    recurrence: float = 0.05
    history: float = 0.10
    fairness: float = 0.15

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


@dataclass(frozen=True, slots=True)
class Params:
    """Run parameters. `today` is given, never read from a clock."""

    today: date
    road_detour_factor: float = 1.3
    mode: Literal["flow", "lp", "greedy"] = "flow"
    max_candidates_per_need: int = 50
    #: Extra value per unit, as a share of the 0–100 score scale, for the first
    #: `fairness_first_share` of an under-served structure's need (see allocation.py).
    fairness_strength: float = 0.3
    fairness_first_share: float = 0.3
    #: Quantity per person served per week regarded as "well served" (fairness component).
    fairness_reference_per_person: float = 1.0
    #: How far a logistics partner carries goods (road km).
    partner_radius_km: float = 80.0
    #: Past deliveries giving a history component of 0.5 (it saturates towards 1).
    history_half_saturation: float = 2.0
    #: Local re-solves (flow) or component re-solves (LP) when allocations fall below an
    #: offer's minimum quantity.
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
            "partner_radius_km",
            "min_quantity_rounds",
        )
        if not 0 <= self.fairness_first_share <= 1:
            raise ValueError("fairness_first_share must be within [0, 1]")
        if self.fairness_reference_per_person <= 0 or self.history_half_saturation <= 0:
            raise ValueError("fairness_reference_per_person and history_half_saturation must be > 0")


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed delivery of `quantity` (offer's unit) from an offer to a need."""

    offer_id: int
    need_id: int
    quantity: float
    score: int  # 0–100
    distance_km: float  # road estimate, 1 decimal
    mode: Mode  # who carries the goods
    explanation: str  # French, one line
    components: dict[str, float]  # unweighted components in [0, 1], keyed like Weights


@dataclass(frozen=True, slots=True)
class EngineStats:
    n_offers: int
    n_needs: int
    n_candidate_pairs: int  # pairs passing every hard constraint
    n_scored_pairs: int  # pairs kept for allocation (top `max_candidates_per_need` per need)
    n_proposals: int
    objective: float  # Σ score × quantity of the proposals
    objective_with_fairness: float  # the value the LP maximises
    least_served_coverage: float  # see allocation.least_served_coverage
    timings_s: dict[str, float] = field(default_factory=dict)  # candidates, scores, allocation, output


@dataclass(frozen=True, slots=True)
class EngineResult:
    proposals: tuple[Proposal, ...]  # sorted by (need_id, -score, offer_id)
    stats: EngineStats
