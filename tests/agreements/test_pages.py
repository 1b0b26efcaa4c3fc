"""The pages of each role: a farmer drafts and signs, the structure signs, the series runs; bad
input is explained next to its field and nothing is written; funding lines, statements, receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agreements.models import DonationReceipt, FundingLine, Occurrence, SupplyAgreement
from tests.agreements.helpers import active, world
from tests.agreements.test_donations import donations, entitled

pytestmark = pytest.mark.django_db


def form_values(w, **over):
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
        "fair_price_per_unit": "10,80",
        "price_paid_per_unit": "10,80",
        "usual_price_per_unit": "11,80",
        "carrier": w.farm.pk,
        "transport_payer": w.farm.pk,
    }
    values.update(over)
    return values


def test_a_farmer_drafts_proposes_and_signs_on_pages_and_the_structure_signs_for_itself(client):
    w = world()
    client.force_login(w.farmer)
    page = client.get("/conventions/nouvelle/")
    assert page.status_code == 200 and "Ferme de Germigney" in page.content.decode()
    response = client.post("/conventions/nouvelle/", form_values(w))
    agreement = SupplyAgreement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/conventions/{agreement.pk}/"
    assert agreement.fair_price_per_unit == Decimal("10.80") and agreement.recurrence == "FREQ=WEEKLY;BYDAY=TU"
    client.post(f"/conventions/{agreement.pk}/propose/")
    client.post(f"/conventions/{agreement.pk}/sign/")
    client.force_login(w.volunteer)
    detail = client.get(f"/conventions/{agreement.pk}/").content.decode()
    assert "Signer pour mon organisation" in detail and "chaque mardi" in detail
    client.post(f"/conventions/{agreement.pk}/sign/")
    agreement.refresh_from_db()
    assert agreement.status == "signed"
    assert [e.action for e in agreement.events.order_by("at", "id")] == ["created", "proposed", "signed", "signed"]


def test_bad_input_on_the_page_is_explained_next_to_the_field_and_nothing_is_written(client):
    w = world()
    client.force_login(w.farmer)
    response = client.post("/conventions/nouvelle/", form_values(w, price_paid_per_unit="11", end_date="2026-09-01"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "ne peut dépasser le prix juste au producteur" in html
    assert "avant de commencer" in html
    assert not SupplyAgreement.objects.exists()


def test_an_occurrence_is_skipped_and_another_moved_from_the_agreements_page(client):
    w = world()
    agreement = active(w)
    first, second = agreement.occurrences.order_by("date")[:2]
    client.force_login(w.volunteer)
    page = client.get(f"/conventions/{agreement.pk}/")
    assert page.status_code == 200 and f'id="occurrence-{first.pk}"' in page.content.decode()
    client.post(f"/conventions/livraisons/{first.pk}/skip/")
    client.post(f"/conventions/livraisons/{second.pk}/change/", {"date": "2030-10-14"})
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == Occurrence.Status.SKIPPED and second.date.isoformat() == "2030-10-14"
    client.force_login(w.farmer)
    client.post(f"/conventions/{agreement.pk}/end/", {"on": "2027-01-01"})
    agreement.refresh_from_db()
    assert agreement.status == "ended"


def test_officers_manage_funding_lines_on_their_page_and_others_only_read(client):
    w = world()
    client.force_login(w.officer)
    client.post("/conventions/financements/", {"funder": "1", "name": "Département du Jura", "kind": "departement"})
    from agreements.models import Funder

    funder = Funder.objects.get()
    response = client.post(
        "/conventions/financements/",
        {
            "line": "1",
            "funder": funder.pk,
            "name": "Viande locale",
            "amount_eur": "1500",
            "period_start": "2026-09-01",
            "period_end": "2027-08-31",
            "share_per_kg_eur": "1,00",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert FundingLine.objects.get().amount_eur == Decimal(1500)
    client.force_login(w.volunteer)
    page = client.get("/conventions/financements/").content.decode()
    assert "Nouvelle ligne" not in page


def test_statement_and_receipt_pages(client):
    w = world()
    entitled(w.structure)
    match, _ = donations(w)
    client.force_login(w.farmer)
    page = client.get(f"/conventions/releves/?organization={w.farm.pk}&month=2026-10")
    assert page.status_code == 200 and "Croix-Rouge" in page.content.decode()
    assert client.get(f"/conventions/releves/?organization={w.farm.pk}&month=2026-10&output=pdf")["Content-Type"] == (
        "application/pdf"
    )
    donations_page = client.get(f"/conventions/dons/?donor={w.farm.pk}&period_start=2026-10-01&period_end=2026-11-30")
    assert "L-42" in donations_page.content.decode()
    assert client.get(f"/conventions/bon-de-livraison/{match.pk}/")["Content-Type"] == "application/pdf"
    client.force_login(w.volunteer)
    response = client.post(
        "/conventions/recus/",
        {"structure": w.structure.pk, "donor": w.farm.pk, "period_start": "2026-10-01", "period_end": "2026-11-30"},
    )
    assert response.status_code == 302
    receipt = DonationReceipt.objects.get()
    assert client.get(f"/conventions/recus/{receipt.pk}/pdf/")["Content-Type"] == "application/pdf"
    client.post(f"/conventions/recus/{receipt.pk}/reissue/", {"reason": "Erreur"})
    assert DonationReceipt.objects.filter(status="issued").get().replaces == receipt
