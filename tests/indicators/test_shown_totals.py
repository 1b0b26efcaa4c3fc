"""The totals of pooled rounds and gleaning, shown wherever the other totals are: the page (and its
comparison of territories), the COPIL PDF (its text read back with pypdf), the CSV and XLSX
report, the API and its schema. Figures computed by hand over the first half of 2026 of the
dataset of conftest.py, with its round (``carried``: d2 and d5 rode one 30 km round) and its
gleaning day (``gleaned``: 60 kg covered the Restos' need, 25 kg went to the Épicerie, which had no
need for fruit)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from actors.models import TerritoryRole
from tests.factories import TerritoryFactory, UserFactory
from tests.indicators.test_report import pdf_text

pytestmark = pytest.mark.django_db
HALF = {"start": "2026-01-01", "end": "2026-06-30"}
ROUND_DELIVERIES = 2  # d2 and d5
GLEANED_KG = Decimal(60 + 25)
WITHOUT_NEED_KG, WITHOUT_NEED = Decimal(25), 1  # the Épicerie's harvest


@pytest.fixture
def both(dataset, carried, gleaned):
    return dataset


def test_the_page_says_what_the_round_and_gleaning_totals_mean(client, both):
    client.force_login(both.officer)
    response = client.get(reverse("indicators:territory"), {"territory": both.territory.pk, **HALF})
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert (
        'id="km-rounds">Dont 2 livraisons par une tournée mutualisée : chacune compte sa part des km de la '
        "tournée, au prorata des kilos livrés qu'elle transportait." in html
    )
    assert 'id="figure-gleaned">85 kg<' in html
    assert "glanés par les structures (compris dans les kilos livrés)" in html
    assert 'id="gleaned-without-need">Dont 25 kg hors besoin publié : 1 récolte pour une structure' in html


def test_a_period_without_round_nor_gleaning_shows_0_kg_gleaned_and_no_sentence(client, dataset):
    client.force_login(dataset.officer)
    html = client.get(reverse("indicators:territory"), {"territory": dataset.territory.pk, **HALF}).content.decode()
    assert 'id="figure-gleaned">0 kg<' in html
    assert 'id="km-rounds"' not in html and 'id="gleaned-without-need"' not in html


def test_the_copil_pdf_states_the_round_and_gleaning_totals(client, both):
    client.force_login(both.officer)
    response = client.get(reverse("indicators:report_pdf"), {"territory": both.territory.pk, **HALF})
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    assert "Dont 2 livraisons par une tournée mutualisée" in text
    assert "85 kg glanés par les structures" in text
    assert "Dont 25 kg hors besoin publié : 1 récolte" in text


def key_figures(rows) -> dict:
    return {row[0]: row for row in rows if row and row[0]}


def test_the_csv_and_xlsx_reports_have_the_round_and_gleaning_totals(client, both):
    client.force_login(both.officer)
    query = {"territory": both.territory.pk, **HALF}
    xlsx = client.get(reverse("indicators:report_xlsx"), query)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    by_label = key_figures([list(row) for row in sheet.iter_rows(values_only=True)])
    assert by_label["Livraisons par une tournée mutualisée (chacune compte sa part des km de la tournée)"][1] == 2
    assert by_label["Kilos glanés (compris dans les kilos livrés)"][1:3] == [85, "kg"]
    assert by_label["Kilos glanés hors besoin publié de la structure (compris dans les kilos glanés)"][1] == 25
    assert by_label["Récoltes de glanage hors besoin publié"][1] == 1
    response = client.get(reverse("indicators:report_csv"), query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    by_label = key_figures(rows)
    assert by_label["Livraisons par une tournée mutualisée (chacune compte sa part des km de la tournée)"][1] == "2"
    assert by_label["Kilos glanés (compris dans les kilos livrés)"][1] == "85,000"
    assert by_label["Kilos glanés hors besoin publié de la structure (compris dans les kilos glanés)"][1] == "25,000"


def test_the_api_gives_the_round_and_gleaning_totals_typed_in_its_schema(both):
    api = APIClient()
    api.force_authenticate(both.officer)
    body = api.get("/api/v1/indicators/", {"territory": both.territory.pk, **HALF}).json()
    deliveries = body["deliveries"]
    assert deliveries["round_deliveries"] == ROUND_DELIVERIES
    assert Decimal(deliveries["gleaned_kg"]) == GLEANED_KG and deliveries["gleaned_kg"] == "85.000"
    assert deliveries["gleaned_without_delivery"] == WITHOUT_NEED
    assert deliveries["gleaned_without_delivery_kg"] == "25.000"
    (row,) = api.get("/api/v1/indicators/compare/", HALF).json()["territories"]
    assert (row["round_deliveries"], row["gleaned_kg"]) == (2, "85.000")
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"]
    props = schema["IndicatorsDeliveries"]["properties"]
    assert props["round_deliveries"]["type"] == "integer"
    assert props["gleaned_without_delivery"]["type"] == "integer"
    assert (props["gleaned_kg"]["type"], props["gleaned_kg"]["format"]) == ("string", "decimal")
    assert (props["gleaned_without_delivery_kg"]["type"], props["gleaned_without_delivery_kg"]["format"]) == (
        "string",
        "decimal",
    )
    assert "tournée mutualisée" in props["round_deliveries"]["description"]
    compare = schema["IndicatorsCompareRow"]["properties"]
    assert compare["round_deliveries"]["type"] == "integer" and compare["gleaned_kg"]["format"] == "decimal"


def test_the_comparison_of_territories_lists_the_round_and_gleaning_totals(client, both):
    viewer = UserFactory()
    jura = TerritoryFactory(name="PAT Cœur du Jura", slug="jura", epci_codes=["200071595"])
    for territory in (both.territory, jura):
        TerritoryRole.objects.create(user=viewer, territory=territory, role=TerritoryRole.Role.VIEWER)
    client.force_login(viewer)
    response = client.get(reverse("indicators:territory"), {"territory": both.territory.pk, **HALF})
    rows = {row["territory"]["name"]: row for row in response.context["compare"]}
    assert (rows["PAT du Clunisois"]["round_deliveries"], rows["PAT du Clunisois"]["gleaned_kg"]) == (2, GLEANED_KG)
    assert (rows["PAT Cœur du Jura"]["round_deliveries"], rows["PAT Cœur du Jura"]["gleaned_kg"]) == (0, 0)
    html = " ".join(response.content.decode().split())
    assert '<th scope="col">Livraisons par une tournée mutualisée</th><th scope="col">kg glanés</th>' in html
    assert "</td><td>2</td><td>85</td><td>" in html  # the Clunisois row: after its km, before its farms


def test_the_round_and_gleaning_sentences_speak_english(client, both):
    both.officer.language = "en"
    both.officer.save(update_fields=["language"])
    client.force_login(both.officer)
    response = client.get(
        reverse("indicators:territory"), {"territory": both.territory.pk, **HALF}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = " ".join(response.content.decode().split())
    assert "Including 2 deliveries by a pooled round: each counts its share of the round's km" in html
    assert "gleaned by the structures (included in the kilos delivered)" in html
    assert "Including 25 kg outside any published need: 1 harvest for a structure" in html
