"""What a gleaning harvest takes from its offer: plain arithmetic, no ORM.

Recording a harvest (``logistics.services.gleaning.gleaning_record_harvest``, under the offer's
row lock) and the migration that back-fills the harvests recorded before the offer was touched
(``0007_backfill_harvest_offer_quantity``, which may not import models) compute the same figures
here: the harvest's kilograms in the offer's unit, the part of it the structure's confirmed match
of the offer had not already reserved held on the offer, within what is left of it, never below
nothing left.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

THOUSANDTH = Decimal("0.001")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Take:
    """What a harvest takes from its offer, in the offer's unit."""

    change: Decimal  # to hold more on the offer now (negative: given back)
    offer_quantity: Decimal  # all it took: what its match had reserved, plus what it holds
    offer_quantity_held: Decimal  # what it holds itself on the offer's reserved quantity


def offer_units(quantity_kg: Decimal, kg_per_unit: Decimal | None) -> Decimal:
    """The harvest's kilograms in the offer's unit; nothing when the unit has no known mass
    (the offer is then not touched)."""
    if kg_per_unit is None:
        return ZERO
    return (Decimal(quantity_kg) / kg_per_unit).quantize(THOUSANDTH)


def harvest_take(
    *,
    quantity_kg: Decimal,
    kg_per_unit: Decimal | None,
    already: Decimal,
    available: Decimal,
    reserved: Decimal,
    held_before: Decimal = ZERO,
) -> Take:
    """What a harvest of ``quantity_kg`` takes from an offer with ``available`` left and
    ``reserved`` reserved (its row locked), ``already`` being what the structure's confirmed
    match of the offer reserved, ``held_before`` what an earlier recording of the same harvest
    held (a correction gives back or takes more). A field that gave more than the offer said
    empties it (``offers.services.listings.offer_quantity_hold`` with ``partial``), never more."""
    change = max(offer_units(quantity_kg, kg_per_unit) - already, ZERO) - held_before
    if change < 0:
        change = max(change, -reserved)
    elif change > available:
        change = max(available, ZERO)
    held = held_before + change
    return Take(change=change, offer_quantity=already + held, offer_quantity_held=held)
