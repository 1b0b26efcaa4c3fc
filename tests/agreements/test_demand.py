"""The demand calendar: a structure's expected needs by month against committed supply; a
farmer's commitment becomes a proposed agreement that the table counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agreements.models import DemandForecast, SupplyAgreement
from agreements.selectors import demand_table
from agreements.services import demand
from miam.errors import NotAllowed
from tests.agreements.helpers import D, active, world
from tests.factories import category

pytestmark = pytest.mark.django_db


def test_expected_needs_against_committed_supply_and_a_commitment_that_becomes_a_proposed_agreement(client):
    w = world()
    beef, roots = category("beef"), category("potatoes")
    demand.demand_set(
        by=w.volunteer, structure=w.structure, category=beef, month=D(2026, 10, 1), quantity_kg=Decimal(60)
    )
    demand.demand_set(
        by=w.volunteer, structure=w.structure, category=roots, month=D(2026, 10, 1), quantity_kg=Decimal(120)
    )
    active(w)  # 10 kg of beef each Tuesday: 4 in October 2026

    months, rows = demand_table(structure_ids={w.structure.pk}, first_month=D(2026, 10, 1), months=6)
    table = {str(c.code): cells for c, cells in rows}
    assert months[0] == D(2026, 10, 1) and len(months) == 6
    assert (table["beef"][0].demand_kg, table["beef"][0].committed_kg, table["beef"][0].gap_kg) == (60, 40, 20)
    assert table["potatoes"][0].gap_kg == 120

    agreement = demand.commitment_propose(
        by=w.farmer,
        farm=w.farm,
        structure=w.structure,
        category=roots,
        kg_per_month=Decimal(120),
        first_month=D(2026, 10, 1),
        last_month=D(2027, 3, 1),
        fair_price_per_kg=Decimal("1.20"),
        price_paid_per_kg=Decimal("0.90"),
    )
    assert agreement.status == SupplyAgreement.Status.PROPOSED
    assert agreement.recurrence == "FREQ=MONTHLY;BYDAY=+1MO" and agreement.end_date == D(2027, 3, 31)
    _months, rows = demand_table(structure_ids={w.structure.pk}, first_month=D(2026, 10, 1), months=6)
    assert {str(c.code): cells for c, cells in rows}["potatoes"][0].gap_kg == 0

    client.force_login(w.officer)
    page = client.get("/conventions/demande/")
    assert page.status_code == 200
    demand.demand_set(
        by=w.volunteer, structure=w.structure, category=beef, month=D(2026, 10, 1), quantity_kg=Decimal(0)
    )
    assert DemandForecast.objects.filter(category=beef).count() == 0


def test_only_the_structure_or_its_officers_state_its_needs():
    w = world()
    with pytest.raises(NotAllowed):
        demand.demand_set(
            by=w.farmer, structure=w.structure, category=category("beef"), month=D(2026, 10, 1), quantity_kg=Decimal(5)
        )
