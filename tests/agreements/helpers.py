"""The Germigney agreement and its parties, shared by the agreements tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from agreements.inputs import agreement_data
from agreements.services import agreements as svc
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, make_member, make_officer

D = dt.date
BEFORE_START = D(2026, 10, 1)


@dataclass
class World:
    territory: object
    farm: object
    structure: object
    farmer: object
    volunteer: object
    officer: object


def world(budget=Decimal(1000)) -> World:
    territory = TerritoryFactory()
    farm = FarmFactory(name="Ferme de Germigney")
    structure = StructureFactory(name="Croix-Rouge – le Panier arboisien", profile__monthly_budget_eur=budget)
    return World(
        territory=territory,
        farm=farm,
        structure=structure,
        farmer=make_member(farm),
        volunteer=make_member(structure),
        officer=make_officer(territory),
    )


def germigney_values(w: World, **over) -> dict:
    values = {
        "farm": w.farm.pk,
        "structures": [w.structure.pk],
        "category": "beef",
        "product_name": "Bœuf en colis",
        "unit": "kg",
        "pack_size": "5",
        "quantity_per_delivery": "10",
        "recurrence": "chaque mardi",
        "start_date": "2026-10-06",
        "end_date": "2027-03-30",
        "fair_price_per_unit": "10.80",
        "price_paid_per_unit": "10.80",
        "usual_price_per_unit": "11.80",
        "carrier": w.farm.pk,
        "transport_payer": w.farm.pk,
    }
    values.update(over)
    return values


def signed(w: World, **over):
    agreement = svc.agreement_create(by=w.farmer, data=agreement_data(germigney_values(w, **over)))
    agreement = svc.agreement_propose(by=w.farmer, agreement=agreement)
    agreement = svc.agreement_sign(by=w.farmer, agreement=agreement)
    return svc.agreement_sign(by=w.volunteer, agreement=agreement, today=BEFORE_START)


def active(w: World, **over):
    return svc.agreement_activate(by=w.farmer, agreement=signed(w, **over), today=BEFORE_START)
