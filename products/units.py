"""Quantities in one unit or another, converted only where it is safe.

Pure functions (no database): give them a quantity, its unit and the category's factors
(``ProductCategory.unit_factors()``, or a ``UnitFactors`` built by hand). What is exact is
always converted (a dozen is twelve pieces, a kilogram is a kilogram); what needs a
factor is converted only when the category documents one (the average mass of an egg,
the mass of a litre of milk, the weight of the offer's crate). Anything else is refused
with ``UnsafeConversion``, whose ``code`` says why and ``message`` says it in French.

The factors and their sources are listed in docs/units.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

KG, LITRE, PIECE, DOZEN, CRATE = "kg", "l", "piece", "dozen", "crate"
UNITS = (KG, LITRE, PIECE, DOZEN, CRATE)
PIECES_PER_DOZEN = 12
#: Results are given to the gram (or the thousandth of a piece, a litre...).
THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class UnitFactors:
    """How one category is counted and weighed."""

    category: str = ""
    units: tuple[str, ...] = UNITS  # the units it may be counted in
    kg_per_piece: Decimal | None = None  # average mass of one piece (an egg, a pot)
    kg_per_litre: Decimal | None = None  # density (milk, juice)


class UnsafeConversion(ValueError):
    """A conversion that no documented factor supports."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _decimal(value, name: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise UnsafeConversion("not_a_number", _("%(name)s n'est pas un nombre.") % {"name": name}) from None
    if not number.is_finite():
        raise UnsafeConversion("not_a_number", _("%(name)s n'est pas un nombre.") % {"name": name})
    return number


def _check_unit(unit: str, factors: UnitFactors) -> None:
    if unit not in UNITS:
        raise UnsafeConversion("unknown_unit", _("Unité inconnue : « %(unit)s ».") % {"unit": unit})
    if unit not in factors.units:
        raise UnsafeConversion(
            "unit_not_allowed",
            _("La catégorie « %(category)s » ne se compte pas en « %(unit)s ».")
            % {"category": factors.category, "unit": unit},
        )


def kg_per_unit(unit: str, factors: UnitFactors, *, crate_kg=None) -> Decimal:
    """The mass of one ``unit`` of this category, or ``UnsafeConversion``."""
    _check_unit(unit, factors)
    if unit == KG:
        return Decimal(1)
    if unit == CRATE:
        if crate_kg is None:
            raise UnsafeConversion("crate_kg_unknown", _("Le poids d'une cagette n'est pas indiqué."))
        weight = _decimal(crate_kg, _("Le poids d'une cagette"))
        if weight <= 0:
            raise UnsafeConversion("crate_kg_unknown", _("Le poids d'une cagette doit être positif."))
        return weight
    if unit == LITRE:
        if factors.kg_per_litre is None:
            raise UnsafeConversion(
                "no_density",
                _("La masse d'un litre de « %(category)s » n'est pas documentée.") % {"category": factors.category},
            )
        return Decimal(factors.kg_per_litre)
    # A piece, or twelve of them.
    if factors.kg_per_piece is None:
        raise UnsafeConversion(
            "no_piece_weight",
            _("Le poids moyen d'une pièce de « %(category)s » n'est pas documenté.") % {"category": factors.category},
        )
    piece = Decimal(factors.kg_per_piece)
    return piece * PIECES_PER_DOZEN if unit == DOZEN else piece


def to_kg(quantity, unit: str, category: UnitFactors, crate_kg=None) -> Decimal:
    """``quantity`` of ``unit`` in kilograms, to the gram; ``UnsafeConversion`` when unknown."""
    quantity = _decimal(quantity, _("La quantité"))
    return (quantity * kg_per_unit(unit, category, crate_kg=crate_kg)).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def convert(quantity, *, from_unit: str, to_unit: str, category: UnitFactors, crate_kg=None, to_crate_kg=None):
    """``quantity`` of ``from_unit`` expressed in ``to_unit`` (to the thousandth).

    Pieces and dozens convert into each other exactly, whatever the category; every other
    pair goes through the kilogram and needs both units' factors. ``crate_kg`` weighs a
    crate of the source, ``to_crate_kg`` one of the target (the source's by default)."""
    quantity = _decimal(quantity, _("La quantité"))
    _check_unit(from_unit, category)
    _check_unit(to_unit, category)
    if from_unit == to_unit and (from_unit != CRATE or to_crate_kg in (None, crate_kg)):
        return quantity.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
    counts = {PIECE: Decimal(1), DOZEN: Decimal(PIECES_PER_DOZEN)}
    if from_unit in counts and to_unit in counts:
        return (quantity * counts[from_unit] / counts[to_unit]).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
    kg = quantity * kg_per_unit(from_unit, category, crate_kg=crate_kg)
    target = kg_per_unit(to_unit, category, crate_kg=to_crate_kg if to_crate_kg is not None else crate_kg)
    return (kg / target).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def can_convert(from_unit: str, to_unit: str, category: UnitFactors, *, crate_kg=None, to_crate_kg=None) -> bool:
    try:
        convert(1, from_unit=from_unit, to_unit=to_unit, category=category, crate_kg=crate_kg, to_crate_kg=to_crate_kg)
    except UnsafeConversion:
        return False
    return True
