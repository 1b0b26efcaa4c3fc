"""The meetings list downloads as CSV and XLSX: the page's filters, only the meetings the person may
see, formulas neutralised, no video link."""

from __future__ import annotations

import csv
import io
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from meetings.models import Meeting
from tests.factories import MeetingFactory, UserFactory


def _rows(response):
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return rows[rows.index([]) + 1 :]  # the table, after the lines that say the filters


def test_the_csv_is_the_page_with_its_filters(client, territory, officer):
    MeetingFactory(territory=territory, title="Comité de pilotage de printemps", kind=Meeting.Kind.STEERING_COMMITTEE)
    MeetingFactory(territory=territory, title="Atelier glanage", kind=Meeting.Kind.WORKSHOP, capacity=12)
    client.force_login(officer)
    url = reverse("meetings:list")
    page = client.get(url, {"territoire": territory.slug, "type": "workshop"}).content.decode()
    assert f"?territoire={territory.slug}&amp;type=workshop&amp;format=csv" in page  # the link keeps the filters
    rows = _rows(client.get(url, {"territoire": territory.slug, "type": "workshop", "format": "csv"}))
    assert rows[0][:4] == ["N°", "Titre", "Type de réunion", "Territoire"]
    assert [r[1] for r in rows[1:]] == ["Atelier glanage"]
    assert rows[1][2] == "Atelier" and rows[1][3] == territory.name and rows[1][11] == "12"
    all_rows = _rows(client.get(url, {"format": "csv"}))
    assert {r[1] for r in all_rows[1:]} == {"Comité de pilotage de printemps", "Atelier glanage"}


def test_only_the_meetings_the_person_may_see_and_never_the_video_link(client, territory, officer):
    MeetingFactory(
        territory=territory, title="Réunion publique", visibility="public", online_url="https://visio.example/abc"
    )
    MeetingFactory(territory=territory, title="Sur invitation", visibility="invited")
    client.force_login(UserFactory())  # no organization, no role
    rows = _rows(client.get(reverse("meetings:list"), {"format": "csv"}))
    assert [r[1] for r in rows[1:]] == ["Réunion publique"]
    assert rows[1][9] == "oui"  # « en visioconférence », not the address of the call
    assert "visio.example" not in "".join(";".join(r) for r in rows)
    client.force_login(officer)
    assert {r[1] for r in _rows(client.get(reverse("meetings:list"), {"format": "csv"}))[1:]} == {
        "Réunion publique",
        "Sur invitation",
    }


def test_a_title_like_a_formula_comes_out_inert_in_both_formats(client, territory, officer):
    MeetingFactory(territory=territory, title='=HYPERLINK("http://evil.example","clic")')
    client.force_login(officer)
    rows = _rows(client.get(reverse("meetings:list"), {"format": "csv"}))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","clic")'
    response = client.get(reverse("meetings:list"), {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
