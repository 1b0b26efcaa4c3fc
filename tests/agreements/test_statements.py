"""Monthly statements: each farm's sums to its deliveries; a funder appears on both sides; CSV
and PDF (its text read back with pypdf) carry the Chorus Pro references of a public buyer."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from pypdf import PdfReader

from agreements import documents
from agreements.models import Funder
from agreements.selectors import statement_for
from agreements.services import agreements as svc
from miam.exports import to_csv
from offers.models import Delivery, Match
from offers.services.matches import match_confirm_delivery
from tests.agreements.helpers import D, active, world
from tests.agreements.test_funding import line_for
from tests.factories import FarmFactory, NeedFactory, OfferFactory, make_member

pytestmark = pytest.mark.django_db
MS = Match.MatchStatus


OCTOBER_20 = D(2026, 10, 20)


def spot_delivery(farm, structure, volunteer, *, quantity, price=None, day=OCTOBER_20):
    offer = OfferFactory(
        organization=farm,
        quantity=Decimal(100),
        quantity_reserved=quantity,
        pricing="solidarity" if price else "donation",
        price_per_unit=price,
        usual_price_per_unit=price and price + 1,
        lot_number="L-42" if not price else "",
        use_by=D(2026, 10, 30) if not price else None,
    )
    need = NeedFactory(organization=structure, quantity=quantity, quantity_covered=quantity)
    match = Match.objects.create(
        offer=offer, need=need, quantity=quantity, price_per_unit=price, status=MS.SCHEDULED, scheduled_for=day
    )
    return match_confirm_delivery(match=match, by=volunteer, quantity_received=quantity, delivered_on=day)


def test_the_statements_of_three_farms_sum_exactly_to_their_deliveries():
    w = world()
    line = line_for(w)
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    for occurrence in agreement.occurrences.order_by("date")[:3]:
        match_confirm_delivery(
            match=occurrence.match, by=w.volunteer, quantity_received=Decimal("9.5"), delivered_on=occurrence.date
        )
    second, third = FarmFactory(), FarmFactory()
    spot_delivery(second, w.structure, w.volunteer, quantity=Decimal("12.5"), price=Decimal("1.35"))
    spot_delivery(second, w.structure, w.volunteer, quantity=Decimal(3), price=Decimal("2.10"))
    spot_delivery(third, w.structure, w.volunteer, quantity=Decimal(40))  # a donation
    spot_delivery(third, w.structure, w.volunteer, quantity=Decimal(7), day=D(2026, 11, 3))  # next month

    for farm in (w.farm, second, third):
        statement = statement_for(organization=farm, month=D(2026, 10, 1))
        october = Delivery.objects.filter(match__offer__organization=farm, delivered_on__month=10)
        sums = october.aggregate(
            kg=Sum("quantity_kg"), paid=Sum("amount_paid_eur"), funded=Sum("funding_use__amount_eur")
        )
        assert len(statement.lines) == october.count()
        assert statement.total_kg == sums["kg"]
        assert statement.total_due == (sums["paid"] or 0) + (sums["funded"] or 0)
        assert sum(amount for _payer, amount in statement.due_by_payer) == statement.total_due

    germigney = statement_for(organization=w.farm, month=D(2026, 10, 1))
    assert germigney.total_kg == Decimal("28.5")
    assert germigney.total_fair == Decimal("307.80")  # 28.5 kg × 10.80 €
    assert germigney.total_due == Decimal("307.80")  # 9.80 by the structure + 1.00 by the funder
    assert statement_for(organization=second, month=D(2026, 10, 1)).total_due == Decimal("23.18")  # 16.88 + 6.30
    assert statement_for(organization=third, month=D(2026, 10, 1)).total_due == 0


def test_a_funder_paying_one_euro_per_kg_of_the_gap_appears_on_both_monthly_statements():
    w = world()
    line = line_for(w)
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    occurrence = agreement.occurrences.order_by("date").first()
    match_confirm_delivery(
        match=occurrence.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=occurrence.date
    )
    funder = Funder.objects.get()

    farm_side = statement_for(organization=w.farm, month=D(2026, 10, 1))
    structure_side = statement_for(organization=w.structure, month=D(2026, 10, 1))

    assert dict(farm_side.due_by_payer) == {w.structure: Decimal("98.00"), funder: Decimal("10.00")}
    assert dict(structure_side.due_by_payer) == {w.farm: Decimal("98.00"), funder: Decimal("10.00")}
    for statement in (farm_side, structure_side):
        csv = to_csv(documents.statement_export(statement)).decode("utf-8-sig")
        assert "Département du Jura" in csv and "10,00" in csv and "98,00" in csv
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(documents.statement_pdf(statement))).pages)
        assert "Département du Jura" in text and "10,00" in text and "98,00" in text


def test_a_public_buyers_statement_carries_its_chorus_pro_references():
    w = world()
    w.structure.siret = "21390013500019"
    w.structure.save()
    agreement = active(w)
    svc.party_invoicing_update(
        by=w.volunteer,
        agreement=agreement,
        structure=w.structure,
        service_code="CCAS-ALIM",
        commitment_number="EJ-2026-0042",
    )
    occurrence = agreement.occurrences.order_by("date").first()
    match_confirm_delivery(
        match=occurrence.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=occurrence.date
    )

    csv = to_csv(documents.statement_export(statement_for(organization=w.farm, month=D(2026, 10, 1)))).decode(
        "utf-8-sig"
    )
    header, row = [line for line in csv.splitlines() if "Numéro d'engagement" in line or "EJ-2026-0042" in line]
    assert "Code service (Chorus Pro)" in header and "SIRET" in header
    assert "21390013500019" in row and "CCAS-ALIM" in row and "EJ-2026-0042" in row


def test_statements_are_read_by_the_organization_and_its_territorys_team_only(client):
    w = world()
    stranger = make_member(FarmFactory())
    url = f"/api/v1/statements/?organization={w.farm.pk}&month=2026-10"
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    client.force_login(w.farmer)
    body = client.get(url).json()
    assert body["side"] == "farm" and body["lines"] == []
    client.force_login(w.officer)
    response = client.get(url + "&output=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(url + "&output=csv")["Content-Type"].startswith("text/csv")
    assert client.get(f"/api/v1/statements/?organization={w.farm.pk}&month=octobre").json()["fields"]["month"]
