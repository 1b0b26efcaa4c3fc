"""``/api/v1/indicators/``: the same figures as the page, in the OpenAPI schema, for the territory's
team only; a bad period is a 400 in the API's error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def api(dataset):
    client = APIClient()
    client.force_authenticate(dataset.officer)
    return client


def test_the_api_gives_the_quarter_figures_with_their_factors(api, dataset):
    response = api.get("/api/v1/indicators/", {"territory": dataset.territory.pk, "period": "2026-Q1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"label": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31"}
    assert body["deliveries"]["kg"] == "96.960"
    assert body["deliveries"]["solidarity_discount_eur"] == "36.00"
    assert body["deliveries"]["donation_value_eur"] == "30.00"
    assert body["impact"]["meals"] == 194
    assert body["impact"]["meal_factor"]["value"] == "0.5000"
    assert body["impact"]["meal_factor"]["year"] == 2023
    assert {f["code"] for f in body["impact"]["co2e_factors"]} == {"co2e_km_car", "co2e_km_van"}
    assert body["meetings"]["decisions"][0]["text"] == "Lancer une journée de glanage en juin."
    assert body["action_plan"]["actions"][0]["indicators"][0]["progress_percent"] == 48


def test_dates_work_as_well_as_a_labelled_period(api, dataset):
    body = api.get(
        "/api/v1/indicators/", {"territory": dataset.territory.pk, "start": "2026-01-01", "end": "2026-06-30"}
    ).json()
    assert body["deliveries"]["deliveries"] == 4
    assert body["period"]["label"] == "2026-01-01/2026-06-30"


def test_a_bad_period_is_a_400_with_the_reason_in_french(api, dataset):
    response = api.get("/api/v1/indicators/", {"territory": dataset.territory.pk, "period": "2026-Q5"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_period"
    assert "non reconnue" in body["fields"]["period"][0]
    response = api.get("/api/v1/indicators/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400 and "envers" in response.json()["message"]


def test_only_the_territory_team_reads_it(dataset):
    client = APIClient()
    assert client.get("/api/v1/indicators/", {"territory": dataset.territory.pk}).status_code in (401, 403)
    client.force_authenticate(UserFactory())
    assert client.get("/api/v1/indicators/", {"territory": dataset.territory.pk}).status_code == 403


def test_compare_lists_every_readable_territory(api, dataset):
    body = api.get("/api/v1/indicators/compare/", {"period": "2026"}).json()
    assert [row["territory"]["name"] for row in body["territories"]] == ["PAT du Clunisois"]
    assert body["territories"][0]["kg"] == "150.440"


def test_the_schema_documents_the_endpoint(dataset):
    client = APIClient()
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/indicators/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"territory", "period", "start", "end"}
    assert "IndicatorsSerializer" in str(operation["responses"]["200"]) or "Indicators" in str(operation["responses"])


def test_an_unreadable_date_is_a_400_naming_its_field_in_french(api, dataset):
    response = api.get("/api/v1/indicators/", {"territory": dataset.territory.pk, "start": "2026-02-30"})
    assert response.status_code == 400
    assert response.json()["fields"]["start"] == ["Date invalide (format AAAA-MM-JJ)."]
    response = api.get("/api/v1/indicators/", {"period": "2026-Q1", "end": "2026-03-31"})
    assert response.status_code == 400
    assert response.json()["fields"]["period"] == ["Donnez une période ou des dates, pas les deux."]
