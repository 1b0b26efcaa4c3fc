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


def test_the_list_is_paged_with_its_filters_and_the_download_is_the_whole_filtered_list(
    client, territory, officer, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    from meetings.views import PAGE_SIZE

    start = timezone.now() + timedelta(days=3)
    for n in range(2 * PAGE_SIZE + 5):  # more than two pages of workshops, one a day
        MeetingFactory(
            territory=territory,
            title=f"Atelier {n:03d}",
            kind=Meeting.Kind.WORKSHOP,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=2),
        )
    MeetingFactory(territory=territory, title="Copil de printemps", kind=Meeting.Kind.STEERING_COMMITTEE)
    client.force_login(officer)
    url = reverse("meetings:list")
    filters = {"territoire": territory.slug, "type": "workshop"}
    with django_assert_max_num_queries(12):
        first = client.get(url, filters)
    assert [m.title for m in first.context["meetings"]] == [f"Atelier {n:03d}" for n in range(PAGE_SIZE)]
    body = first.content.decode()
    assert "fr-pagination" in body and "1 / 3" in body
    assert f"?territoire={territory.slug}&amp;type=workshop&page=2" in body  # the next page keeps the filters
    assert f"{2 * PAGE_SIZE + 5} réunions." in body
    last = client.get(url, {**filters, "page": 3})
    assert [m.title for m in last.context["meetings"]] == [
        f"Atelier {n:03d}" for n in range(2 * PAGE_SIZE, 2 * PAGE_SIZE + 5)
    ]
    assert "Copil de printemps" not in last.content.decode()
    # A page beyond the last, or not a number, shows a page of the list rather than an error.
    assert client.get(url, {**filters, "page": 99}).context["page"].number == 3
    assert client.get(url, {**filters, "page": "x"}).context["page"].number == 1
    # The download is the whole filtered list, whatever the page.
    rows = _rows(client.get(url, {**filters, "page": 2, "format": "csv"}))
    assert [r[1] for r in rows[1:]] == [f"Atelier {n:03d}" for n in range(2 * PAGE_SIZE + 5)]


def test_past_meetings_are_paged_most_recent_first(client, territory, officer):
    from datetime import timedelta

    from django.utils import timezone

    from meetings.views import PAGE_SIZE

    end = timezone.now() - timedelta(days=1)
    for n in range(PAGE_SIZE + 1):
        MeetingFactory(
            territory=territory,
            title=f"Passée {n:03d}",
            starts_at=end - timedelta(days=n, hours=2),
            ends_at=end - timedelta(days=n),
        )
    client.force_login(officer)
    second = client.get(reverse("meetings:list"), {"passees": "1", "page": 2})
    assert [m.title for m in second.context["meetings"]] == [f"Passée {PAGE_SIZE:03d}"]
    assert "?passees=1&page=1" in second.content.decode()
