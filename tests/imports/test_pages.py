"""The imports pages, as an officer uses them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from actors.models import Organization
from imports.models import ImportBatch
from tests.factories import TerritoryFactory, UserFactory, make_officer


@pytest.fixture
def officer_client(client, geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    client.force_login(officer)
    return client, territory


def _upload(client, territory, content: bytes, name="fermes.csv", kind="farms"):
    return client.post(
        reverse("imports:list"),
        {
            "kind": kind,
            "territory": territory.pk,
            "on_duplicate": "update",
            "file": SimpleUploadedFile(name, content),
        },
    )


def test_an_officer_checks_then_imports_a_file_from_the_page(officer_client):
    client, territory = officer_client
    response = _upload(client, territory, b"Nom;Commune\r\nFerme du Bourg;71137\r\n")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "Importer toutes les lignes" in page and not Organization.objects.filter(name="Ferme du Bourg").exists()
    client.post(reverse("imports:commit", args=[batch.pk]))
    assert Organization.objects.filter(name="Ferme du Bourg", kind="farm").exists()
    history = client.get(reverse("imports:list")).content.decode()
    assert "fermes.csv" in history and "importé" in history


def test_the_page_lists_every_error_and_offers_the_report_to_download(officer_client):
    client, territory = officer_client
    _upload(client, territory, b"Nom;Commune;SIRET\r\nA;71137;1\r\nB;00000;\r\n")
    batch = ImportBatch.objects.get()
    page = client.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert 'data-line="2"' in page and 'data-line="3"' in page and "a été enregistré" in page
    report = client.get(reverse("imports:errors", args=[batch.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(report.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Ligne", "Colonne", "Valeur", "Raison"] in values
    assert [3, "Commune", "00000", "Commune inconnue : « 00000 »."] in values


def test_a_large_file_runs_as_a_job_whose_progress_the_page_polls(
    officer_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_INLINE_MAX_ROWS = 2
    client, territory = officer_client
    rows = "".join(f"Ferme {i};71137\r\n" for i in range(5))
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, territory, ("Nom;Commune\r\n" + rows).encode())
    batch = ImportBatch.objects.get()
    assert batch.task_id  # handed to the queue (run at once here: Celery is eager in tests)
    assert batch.status == ImportBatch.Status.CHECKED and batch.rows_created == 5
    status = client.get(reverse("imports:progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and status["HX-Refresh"] == "true"


def test_the_templates_download_in_csv_and_xlsx(client, geo):
    csv = client.get(reverse("imports:template", args=["farms", "csv"]))
    assert csv.content.decode("utf-8-sig").startswith("Nom;Commune;SIRET")
    xlsx = client.get(reverse("imports:template", args=["structures", "xlsx"]))
    assert load_workbook(io.BytesIO(xlsx.content)).active["A1"].value == "Nom"


def test_someone_off_the_team_sees_neither_the_page_nor_another_territory_s_imports(officer_client):
    client, territory = officer_client
    _upload(client, territory, b"Nom;Commune\r\nFerme;71137\r\n")
    batch = ImportBatch.objects.get()
    client.force_login(UserFactory())
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 403
    client.force_login(make_officer(TerritoryFactory(epci_codes=["200040293"])))
    assert client.get(reverse("imports:errors", args=[batch.pk, "csv"])).status_code == 403
