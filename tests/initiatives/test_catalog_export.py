"""The initiatives catalog downloads as CSV and XLSX with the page's filters, every row (not one page)."""

from __future__ import annotations

import csv
import io
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from initiatives.models import Initiative


def _rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return rows[rows.index([]) + 1 :] if [] in rows else rows


def test_the_whole_catalog_downloads_not_only_its_first_page(client, catalog):
    published = Initiative.objects.filter(is_published=True)
    rows = _rows(client.get(reverse("initiatives:list"), {"format": "csv"}))
    assert rows[0][:4] == ["Nom", "Accroche", "Domaine", "Type d'initiative"]
    assert len(rows) - 1 == published.count() > 20  # more than one page of 20
    assert sorted(r[0] for r in rows[1:]) == sorted(published.values_list("name", flat=True))
    assert rows[1][-1].startswith("http://testserver/initiatives/")  # each row links to its sheet


def test_the_filters_of_the_page_apply_and_the_link_keeps_them(client, catalog):
    domain = Initiative.objects.filter(is_published=True).values_list("domain", flat=True).first()
    expected = set(Initiative.objects.filter(is_published=True, domain=domain).values_list("name", flat=True))
    page = client.get(reverse("initiatives:list"), {"domain": domain}).content.decode()
    assert f"?domain={domain}&amp;format=csv" in page
    rows = _rows(client.get(reverse("initiatives:list"), {"domain": domain, "format": "csv"}))
    assert {r[0] for r in rows[1:]} == expected and len(expected) < Initiative.objects.filter(is_published=True).count()


def test_the_xlsx_neutralises_a_name_like_a_formula(client, catalog):
    Initiative.objects.filter(pk=Initiative.objects.filter(is_published=True).first().pk).update(name="=1+2")
    sheet = load_workbook(BytesIO(client.get(reverse("initiatives:list"), {"format": "xlsx"}).content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=1+2"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
