"""The page, the COPIL report as PDF (its text read back with pypdf) and as XLSX, on the dataset."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import UserFactory


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_copil_pdf_states_the_period_the_figures_and_their_factors(client, dataset):
    client.force_login(dataset.officer)
    response = client.get(reverse("indicators:report_pdf"), {"territory": dataset.territory.pk, "period": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Rapport du comité de pilotage — PAT du Clunisois" in text
    assert "du 1er janvier 2026 au 31 mars 2026" in text
    assert "97 kg" in text  # 96.96 kg: 6.96 of eggs by the dozen + 90 of potatoes
    assert "72,00 €" in text and "30,00 €" in text and "36,00 €" in text
    assert "194" in text  # meals
    assert "0,5 kg/repas" in text and "Banques Alimentaires" in text and "2023" in text
    assert "Base Carbone" in text and "0,218 kgCO2e/km" in text
    assert "Lancer une journée de glanage en juin." in text  # the decision
    assert "Dons de producteurs aux épiceries" in text and "(48 %)" in text  # the action plan


def test_the_copil_xlsx_has_the_key_figures_with_their_factor(client, dataset):
    client.force_login(dataset.officer)
    response = client.get(reverse("indicators:report_xlsx"), {"territory": dataset.territory.pk, "period": "2026-Q1"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    by_label = {row[0]: row for row in rows if row and row[0]}
    assert by_label["Kilos livrés"][1] == pytest.approx(96.96)
    assert by_label["Remises solidaires consenties par les producteurs"][1] == pytest.approx(36)
    assert by_label["Équivalent repas"][1] == 194
    assert "Banques Alimentaires" in by_label["Équivalent repas"][3]


def test_the_page_shows_charts_with_their_data_tables_and_factors(client, dataset):
    client.force_login(dataset.officer)
    response = client.get(reverse("indicators:territory"), {"territory": dataset.territory.pk, "period": "2026-Q1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-kg-by-month"' in html and 'id="table-kg-by-month"' in html
    assert 'id="chart-kg-by-family"' in html and 'id="table-kg-by-family"' in html
    assert 'role="img"' in html
    assert 'id="figure-meals">194<' in html
    assert "Banques Alimentaires" in html
    assert 'id="km-estimated"' in html  # the same-commune estimate is said


def test_a_bad_period_is_refused_in_french_and_the_page_still_answers(client, dataset):
    client.force_login(dataset.officer)
    response = client.get(reverse("indicators:territory"), {"territory": dataset.territory.pk, "period": "2026-Q7"})
    assert response.status_code == 400
    assert "non reconnue" in response.content.decode()
    response = client.get(reverse("indicators:report_pdf"), {"period": "2026-13"})
    assert response.status_code == 400


def test_someone_outside_the_territory_gets_a_403(client, dataset):
    client.force_login(UserFactory())
    assert client.get(reverse("indicators:territory")).status_code == 403
    assert client.get(reverse("indicators:report_pdf"), {"territory": dataset.territory.pk}).status_code == 403


def test_the_page_speaks_english(client, dataset):
    dataset.officer.language = "en"
    dataset.officer.save(update_fields=["language"])
    client.force_login(dataset.officer)
    response = client.get(
        reverse("indicators:territory"),
        {"territory": dataset.territory.pk, "period": "2026-Q1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "Key figures" in html and "meal equivalents" in html


def test_an_unreadable_date_is_named_in_french_and_stays_as_typed(client, dataset):
    client.force_login(dataset.officer)
    url = reverse("indicators:territory")
    response = client.get(url, {"territory": dataset.territory.pk, "start": "2026-02-30", "end": "2026-03-31"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Du : Date invalide (format AAAA-MM-JJ)." in html
    assert 'name="start" value="2026-02-30" aria-invalid="true"' in html  # what was typed, beside its error
    response = client.get(reverse("indicators:report_xlsx"), {"start": "hier"})
    assert response.status_code == 400 and "Du : Date invalide" in response.content.decode()


def test_an_end_before_the_start_is_refused_in_french(client, dataset):
    client.force_login(dataset.officer)
    response = client.get(reverse("indicators:territory"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "La période est à l&#x27;envers. Du : Après la date de fin." in html
    response = client.get(reverse("indicators:report_pdf"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400 and "envers" in response.content.decode()


def test_a_period_picked_in_the_list_wins_over_the_dates_the_form_also_sends(client, dataset):
    """The picker's date inputs are filled with the period shown; choosing « 1er trimestre » in the
    list then sends both: the page shows the quarter (the API, without a form, refuses both)."""
    client.force_login(dataset.officer)
    response = client.get(
        reverse("indicators:territory"),
        {"territory": dataset.territory.pk, "period": "2026-Q1", "start": "2026-01-01", "end": "2026-12-01"},
    )
    assert response.status_code == 200
    assert response.context["period"].label == "2026-Q1"
    assert response.context["data"]["deliveries"]["deliveries"] == 2  # d1 and d2, the first quarter's


def test_a_regional_viewer_compares_the_territories_on_the_page(client, dataset):
    """An observer of two PATs (a regional body): read-only, the same figures side by side, and
    no territory of which they hold no role."""
    from actors.models import TerritoryRole
    from tests.factories import TerritoryFactory

    jura = TerritoryFactory(name="PAT Cœur du Jura", slug="jura", epci_codes=["200071595"])
    TerritoryFactory(name="PAT Pays de Montbéliard", slug="montbeliard", epci_codes=["200065647"])
    viewer = UserFactory()
    for territory in (dataset.territory, jura):
        TerritoryRole.objects.create(user=viewer, territory=territory, role=TerritoryRole.Role.VIEWER)
    client.force_login(viewer)
    response = client.get(reverse("indicators:territory"), {"territory": dataset.territory.pk, "period": "2026-Q1"})
    assert response.status_code == 200
    rows = {row["territory"]["name"]: row for row in response.context["compare"]}
    assert set(rows) == {"PAT du Clunisois", "PAT Cœur du Jura"}
    assert (rows["PAT du Clunisois"]["deliveries"], rows["PAT du Clunisois"]["meals"]) == (2, 194)
    html = response.content.decode()
    assert 'id="table-compare"' in html and "PAT Pays de Montbéliard" not in html
