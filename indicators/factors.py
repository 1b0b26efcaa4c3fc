"""The factors MIAM starts with (loaded by the data migration ``indicators/0002_seed_factors``).

Each one names its source by title and year; docs/indicators.md gives the table and why.
Staff correct them in the admin (a new row with a later ``valid_from``), never here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

#: Before any delivery MIAM can have recorded: the seeded factors apply to every period.
SEED_VALID_FROM = dt.date(2020, 1, 1)

SEED_FACTORS = [
    {
        "code": "meal_kg",
        "value": Decimal("0.5"),
        "unit": "kg/repas",
        "source_title": "Fédération française des Banques Alimentaires, rapport d'activité : convention « 1 repas = 500 g de denrées »",
        "source_year": 2023,
        "note": "Convention du réseau des banques alimentaires pour traduire des kilos distribués en repas.",
    },
    {
        "code": "co2e_km_car",
        "value": Decimal("0.218"),
        "unit": "kgCO2e/km",
        "source_title": "ADEME, Base Carbone® : voiture particulière, motorisation moyenne (amont et combustion)",
        "source_year": 2022,
        "note": "Enlèvements et livraisons sans utilitaire déclaré.",
    },
    {
        "code": "co2e_km_van",
        "value": Decimal("0.252"),
        "unit": "kgCO2e/km",
        "source_title": "ADEME, Base Carbone® : véhicule utilitaire léger, gazole (amont et combustion)",
        "source_year": 2022,
        "note": "Quand le côté qui transporte déclare un utilitaire (réfrigéré ou non).",
    },
]


def factors_seed(factor_model) -> int:
    """Create the seeded factors that are missing (the data migration, and tests after a flush)."""
    created = 0
    for row in SEED_FACTORS:
        _factor, was_created = factor_model.objects.get_or_create(
            code=row["code"], valid_from=SEED_VALID_FROM, defaults=row
        )
        created += int(was_created)
    return created
