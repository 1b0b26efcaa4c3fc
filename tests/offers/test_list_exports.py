"""Every list downloads as CSV for French spreadsheets and as XLSX, with the page's filters, only
what the person may see, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from offers.models import Match
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    make_member,
    make_officer,
    web_match,
)


def _csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


def test_the_directory_export_follows_its_filters_and_shows_contacts_only_to_who_may_see_them(client, territory):
    FarmFactory(name='=HYPERLINK("http://x")', email="ferme@example.org")
    StructureFactory(name="Épicerie du bourg", email="epicerie@example.org")
    url = reverse("actors:directory")
    rows = _csv_rows(client.get(url, {"territory": territory.pk, "kind": "farm", "format": "csv"}))
    names = [row[1] for row in rows if len(row) > 1]
    assert '\'=HYPERLINK("http://x")' in names and "Épicerie du bourg" not in names  # neutralised, filtered
    assert "ferme@example.org" not in sum(rows, [])  # a visitor never gets contacts
    client.force_login(make_officer(territory))
    rows = _xlsx_rows(client.get(url, {"territory": territory.pk, "kind": "farm", "format": "xlsx"}))
    assert "ferme@example.org" in sum(rows, [])


def test_the_map_s_offers_export_has_only_the_open_offers_its_filters_keep(client, territory):
    shown = OfferFactory(product_name="@SUM(A1:A9)", pricing="donation")
    OfferFactory(product_name="Vendue", pricing="market", price_per_unit=2)
    OfferFactory(product_name="Brouillon", status="draft")
    response = client.get(
        reverse("offers:map"), {"territory": territory.pk, "liste": "offers", "pricing": "donation", "format": "csv"}
    )
    rows = _csv_rows(response)
    products = [row[1] for row in rows if row and row[0].isdigit()]
    assert products == ["'@SUM(A1:A9)"]
    line = next(row for row in rows if row and row[0] == str(shown.pk))
    assert line[5] == "100,000" and line[4] == shown.organization.commune.name  # decimal comma, a commune


def test_the_map_s_needs_export_in_xlsx_keeps_numbers_as_numbers(client, territory):
    NeedFactory(title="Légumes", quantity=50)
    rows = _xlsx_rows(
        client.get(reverse("offers:map"), {"territory": territory.pk, "liste": "needs", "format": "xlsx"})
    )
    header = next(row for row in rows if row and row[0] == "N°")
    line = rows[rows.index(header) + 1]
    assert line[1] == "Légumes" and line[5] == 50


def test_my_offers_export_has_only_my_organization_s_offers_with_the_page_s_filter(client, geo):
    farm = FarmFactory()
    OfferFactory(organization=farm, product_name="Ouverte")
    OfferFactory(organization=farm, product_name="Retirée", status="withdrawn")
    OfferFactory(product_name="D'une autre ferme")
    client.force_login(make_member(farm))
    open_only = [r[1] for r in _csv_rows(client.get(reverse("offers:my_offers"), {"format": "csv"}))[1:]]
    everything = [
        r[1] for r in _csv_rows(client.get(reverse("offers:my_offers"), {"voir": "all", "format": "csv"}))[1:]
    ]
    assert open_only == ["Ouverte"] and sorted(everything) == ["Ouverte", "Retirée"]


def test_my_needs_export_neutralises_a_formula_in_a_title(client, geo):
    structure = StructureFactory()
    NeedFactory(organization=structure, title="+33 6 12 34 56 78")
    client.force_login(make_member(structure))
    rows = _csv_rows(client.get(reverse("offers:my_needs"), {"format": "csv"}))
    assert rows[1][1] == "'+33 6 12 34 56 78"


def test_proposals_and_deliveries_exports_have_only_the_person_s_matches(client, geo):
    farm = FarmFactory()
    mine = web_match(offer=OfferFactory(organization=farm, product_name="-1+1"))
    web_match(offer=OfferFactory(product_name="Pas à moi"))
    delivered = web_match(
        offer=OfferFactory(organization=farm, product_name="Livrée"), status=Match.MatchStatus.SCHEDULED
    )
    client.force_login(make_member(farm))
    proposals = _csv_rows(client.get(reverse("offers:proposals"), {"format": "csv"}))
    assert [row[0] for row in proposals[1:]] == [str(mine.pk)] and proposals[1][1] == "'-1+1"
    deliveries = _xlsx_rows(client.get(reverse("offers:deliveries"), {"format": "xlsx"}))
    assert [row[0] for row in deliveries[1:]] == [delivered.pk]
    assert "Livré le" in deliveries[0]


def test_a_visitor_cannot_download_someone_s_proposals(client, geo):
    client.force_login(UserFactory())
    rows = _csv_rows(client.get(reverse("offers:proposals"), {"format": "csv"}))
    assert rows[1:] == []
