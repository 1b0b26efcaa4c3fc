"""Random engine instances shared by the engine's property tests."""

from __future__ import annotations

import random
from datetime import date, timedelta

from offers.matching import NeedInput, OfferInput, StructureInput

TODAY = date(2025, 5, 12)
#: kg per unit of each unit the instances use (None: no documented mass).
MASSES = {"kg": 1.0, "l": None, "piece": None, "dozen": 0.696}


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def random_instance(
    seed: int,
    n_offers: int,
    n_needs: int,
    *,
    kg_only: bool = False,
    minimums: bool = True,
    budgets: bool = True,
    packs: bool = True,
    distribution: bool = True,
) -> tuple[list[OfferInput], list[NeedInput], list[StructureInput]]:
    """Offers, needs and their structures around Cluny; about half the needs share a structure."""
    rng = random.Random(seed)
    units = ["kg"] if kg_only else ["kg", "kg", "l", "piece", "dozen"]
    offers = []
    for i in range(n_offers):
        start = days(rng.randint(-5, 6))
        pricing = rng.choice(["donation", "donation", "solidarity", "market"])
        usual = rng.uniform(1, 5)
        leaf = rng.randint(11, 16)
        unit = rng.choice(units)
        mass = MASSES[unit] if rng.random() < 0.8 else None
        if unit == "kg":
            mass = 1.0
        offers.append(
            OfferInput(
                id=1000 + i,
                organization_id=rng.randint(1, max(1, n_offers // 2)),
                category_id=leaf,
                category_ancestors=(leaf, 1 + leaf % 2),
                lat=46.0 + rng.uniform(0, 0.6),
                lon=4.3 + rng.uniform(0, 0.8),
                quantity=float(rng.randint(1, 120)),
                unit=unit,
                kg_per_unit=mass,
                pack_size=rng.choice([0.0, 0.0, 0.5, 5.0]) if packs and unit in ("kg", "l") else 0.0,
                min_quantity=float(rng.choice([0, 0, 2, 10])) if minimums else 0.0,
                window_start=start,
                window_end=start + timedelta(days=rng.randint(0, 15)),
                use_by=start + timedelta(days=rng.randint(0, 8)) if rng.random() < 0.3 else None,
                storage=rng.choice(["ambient", "ambient", "chilled", "frozen"]),
                pricing=pricing,
                price_per_unit=None if pricing == "donation" else round(usual * rng.uniform(0.6, 1.1), 2),
                usual_price_per_unit=usual,
                logistics=frozenset(rng.sample(["delivery", "pickup", "gleaning", "partner"], rng.randint(1, 2))),
                delivery_radius_km=float(rng.randint(0, 40)),
                labels=frozenset(rng.sample(["bio", "hve", "local"], rng.randint(0, 2))),
                recurrence=rng.choice(["once", "weekly", "monthly", "season"]),
                shelf_life_days=rng.choice([None, 2, 10]),
            )
        )
    needs = []
    n_structures = max(1, n_needs // 2)
    for i in range(n_needs):
        start = days(rng.randint(0, 6))
        unit = rng.choice(units)
        mass = 1.0 if unit == "kg" else (MASSES[unit] if rng.random() < 0.8 else None)
        opening = (
            frozenset(rng.sample(range(7), rng.randint(1, 3))) if distribution and rng.random() < 0.3 else frozenset()
        )
        needs.append(
            NeedInput(
                id=5000 + i,
                organization_id=100 + rng.randint(1, n_structures),
                category_ids=frozenset(rng.sample([1, 2, 11, 12, 13, 14, 15, 16], rng.randint(1, 3))),
                lat=46.0 + rng.uniform(0, 0.6),
                lon=4.3 + rng.uniform(0, 0.8),
                quantity=float(rng.randint(1, 150)),
                unit=unit,
                kg_per_unit=mass,
                window_start=start,
                window_end=start + timedelta(days=rng.randint(0, 20)),
                accepts_purchase=rng.random() < 0.5,
                max_price_per_unit=rng.choice([None, 2.0, 4.0]),
                budget_eur=rng.choice([None, None, 30.0, 200.0]) if budgets else None,
                has_fridge=rng.random() < 0.7,
                chilled_capacity_kg=float(rng.randint(0, 100)),
                has_freezer=rng.random() < 0.4,
                frozen_capacity_kg=float(rng.randint(0, 100)),
                pickup_radius_km=float(rng.choice([0, 10, 25, 40])),
                has_vehicle=rng.random() < 0.6,
                gleaning_volunteers=rng.choice([0, 0, 3]),
                preferred_labels=frozenset(rng.sample(["bio", "hve", "local"], rng.randint(0, 2))),
                urgency=rng.randint(1, 3),
                frequency=rng.choice(["once", "weekly", "monthly"]),
                distribution_days=opening,
            )
        )
    structures = [
        StructureInput(
            id=100 + k,
            people_served_per_week=rng.choice([0, rng.randint(1, 300), rng.randint(1, 300)]),
            received_kg=float(rng.choice([0, rng.randint(0, 400)])),
            budget_eur=rng.choice([None, 0.0, 50.0, 500.0]) if budgets else None,
        )
        for k in range(1, n_structures + 1)
        if rng.random() < 0.9
    ]
    return offers, needs, structures
