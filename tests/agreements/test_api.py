"""The API of agreements and funding lines: the same rules as the pages; the request schema and
the inputs describe the same fields."""

from __future__ import annotations

import pytest

from agreements import api, inputs
from agreements.models import Funder, FundingLine, SupplyAgreement
from tests.agreements.helpers import germigney_values, world

pytestmark = pytest.mark.django_db

PAIRS = [
    (api.AgreementWriteSerializer, inputs.AgreementInput),
    (api.FundingLineWriteSerializer, inputs.FundingLineInput),
    (api.ReceiptWriteSerializer, inputs.ReceiptInput),
    (api.EndSerializer, inputs.EndInput),
    (api.SignSerializer, inputs.SignInput),
    (api.OccurrenceChangeSerializer, inputs.OccurrenceChangeInput),
    (api.InvoicingSerializer, inputs.InvoicingInput),
    (api.DemandWriteSerializer, inputs.DemandInput),
    (api.CommitmentSerializer, inputs.CommitmentInput),
    (api.PreorderSerializer, inputs.PreorderInput),
]


@pytest.mark.parametrize(("serializer_class", "input_class"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_the_schema_and_the_input_describe_the_same_fields(serializer_class, input_class):
    documented = serializer_class().fields
    validated = input_class.base_fields
    assert set(documented) == set(validated)
    for name, doc in documented.items():
        assert doc.required == validated[name].required, name


def test_an_agreement_through_the_api_from_draft_to_its_occurrences(client):
    w = world()
    client.force_login(w.farmer)
    created = client.post("/api/v1/agreements/", germigney_values(w), content_type="application/json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["recurrence"] == "FREQ=WEEKLY;BYDAY=TU"
    client.post(f"/api/v1/agreements/{pk}/propose/")
    assert client.post(f"/api/v1/agreements/{pk}/sign/").json()["farm_signed_at"]
    client.force_login(w.officer)
    refused = client.post(f"/api/v1/agreements/{pk}/sign/")
    assert refused.status_code == 403 and "signe pour elle-même" in refused.json()["message"]
    client.force_login(w.volunteer)
    assert client.post(f"/api/v1/agreements/{pk}/sign/").json()["status"] == "signed"
    body = client.post(f"/api/v1/agreements/{pk}/activate/").json()
    assert body["status"] == "active" and body["totals"]["planned"] >= 1
    occurrences = client.get(f"/api/v1/agreements/{pk}/occurrences/").json()["results"]
    skipped = client.post(f"/api/v1/agreements/{pk}/occurrences/{occurrences[0]['id']}/skip/").json()
    assert skipped["status"] == "skipped"


def test_bad_input_through_the_api_is_a_french_error_body_and_nothing_is_written(client):
    w = world()
    client.force_login(w.farmer)
    response = client.post(
        "/api/v1/agreements/",
        germigney_values(w, price_paid_per_unit="12.00", funding_line=424242),
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 400
    assert body["fields"]["funding_line"] == ["Financeur inconnu : aucune ligne de financement « 424242 »."]
    assert "ne peut dépasser le prix juste" in body["fields"]["price_paid_per_unit"][0]
    assert not SupplyAgreement.objects.exists()


def test_funding_lines_are_managed_by_officers_through_the_api(client):
    w = world()
    funder = Funder.objects.create(territory=w.territory, name="Département", kind="departement")
    body = {
        "funder": funder.pk,
        "name": "Viande",
        "amount_eur": "500",
        "period_start": "2026-09-01",
        "period_end": "2027-08-31",
        "share_per_kg_eur": "1.00",
        "categories": ["meat"],
    }
    client.force_login(w.volunteer)
    assert client.post("/api/v1/funding-lines/", body, content_type="application/json").status_code == 403
    client.force_login(w.officer)
    created = client.post("/api/v1/funding-lines/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["remaining_eur"] == "500.00" and created.json()["categories"] == ["meat"]
    line = FundingLine.objects.get()
    changed = client.patch(f"/api/v1/funding-lines/{line.pk}/", {"amount_eur": "800"}, content_type="application/json")
    assert changed.json()["amount_eur"] == "800.00"
    assert [f["name"] for f in client.get("/api/v1/funders/").json()["results"]] == ["Département"]
