"""Columnar (numpy) views of offers, needs and structures, and the geometry both stages share.

Dates become day ordinals, choices become small integer codes (their index in the
tuples of `types`), sets become bit masks so that set intersections are vectorised.

Quantities are compared in a *base* per dimension: kilogram-equivalents whenever the
listing's unit has a known mass (`kg_per_unit`), otherwise litres, pieces (a dozen is
twelve) or crates as they are. Two listings meet only in the same dimension, so that
eggs by the dozen meet a need counted in eggs, and nothing is ever weighed by guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .types import (
    FREQUENCIES,
    PRICINGS,
    RECURRENCES,
    STORAGES,
    UNITS,
    WHOLE_UNITS,
    NeedInput,
    OfferInput,
    StructureInput,
)

EARTH_RADIUS_KM = 6371.0088
#: Dimensions of the base quantity: kilogram-equivalent, litre (no known density),
#: piece (no known mass; a dozen is 12), crate (no known weight).
MASS, VOLUME, COUNT, CRATES = range(4)
#: Flow units per base unit, by dimension: 10 g, 10 ml, one piece, one crate.
FLOW_STEPS = np.array([100, 100, 1, 1], dtype=np.int64)
#: Dimensions that fridge and freezer capacities (kg, a litre taken as a kilogram) cap.
CAPPED_DIMENSIONS = (MASS, VOLUME)
AMBIENT, CHILLED, FROZEN = (STORAGES.index(s) for s in STORAGES)
DONATION = PRICINGS.index("donation")
SOLIDARITY = PRICINGS.index("solidarity")


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def haversine_km(lat1_deg: np.ndarray, lon1_deg: np.ndarray, lat2_deg: np.ndarray, lon2_deg: np.ndarray) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def chord_for_great_circle_km(km: np.ndarray | float) -> np.ndarray:
    """Straight-line distance between unit vectors `km` apart on the sphere, padded
    by a hair so that floating-point noise never loses a pair at the exact limit."""
    angle = np.minimum(np.asarray(km, dtype=float) / EARTH_RADIUS_KM, np.pi)
    return 2 * np.sin(angle / 2) * (1 + 1e-9) + 1e-12


class Vocabulary:
    """Gives each distinct value a bit; sets of values become rows of uint64 words."""

    def __init__(self, values: Iterable[object]) -> None:
        self.bits = {v: i for i, v in enumerate(sorted(set(values), key=repr))}
        self.words = max(1, (len(self.bits) + 63) // 64)

    def masks(self, sets: Sequence[Iterable[object]]) -> np.ndarray:
        rows: list[int] = []
        bits: list[int] = []
        for row, values in enumerate(sets):
            for v in values:
                bit = self.bits.get(v)
                if bit is not None:
                    rows.append(row)
                    bits.append(bit)
        out = np.zeros((len(sets), self.words), dtype=np.uint64)
        if rows:
            b = np.asarray(bits, dtype=np.uint64)
            np.bitwise_or.at(
                out,
                (np.asarray(rows), (b // 64).astype(np.intp)),
                np.left_shift(np.uint64(1), b % np.uint64(64)),
            )
        return out


def intersects(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a & b).any(axis=1)


def popcount(masks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(masks).sum(axis=1, dtype=np.int64)


def _nan_if_none(values: Iterable[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def base_of(unit: str, kg_per_unit: float | None) -> tuple[int, float]:
    """(dimension, base units per unit) of a listing."""
    if unit == "kg":
        return MASS, 1.0
    if kg_per_unit is not None:
        return MASS, float(kg_per_unit)
    if unit == "l":
        return VOLUME, 1.0
    if unit == "crate":
        return CRATES, 1.0
    return COUNT, 12.0 if unit == "dozen" else 1.0


def weekday_mask(days: Iterable[int]) -> int:
    """Bit d set for weekday d (0 = Monday); 0 means any day."""
    mask = 0
    for d in days:
        mask |= 1 << int(d)
    return mask


@dataclass(frozen=True, slots=True, eq=False)
class OfferArrays:
    items: tuple[OfferInput, ...]
    id: np.ndarray
    organization_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    xyz: np.ndarray
    quantity: np.ndarray  # base units
    unit: np.ndarray
    dimension: np.ndarray
    base_per_unit: np.ndarray
    grain: np.ndarray  # base units every proposed quantity is a multiple of; 0: any
    min_quantity: np.ndarray  # base units
    window_start: np.ndarray
    window_end: np.ndarray
    good_until: np.ndarray  # last day the goods can be picked up (window and use-by)
    storage: np.ndarray
    pricing: np.ndarray
    price: np.ndarray  # € per base unit, NaN for donations
    price_per_unit: np.ndarray  # € per offer unit (for the price component)
    usual_price: np.ndarray  # € per offer unit
    has_delivery: np.ndarray
    has_pickup: np.ndarray
    has_gleaning: np.ndarray
    has_partner: np.ndarray
    delivery_radius_km: np.ndarray
    recurrence: np.ndarray
    shelf_life_days: np.ndarray
    categories: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True, eq=False)
class NeedArrays:
    items: tuple[NeedInput, ...]
    id: np.ndarray
    organization_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    xyz: np.ndarray
    quantity: np.ndarray  # base units
    unit: np.ndarray
    dimension: np.ndarray
    base_per_unit: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray
    accepts_purchase: np.ndarray
    max_price: np.ndarray  # € per base unit, NaN: any
    budget: np.ndarray  # € left on the need itself, NaN: no limit of its own
    has_fridge: np.ndarray
    chilled_capacity: np.ndarray
    has_freezer: np.ndarray
    frozen_capacity: np.ndarray
    pickup_radius_km: np.ndarray
    can_pick_up: np.ndarray
    can_glean: np.ndarray
    gleaning_volunteers: np.ndarray
    urgency: np.ndarray
    frequency: np.ndarray
    distribution_mask: np.ndarray  # weekday bits, 0: any day
    structure: np.ndarray  # index in StructureArrays, -1 when none is known
    categories: np.ndarray
    preferred_labels: np.ndarray

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True, eq=False)
class StructureArrays:
    items: tuple[StructureInput, ...]
    id: np.ndarray
    people: np.ndarray
    received_kg: np.ndarray
    budget: np.ndarray  # € left this month, NaN: no limit known

    def __len__(self) -> int:
        return len(self.items)

    def spend_limit(self, need_structure: np.ndarray) -> np.ndarray:
        """Per need: its structure's budget left (NaN when none)."""
        out = np.full(len(need_structure), np.nan)
        known = need_structure >= 0
        out[known] = self.budget[need_structure[known]]
        return out


def offer_good_until(offer: OfferInput) -> int:
    """Last day (ordinal) the offer can be picked up.

    The window end, cut by the use-by date; for a one-off offer without a use-by
    date but with a shelf life, the goods exist from `window_start` and keep
    `shelf_life_days`. Recurring offers are fresh batches, so shelf life does not
    shorten their window.
    """
    end = offer.window_end.toordinal()
    if offer.use_by is not None:
        end = min(end, offer.use_by.toordinal())
    elif offer.shelf_life_days is not None and offer.recurrence == "once":
        end = min(end, offer.window_start.toordinal() + offer.shelf_life_days)
    return end


def _grain(offer: OfferInput, base_per_unit: float) -> float:
    if offer.pack_size > 0:
        return offer.pack_size * base_per_unit
    if offer.unit in WHOLE_UNITS:
        return base_per_unit
    return 0.0


def build_arrays(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    structures: Sequence[StructureInput] = (),
) -> tuple[OfferArrays, NeedArrays, StructureArrays]:
    """Columnar views, each sorted by id so that results do not depend on input order."""
    offers = tuple(sorted(offers, key=lambda o: o.id))
    needs = tuple(sorted(needs, key=lambda n: n.id))
    structures = tuple(sorted(structures, key=lambda s: s.id))
    for kind, items in (("offer", offers), ("need", needs), ("structure", structures)):
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {kind} ids")
    categories = Vocabulary(
        [c for o in offers for c in o.category_ancestors] + [c for n in needs for c in n.category_ids]
    )
    labels = Vocabulary([lab for n in needs for lab in n.preferred_labels])

    def col(items: Sequence[object], attr: str, dtype: type = float) -> np.ndarray:
        return np.fromiter((getattr(x, attr) for x in items), dtype=dtype, count=len(items))

    def code(items: Sequence[object], attr: str, choices: tuple[str, ...]) -> np.ndarray:
        index = {c: i for i, c in enumerate(choices)}
        return np.fromiter((index[getattr(x, attr)] for x in items), dtype=np.int8, count=len(items))

    def days(values: Iterable[object]) -> np.ndarray:
        return np.fromiter((d.toordinal() for d in values), dtype=np.int64)  # type: ignore[attr-defined]

    def bases(items) -> tuple[np.ndarray, np.ndarray]:
        pairs = [base_of(x.unit, x.kg_per_unit) for x in items]
        return (
            np.fromiter((p[0] for p in pairs), dtype=np.int8, count=len(pairs)),
            np.fromiter((p[1] for p in pairs), dtype=float, count=len(pairs)),
        )

    o_lat, o_lon = col(offers, "lat"), col(offers, "lon")
    o_dim, o_base = bases(offers)
    logistics = [o.logistics for o in offers]
    price_per_unit = _nan_if_none(x.price_per_unit for x in offers)
    pricing = code(offers, "pricing", PRICINGS)
    with np.errstate(invalid="ignore"):
        price = np.where(pricing == DONATION, np.nan, price_per_unit / o_base)
    o = OfferArrays(
        items=offers,
        id=col(offers, "id", np.int64),
        organization_id=col(offers, "organization_id", np.int64),
        lat=o_lat,
        lon=o_lon,
        xyz=unit_vectors(o_lat, o_lon),
        quantity=col(offers, "quantity") * o_base,
        unit=code(offers, "unit", UNITS),
        dimension=o_dim,
        base_per_unit=o_base,
        grain=np.fromiter((_grain(x, b) for x, b in zip(offers, o_base, strict=True)), dtype=float, count=len(offers)),
        min_quantity=col(offers, "min_quantity") * o_base,
        window_start=days(x.window_start for x in offers),
        window_end=days(x.window_end for x in offers),
        good_until=np.fromiter(map(offer_good_until, offers), dtype=np.int64, count=len(offers)),
        storage=code(offers, "storage", STORAGES),
        pricing=pricing,
        price=price,
        price_per_unit=price_per_unit,
        usual_price=_nan_if_none(x.usual_price_per_unit for x in offers),
        has_delivery=np.fromiter(("delivery" in s for s in logistics), dtype=bool),
        has_pickup=np.fromiter(("pickup" in s for s in logistics), dtype=bool),
        has_gleaning=np.fromiter(("gleaning" in s for s in logistics), dtype=bool),
        has_partner=np.fromiter(("partner" in s for s in logistics), dtype=bool),
        delivery_radius_km=col(offers, "delivery_radius_km"),
        recurrence=code(offers, "recurrence", RECURRENCES),
        shelf_life_days=_nan_if_none(x.shelf_life_days for x in offers),
        categories=categories.masks([x.category_ancestors for x in offers]),
        labels=labels.masks([x.labels for x in offers]),
    )
    s_index = {s.id: k for k, s in enumerate(structures)}
    s = StructureArrays(
        items=structures,
        id=col(structures, "id", np.int64),
        people=col(structures, "people_served_per_week"),
        received_kg=col(structures, "received_kg"),
        budget=_nan_if_none(x.budget_eur for x in structures),
    )
    n_lat, n_lon = col(needs, "lat"), col(needs, "lon")
    n_dim, n_base = bases(needs)
    pickup_radius = col(needs, "pickup_radius_km")
    volunteers = col(needs, "gleaning_volunteers", np.int64)
    has_vehicle = col(needs, "has_vehicle", bool)
    n = NeedArrays(
        items=needs,
        id=col(needs, "id", np.int64),
        organization_id=col(needs, "organization_id", np.int64),
        lat=n_lat,
        lon=n_lon,
        xyz=unit_vectors(n_lat, n_lon),
        quantity=col(needs, "quantity") * n_base,
        unit=code(needs, "unit", UNITS),
        dimension=n_dim,
        base_per_unit=n_base,
        window_start=days(x.window_start for x in needs),
        window_end=days(x.window_end for x in needs),
        accepts_purchase=col(needs, "accepts_purchase", bool),
        max_price=_nan_if_none(x.max_price_per_unit for x in needs) / n_base,
        budget=_nan_if_none(x.budget_eur for x in needs),
        has_fridge=col(needs, "has_fridge", bool),
        chilled_capacity=col(needs, "chilled_capacity_kg"),
        has_freezer=col(needs, "has_freezer", bool),
        frozen_capacity=col(needs, "frozen_capacity_kg"),
        pickup_radius_km=pickup_radius,
        can_pick_up=has_vehicle & (pickup_radius > 0),
        can_glean=(volunteers > 0) & (pickup_radius > 0),
        gleaning_volunteers=volunteers,
        urgency=col(needs, "urgency", np.int8),
        frequency=code(needs, "frequency", FREQUENCIES),
        distribution_mask=np.fromiter(
            (weekday_mask(x.distribution_days) for x in needs), dtype=np.int64, count=len(needs)
        ),
        structure=np.fromiter((s_index.get(x.organization_id, -1) for x in needs), dtype=np.int64, count=len(needs)),
        categories=categories.masks([x.category_ids for x in needs]),
        preferred_labels=labels.masks([x.preferred_labels for x in needs]),
    )
    return o, n, s
