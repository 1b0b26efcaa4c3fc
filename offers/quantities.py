"""Quantities of offers, needs and matches in kilogram-equivalents, through ``products.units``.

An offer's unit weighs what its category documents (an egg, a litre of milk) or what the
offer says (a crate); a need's unit weighs what all its accepted categories counted in that
unit agree on (a need for "eggs" counted in eggs: 58 g each). Anything else has no mass:
``None``, never a guess. Matching compares in kilogram-equivalents whenever both sides have
a mass (docs/units.md, docs/fairness.md); deliveries, received quantities and fill rates
are counted with the same factors.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from products.units import PIECES_PER_DOZEN, UNITS, UnitFactors, UnsafeConversion
from products.units import kg_per_unit as _kg_per_unit

THOUSANDTH = Decimal("0.001")


def factors_of(category) -> UnitFactors:
    """A category's unit factors (a ProductCategory, current or historical)."""
    return UnitFactors(
        category=category.code,
        units=tuple(category.allowed_units or UNITS),
        kg_per_piece=category.kg_per_piece,
        kg_per_litre=category.kg_per_litre,
    )


def offer_kg_per_unit(category, unit: str, crate_kg=None) -> Decimal | None:
    """The mass of one unit of an offer of this category, or None when nothing documents it."""
    try:
        return _kg_per_unit(unit, factors_of(category), crate_kg=crate_kg)
    except UnsafeConversion:
        return None


def need_kg_per_unit(unit: str, categories: Iterable) -> Decimal | None:
    """The mass of one unit of a need accepting these categories (with their sub-categories):
    the factor they all agree on among those counted in that unit; None otherwise."""
    if unit == "kg":
        return Decimal(1)
    found = set()
    for category in categories:
        if category.allowed_units and unit not in category.allowed_units:
            continue
        mass = offer_kg_per_unit(category, unit)
        if mass is None:
            return None
        found.add(mass)
    return found.pop() if len(found) == 1 else None


def kg_of(quantity, kg_per_unit: Decimal | None) -> Decimal | None:
    if kg_per_unit is None or quantity is None:
        return None
    return (Decimal(quantity) * kg_per_unit).quantize(THOUSANDTH)


def convert(quantity, *, from_unit: str, from_kg: Decimal | None, to_unit: str, to_kg: Decimal | None) -> Decimal:
    """A quantity from one listing's unit to another's, rounded down to the thousandth:
    exact between identical units and between pieces and dozens, through the kilogram when
    both have a mass. ``UnsafeConversion`` otherwise."""
    quantity = Decimal(quantity)
    counts = {"piece": Decimal(1), "dozen": Decimal(PIECES_PER_DOZEN)}
    if from_unit == to_unit and (from_unit != "crate" or from_kg == to_kg):
        result = quantity
    elif from_kg is not None and to_kg is not None:
        result = quantity * from_kg / to_kg
    elif from_unit in counts and to_unit in counts:
        result = quantity * counts[from_unit] / counts[to_unit]
    else:
        raise UnsafeConversion("no_safe_conversion", f"{from_unit} → {to_unit}")
    return result.quantize(THOUSANDTH, rounding=ROUND_DOWN)
