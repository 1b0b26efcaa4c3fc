"""What a funding line pays for a delivery, planned or recorded: plain arithmetic, no ORM.

Signing, starting and changing an agreement (``agreements.services``) and the migration that
back-fills the reservations of agreements signed before reservations existed
(``0005_backfill_funding_reservation``, which may not import models) compute the same figure
here: the line's share per kilogram, never more than the gap, 0 outside the line's period,
categories or structures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineRules:
    """A funding line's rules: its period, share per kg, and eligible categories and structures
    (empty: all)."""

    period_start: dt.date
    period_end: dt.date
    share_per_kg_eur: Decimal
    categories: frozenset[int] = frozenset()
    structures: frozenset[int] = frozenset()

    @classmethod
    def of(cls, line) -> LineRules:
        """The rules of a ``FundingLine`` (the current model or a migration's historical one)."""
        return cls(
            period_start=line.period_start,
            period_end=line.period_end,
            share_per_kg_eur=line.share_per_kg_eur,
            categories=frozenset(line.categories.values_list("pk", flat=True)),
            structures=frozenset(line.structures.values_list("pk", flat=True)),
        )

    def covers_day(self, day: dt.date) -> bool:
        return self.period_start <= day <= self.period_end


def eligible(rules: LineRules, *, day: dt.date, category_id: int, parent_id: int | None, structure_id: int) -> bool:
    """Whether the line pays a delivery of this category (or its family) to this structure on ``day``."""
    if not rules.covers_day(day):
        return False
    if rules.categories and not ({category_id, parent_id} & rules.categories):
        return False
    return not (rules.structures and structure_id not in rules.structures)


def share(*, share_per_kg_eur: Decimal, gap_per_unit: Decimal, kg: Decimal | None, quantity: Decimal) -> Decimal:
    """The line's share of ``kg`` kilograms, at most the gap of ``quantity`` units, to the cent."""
    paid = share_per_kg_eur * (kg if kg is not None else Decimal(0))
    gap = gap_per_unit * quantity
    return max(Decimal(0), min(paid, gap)).quantize(CENT)


def planned_share(
    rules: LineRules,
    *,
    day: dt.date,
    quantity: Decimal,
    structure_id: int,
    category_id: int,
    parent_id: int | None,
    gap_per_unit: Decimal,
    kg_per_unit: Decimal | None,
) -> Decimal:
    """What the line will pay for a planned delivery of ``quantity`` units on ``day``: its reservation."""
    if not eligible(rules, day=day, category_id=category_id, parent_id=parent_id, structure_id=structure_id):
        return Decimal(0)
    kg = None if kg_per_unit is None else (Decimal(quantity) * kg_per_unit).quantize(Decimal("0.001"))
    return share(share_per_kg_eur=rules.share_per_kg_eur, gap_per_unit=gap_per_unit, kg=kg, quantity=quantity)


def planned_gap(
    rules: LineRules,
    *,
    days: list[dt.date],
    structure_ids,
    quantity: Decimal,
    category_id: int,
    parent_id: int | None,
    gap_per_unit: Decimal,
    kg_per_unit: Decimal | None,
) -> Decimal:
    """What the line will pay for these deliveries of ``quantity`` each, every structure: what an
    agreement reserves when its last party signs."""
    return sum(
        (
            planned_share(
                rules,
                day=day,
                quantity=quantity,
                structure_id=structure_id,
                category_id=category_id,
                parent_id=parent_id,
                gap_per_unit=gap_per_unit,
                kg_per_unit=kg_per_unit,
            )
            for day in days
            for structure_id in structure_ids
        ),
        Decimal(0),
    )
