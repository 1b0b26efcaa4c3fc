"""Donations, traceable: lot and use-by date from the offer to the delivery note; the donor
statement; the receipt (its PDF's text read back), numbered per structure and year, frozen,
refused to a structure not entitled."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from agreements import documents
from agreements.models import DonationReceipt, DonationReceiptItem
from agreements.selectors import donor_statement
from agreements.services import receipts
from miam.errors import DomainError, NotAllowed
from offers.models import Delivery
from tests.agreements.helpers import D, world
from tests.agreements.test_statements import spot_delivery
from tests.factories import FarmFactory, StructureFactory, make_member

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def entitled(structure, reference="Rescrit fiscal n° 2024-39-0815"):
    profile = structure.structure_profile
    profile.issues_donation_receipts, profile.donation_receipt_reference = True, reference
    profile.save()


def donations(w):
    w.farm.siret = "41234567800016"
    w.farm.save()
    first = spot_delivery(w.farm, w.structure, w.volunteer, quantity=Decimal(40), day=D(2026, 10, 20))
    first.offer.usual_price_per_unit = Decimal("1.20")
    first.offer.save()
    second = spot_delivery(w.farm, w.structure, w.volunteer, quantity=Decimal("12.5"), day=D(2026, 11, 3))
    second.offer.usual_price_per_unit = Decimal("2.00")
    second.offer.product_name = "Carottes"
    second.offer.save()
    return first, second


def test_the_lot_and_use_by_date_travel_from_the_offer_to_the_delivery_note():
    w = world()
    match, _ = donations(w)
    delivery = Delivery.objects.get(match=match)
    assert (delivery.lot_number, delivery.use_by) == ("L-42", D(2026, 10, 30))
    text = pdf_text(documents.delivery_note_pdf(delivery))
    assert "L-42" in text and "30 octobre 2026" in text and "Ferme de Germigney" in text


def test_the_donor_statement_lists_product_kg_lot_use_by_and_value_at_the_usual_price():
    w = world()
    donations(w)
    rows, kg, value = donor_statement(donor=w.farm, start=D(2026, 10, 1), end=D(2026, 11, 30))
    assert [(r.match.offer.product_name, r.quantity_kg, r.lot_number, r.use_by, r.value_eur) for r in rows] == [
        ("Pommes de terre", Decimal(40), "L-42", D(2026, 10, 30), Decimal("48.00")),
        ("Carottes", Decimal("12.5"), "L-42", D(2026, 10, 30), Decimal("25.00")),
    ]
    assert (kg, value) == (Decimal("52.5"), Decimal("73.00"))


def test_a_receipt_pdf_has_its_number_donor_items_and_value():
    w = world()
    entitled(w.structure)
    donations(w)

    receipt = receipts.receipt_issue(
        by=w.volunteer,
        structure=w.structure,
        donor=w.farm,
        period_start=D(2026, 10, 1),
        period_end=D(2026, 11, 30),
        today=D(2026, 12, 1),
    )

    assert receipt.number == "2026-0001" and receipt.total_value_eur == Decimal("73.00")
    text = pdf_text(documents.receipt_pdf(receipt))
    for expected in (
        "2026-0001",
        "Ferme de Germigney",
        "41234567800016",
        "Croix-Rouge – le Panier arboisien",
        "Rescrit fiscal n° 2024-39-0815",
        "Pommes de terre",
        "Carottes",
        "L-42",
        "48,00",
        "25,00",
        "73,00",
        "238 bis",
    ):
        assert expected in text, expected


def test_receipts_are_numbered_per_structure_and_year_and_a_gift_is_on_one_valid_receipt():
    w = world()
    entitled(w.structure)
    donations(w)
    october = receipts.receipt_issue(
        by=w.volunteer,
        structure=w.structure,
        donor=w.farm,
        period_start=D(2026, 10, 1),
        period_end=D(2026, 10, 31),
        today=D(2026, 12, 1),
    )
    november = receipts.receipt_issue(
        by=w.volunteer,
        structure=w.structure,
        donor=w.farm,
        period_start=D(2026, 10, 1),
        period_end=D(2026, 11, 30),
        today=D(2026, 12, 1),
    )
    assert (october.number, november.number) == ("2026-0001", "2026-0002")
    assert [i.product for i in november.items.all()] == ["Carottes"]  # October's is on the first
    with pytest.raises(DomainError) as caught:
        receipts.receipt_issue(
            by=w.volunteer,
            structure=w.structure,
            donor=w.farm,
            period_start=D(2026, 10, 1),
            period_end=D(2026, 11, 30),
            today=D(2026, 12, 1),
        )
    assert caught.value.code == "nothing_to_receipt"
    other = StructureFactory()
    entitled(other)
    spot_delivery(w.farm, other, make_member(other), quantity=Decimal(5), day=D(2026, 10, 21))
    first_of_other = receipts.receipt_issue(
        by=other.memberships.get().user,
        structure=other,
        donor=w.farm,
        period_start=D(2026, 10, 1),
        period_end=D(2026, 10, 31),
        today=D(2027, 1, 2),
    )
    assert first_of_other.number == "2027-0001"


def test_an_issued_receipt_is_never_changed_it_is_cancelled_and_reissued():
    w = world()
    entitled(w.structure)
    donations(w)
    receipt = receipts.receipt_issue(
        by=w.volunteer,
        structure=w.structure,
        donor=w.farm,
        period_start=D(2026, 10, 1),
        period_end=D(2026, 11, 30),
        today=D(2026, 12, 1),
    )
    receipt.total_value_eur = Decimal("1000")
    with pytest.raises(DomainError, match="ne se modifie pas"):
        receipt.save()

    replacement = receipts.receipt_reissue(
        by=w.volunteer, receipt=receipt, reason="Erreur de valorisation", today=D(2026, 12, 1)
    )

    receipt.refresh_from_db()
    assert receipt.status == "cancelled" and receipt.cancel_reason == "Erreur de valorisation"
    assert replacement.number == "2026-0002" and replacement.replaces == receipt
    assert replacement.total_value_eur == Decimal("73.00")
    assert DonationReceiptItem.objects.filter(cancelled=False).count() == 2
    assert "remplace le reçu n° 2026-0001" in pdf_text(documents.receipt_pdf(replacement))
    with pytest.raises(DomainError, match="déjà annulé"):
        receipts.receipt_cancel(by=w.volunteer, receipt=receipt, reason="encore")


def test_a_structure_not_entitled_cannot_issue_a_receipt_nor_can_anyone_else_for_it():
    w = world()
    donations(w)
    with pytest.raises(DomainError) as caught:
        receipts.receipt_issue(
            by=w.volunteer, structure=w.structure, donor=w.farm, period_start=D(2026, 10, 1), period_end=D(2026, 11, 30)
        )
    assert caught.value.code == "not_entitled"
    assert "n'est pas habilitée à délivrer des reçus fiscaux" in caught.value.message
    entitled(w.structure)
    for outsider in (w.officer, w.farmer, make_member(FarmFactory())):
        with pytest.raises(NotAllowed):
            receipts.receipt_issue(
                by=outsider,
                structure=w.structure,
                donor=w.farm,
                period_start=D(2026, 10, 1),
                period_end=D(2026, 11, 30),
            )
    assert not DonationReceipt.objects.exists()


def test_the_receipts_api_issues_lists_and_serves_the_pdf(client):
    w = world()
    entitled(w.structure)
    donations(w)
    client.force_login(w.volunteer)
    body = {"structure": w.structure.pk, "donor": w.farm.pk, "period_start": "2026-10-01", "period_end": "2026-11-30"}
    created = client.post("/api/v1/donation-receipts/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    receipt = created.json()
    assert receipt["total_value_eur"] == "73.00" and len(receipt["items"]) == 2
    client.force_login(w.farmer)  # the donor sees its receipt
    assert [r["number"] for r in client.get("/api/v1/donation-receipts/").json()["results"]] == [receipt["number"]]
    pdf = client.get(f"/api/v1/donation-receipts/{receipt['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and receipt["number"] in pdf_text(pdf.content)
    refused = client.post("/api/v1/donation-receipts/", body, content_type="application/json")
    assert refused.status_code == 403  # the donor does not receipt its own gifts
