"""Editing an agreement before anyone signs (service, API, page, one input), and the price the
household pays where the structure resells (per agreement, per delivery, on the statements)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from agreements import documents
from agreements.inputs import agreement_data
from agreements.models import AgreementEvent, SupplyAgreement
from agreements.selectors import statement_for
from agreements.services import agreements as svc
from miam.errors import DomainError
from miam.exports import to_csv
from offers.services.matches import match_confirm_delivery
from tests.agreements.helpers import BEFORE_START, D, active, germigney_values, world
from tests.agreements.test_pages import form_values

pytestmark = pytest.mark.django_db


def draft(w, **over) -> SupplyAgreement:
    return svc.agreement_create(by=w.farmer, data=agreement_data(germigney_values(w, **over)))


def test_a_draft_is_edited_field_by_field_and_the_history_says_what_changed():
    w = world()
    agreement = draft(w)

    svc.agreement_update(
        by=w.farmer,
        agreement=agreement,
        data=agreement_data({"quantity_per_delivery": "12", "recurrence": "un jeudi sur deux"}, partial=True),
    )

    agreement.refresh_from_db()
    assert agreement.quantity_per_delivery == Decimal(12) and agreement.recurrence_label == "un jeudi sur deux"
    assert agreement.fair_price_per_unit == Decimal("10.80")  # not given, kept
    event = AgreementEvent.objects.filter(agreement=agreement, action="updated").get()
    assert "quantité par livraison" in event.note and "récurrence" in event.note


def test_a_proposed_agreement_is_edited_until_its_first_signature_then_never():
    w = world()
    agreement = svc.agreement_propose(by=w.farmer, agreement=draft(w))
    svc.agreement_update(by=w.volunteer, agreement=agreement, data=agreement_data({"pack_size": "2"}, partial=True))
    svc.agreement_sign(by=w.farmer, agreement=agreement)

    with pytest.raises(DomainError) as caught:
        svc.agreement_update(by=w.farmer, agreement=agreement, data=agreement_data({"pack_size": "3"}, partial=True))

    assert caught.value.code == "not_editable" and "suspendez-la ou terminez-la" in caught.value.message
    assert SupplyAgreement.objects.get(pk=agreement.pk).pack_size == Decimal(2)


def test_bad_edits_give_french_errors_and_change_nothing():
    w = world()
    agreement = draft(w)
    before = SupplyAgreement.objects.filter(pk=agreement.pk).values().get()

    with pytest.raises(DomainError) as caught:
        svc.agreement_update(
            by=w.farmer,
            agreement=agreement,
            data=agreement_data(
                {"end_date": "2026-09-01", "price_paid_per_unit": "12", "household_price_per_unit": "-1"},
                partial=True,
            ),
        )

    fields = caught.value.fields
    assert "avant de commencer" in str(fields["end_date"])
    assert "ne peut dépasser le prix juste" in str(fields["price_paid_per_unit"])
    assert "ne peut être négatif" in str(fields["household_price_per_unit"])
    assert SupplyAgreement.objects.filter(pk=agreement.pk).values().get() == before
    assert not AgreementEvent.objects.filter(action="updated").exists()


def test_the_api_patches_a_draft_and_refuses_a_signed_agreement(client):
    w = world()
    client.force_login(w.farmer)
    agreement = draft(w)

    response = client.patch(
        f"/api/v1/agreements/{agreement.pk}/",
        {"household_price_per_unit": "3.00", "structures": [w.structure.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["household_price_per_unit"] == "3.00"

    bad = client.patch(
        f"/api/v1/agreements/{agreement.pk}/", {"household_price_per_unit": "-2"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "négatif" in str(bad.json())

    signed = active(w)
    refused = client.patch(f"/api/v1/agreements/{signed.pk}/", {"pack_size": "1"}, content_type="application/json")
    assert refused.status_code in (400, 409) and "ne se modifie plus" in str(refused.json())


def test_the_edit_page_starts_from_the_agreement_and_saves_through_the_same_input(client):
    w = world()
    agreement = draft(w)
    client.force_login(w.farmer)

    page = client.get(f"/conventions/{agreement.pk}/modifier/")
    html = page.content.decode()
    assert page.status_code == 200 and 'value="Bœuf en colis"' in html
    # What a browser sends back unchanged: ISO dates, the agreement's category selected.
    assert 'name="start_date" value="2026-10-06"' in html
    assert f'<option value="{agreement.category_id}" selected>' in html

    response = client.post(f"/conventions/{agreement.pk}/modifier/", form_values(w, household_price_per_unit="2,50"))
    assert response.status_code == 302
    assert SupplyAgreement.objects.get(pk=agreement.pk).household_price_per_unit == Decimal("2.50")

    bad = client.post(f"/conventions/{agreement.pk}/modifier/", form_values(w, household_price_per_unit="-1"))
    assert bad.status_code == 400 and "Le prix payé par le ménage ne peut être négatif." in bad.content.decode()


def test_the_household_price_of_each_delivery_is_on_the_statements_csv_and_pdf():
    w = world()
    agreement = active(w, household_price_per_unit="3.00")
    first, second = agreement.occurrences.order_by("date")[:2]
    svc.occurrence_change(
        by=w.volunteer, occurrence=second, household_price_per_unit=Decimal("2.00"), today=BEFORE_START
    )
    for occurrence in (first, second):
        match_confirm_delivery(
            match=occurrence.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=occurrence.date
        )

    statement = statement_for(organization=w.structure, month=D(2026, 10, 1))

    assert [(line.household_price, line.household_amount) for line in statement.lines] == [
        (Decimal("3.00"), Decimal("30.00")),
        (Decimal("2.00"), Decimal("20.00")),
    ]
    csv_text = to_csv(documents.statement_export(statement)).decode("utf-8-sig")
    assert "Payé par les ménages (€)" in csv_text and "30,00" in csv_text
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(documents.statement_pdf(statement))).pages)
    assert "Ménages" in text and "108,00 30,00" in text and "108,00 20,00" in text


def test_a_negative_household_price_for_one_delivery_is_refused():
    w = world()
    occurrence = active(w).occurrences.order_by("date").first()
    with pytest.raises(DomainError) as caught:
        svc.occurrence_change(
            by=w.volunteer, occurrence=occurrence, household_price_per_unit=Decimal("-1"), today=BEFORE_START
        )
    assert "ne peut être négatif" in str(caught.value.fields)
    occurrence.refresh_from_db()
    assert occurrence.household_price_per_unit is None


def test_a_persons_signatures_are_in_their_account_export(client):
    import json

    w = world()
    agreement = active(w)
    client.force_login(w.volunteer)

    data = json.loads(client.get("/profil/export/").content)

    [row] = data["agreement_signatures"]
    assert row["agreement"] == agreement.pk and row["organization"] == w.structure.name
    assert row["signed_at"].startswith(agreement.parties.get().signed_at.date().isoformat())


def test_the_territorys_indicators_count_what_households_paid():
    from indicators.periods import Period
    from indicators.selectors import compute

    w = world()
    w.territory.communes.add(w.structure.commune, w.farm.commune)
    agreement = active(w, household_price_per_unit="3.00")
    first = agreement.occurrences.order_by("date").first()
    match_confirm_delivery(match=first.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=first.date)

    figures = compute(territory=w.territory, period=Period(D(2026, 10, 1), D(2026, 10, 31), "octobre 2026"))

    deliveries = figures["deliveries"]
    assert (deliveries["household_deliveries"], deliveries["household_eur"]) == (1, Decimal("30.00"))
