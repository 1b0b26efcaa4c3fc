"""The demand calendar: a structure's expected needs by month against committed supply; a
farmer's commitment becomes a proposed agreement that the table counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from agreements.models import DemandForecast, SupplyAgreement
from agreements.selectors import demand_table
from agreements.services import demand
from miam.errors import NotAllowed
from tests.agreements.helpers import D, active, world
from tests.factories import OfferFactory, category

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


def planned_harvest(w, **over):
    values = {
        "organization": w.farm,
        "product_name": "Carottes de garde",
        "quantity": Decimal(1000),
        "window_start": D(2026, 10, 1),
        "window_end": D(2027, 3, 31),
        "pricing": "solidarity",
        "price_per_unit": Decimal("0.90"),
        "usual_price_per_unit": Decimal("1.20"),
        **over,
    }
    return OfferFactory(**values)


def test_a_structure_pre_orders_a_planned_harvest_as_a_proposed_agreement_through_the_api(client):
    w = world()
    offer = planned_harvest(w)
    demand.demand_set(
        by=w.volunteer, structure=w.structure, category=offer.category, month=D(2026, 10, 1), quantity_kg=Decimal(150)
    )
    client.force_login(w.volunteer)

    response = client.post(
        "/api/v1/demand/preorders/",
        {
            "offer": offer.pk,
            "structure": w.structure.pk,
            "quantity_per_month": "120",
            "first_month": "2026-10",
            "last_month": "2027-03",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    agreement = SupplyAgreement.objects.get(pk=response.json()["id"])
    assert agreement.status == SupplyAgreement.Status.PROPOSED and agreement.farm == w.farm
    # The partner reads which harvest it holds, and how much of it (120 kg × 6 months).
    body = client.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert (body["preorder_offer"], body["preorder_quantity_held"]) == (offer.pk, "720.000")
    assert response.json()["preorder_offer"] == offer.pk
    assert (agreement.product_name, agreement.quantity_per_delivery) == ("Carottes de garde", Decimal(120))
    assert (agreement.fair_price_per_unit, agreement.price_paid_per_unit) == (Decimal("1.20"), Decimal("0.90"))
    assert agreement.recurrence == "FREQ=MONTHLY;BYDAY=+1MO" and agreement.end_date == D(2027, 3, 31)
    months, rows = demand_table(structure_ids={w.structure.pk}, first_month=D(2026, 10, 1), months=6)
    assert {str(c.code): cells for c, cells in rows}["potatoes"][0].gap_kg == 30


@pytest.mark.parametrize(
    ("over", "body", "field", "message", "status"),
    [
        ({}, {"first_month": "2026-08"}, "first_month", "pré-commandez dans ces mois-là", 400),
        # More than what is left of the harvest: a conflict with its state (409, like an exhausted offer).
        (
            {},
            {"quantity_per_month": "200"},
            "quantity_per_month",
            "Il reste 1000 kg de cette production, pas 1200.",
            409,
        ),
        ({"pricing": "donation", "price_per_unit": None}, {}, "offer", "Un don ne se pré-commande pas", 400),
        ({}, {"offer": 999999}, "offer", "Production inconnue", 400),
        ({}, {"quantity_per_month": "-1"}, "quantity_per_month", "La quantité doit être positive.", 400),
    ],
)
def test_a_bad_pre_order_is_explained_in_french_and_writes_nothing(client, over, body, field, message, status):
    w = world()
    offer = planned_harvest(w, **over)
    client.force_login(w.volunteer)
    values = {
        "offer": offer.pk,
        "structure": w.structure.pk,
        "quantity_per_month": "120",
        "first_month": "2026-10",
        "last_month": "2027-03",
        **body,
    }

    response = client.post("/api/v1/demand/preorders/", values, content_type="application/json")

    assert response.status_code == status
    assert message in str(response.json()), response.json()
    assert field in str(response.json())
    assert not SupplyAgreement.objects.exists()


def test_the_heat_map_is_a_table_with_a_caption_and_words_beside_its_colours(client):
    w = world()
    demand.demand_set(
        by=w.volunteer,
        structure=w.structure,
        category=category("beef"),
        month=timezone.localdate().replace(day=1),
        quantity_kg=Decimal(80),
    )
    client.force_login(w.volunteer)

    html = client.get("/conventions/demande/").content.decode()

    assert "<caption>" in html and 'id="demand-table"' in html
    assert 'data-cover="0"' in html and "0 / 80" in html and "−80 kg" in html
    assert "0 % couvert" in html  # said in words for a screen reader, not by the colour alone


def test_a_farmer_answers_a_gap_on_the_page_and_a_bad_answer_writes_nothing(client):
    w = world()
    client.force_login(w.farmer)
    values = {
        "commitment": "1",
        "farm": w.farm.pk,
        "structure": w.structure.pk,
        "category": "potatoes",
        "kg_per_month": "120",
        "first_month": "2026-10",
        "last_month": "2027-03",
        "fair_price_per_kg": "1,20",
        "price_paid_per_kg": "1,50",
    }

    bad = client.post("/conventions/demande/", values)
    assert bad.status_code == 400 and "ne peut dépasser le prix juste" in bad.content.decode()
    assert not SupplyAgreement.objects.exists()

    good = client.post("/conventions/demande/", {**values, "price_paid_per_kg": "0,90"})
    agreement = SupplyAgreement.objects.get()
    assert good.status_code == 302 and agreement.status == SupplyAgreement.Status.PROPOSED
    assert agreement.quantity_per_delivery == Decimal(120) and agreement.start_date == D(2026, 10, 1)
