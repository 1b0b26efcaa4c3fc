"""Imports of offers and needs: what every line needs (its category, its organization) is
loaded once a file, so a file of 40 lines costs the queries of a file of 4."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imports import services
from imports.models import ImportBatch
from offers.models import Need, Offer
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, make_officer

OFFER_HEADERS = ["SIRET", "Catégorie (code)", "Produit", "Quantité", "Unité", "Du", "Au", "Condition"]
NEED_HEADERS = ["SIRET", "Catégories (codes)", "Intitulé", "Quantité", "Unité", "Du", "Au"]
CODES = ["potatoes", "apples-pears", "cabbages", "root-vegetables"]


@pytest.fixture
def officer(geo):
    return make_officer(TerritoryFactory())


def _csv(rows, headers) -> bytes:
    lines = [";".join(headers)] + [";".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _import(officer, content: bytes, kind: str) -> ImportBatch:
    territory = officer.territory_roles.get().territory
    batch = services.batch_create(by=officer, kind=kind, territory=territory, filename="f.csv", content=content)
    if batch.status == ImportBatch.Status.CHECKED:
        batch = services.batch_commit(by=officer, batch=batch)
    batch.refresh_from_db()
    return batch


def _dates() -> tuple[str, str]:
    start = timezone.localdate()
    return f"{start:%d/%m/%Y}", f"{start + dt.timedelta(days=10):%d/%m/%Y}"


def _offer_rows(n: int, siret: str) -> list[list]:
    start, end = _dates()
    return [[siret, CODES[i % 4], f"Lot {i}", "120", "kg", start, end, "don"] for i in range(n)]


def _need_rows(n: int, siret: str) -> list[list]:
    start, end = _dates()
    return [[siret, "potatoes, apples-pears", f"Besoin {i}", "30", "kg", start, end] for i in range(n)]


def _queries(officer, content: bytes, kind: str, expected: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        batch = _import(officer, content, kind)
    assert (batch.status, batch.rows_created) == (ImportBatch.Status.DONE, expected), batch.errors
    return len(captured)


def test_offers_cost_as_many_queries_for_forty_lines_as_for_four(officer):
    farm = FarmFactory(siret="73282932000074")
    _queries(officer, _csv(_offer_rows(1, farm.siret), OFFER_HEADERS), "offers", 1)  # what is loaded once a person
    forty = _queries(officer, _csv(_offer_rows(40, farm.siret), OFFER_HEADERS), "offers", 40)
    four = _queries(officer, _csv(_offer_rows(4, farm.siret), OFFER_HEADERS), "offers", 4)
    assert forty == four
    offers = Offer.objects.filter(organization=farm)
    assert offers.count() == 45
    assert set(offers.values_list("category__code", flat=True)) == set(CODES)


def test_needs_cost_as_many_queries_for_forty_lines_as_for_four(officer):
    structure = StructureFactory(siret="73282932000074")
    _queries(officer, _csv(_need_rows(1, structure.siret), NEED_HEADERS), "needs", 1)
    forty = _queries(officer, _csv(_need_rows(40, structure.siret), NEED_HEADERS), "needs", 40)
    four = _queries(officer, _csv(_need_rows(4, structure.siret), NEED_HEADERS), "needs", 4)
    assert forty == four
    needs = Need.objects.filter(organization=structure)
    assert needs.count() == 45
    assert all(sorted(n.categories.values_list("code", flat=True)) == ["apples-pears", "potatoes"] for n in needs)


@pytest.mark.parametrize(
    ("kind", "headers", "rows", "column"),
    [
        ("offers", OFFER_HEADERS, _offer_rows, "Catégorie (code)"),
        ("needs", NEED_HEADERS, _need_rows, "Catégories (codes)"),
    ],
)
def test_an_unknown_category_is_refused_with_the_input_s_message(officer, kind, headers, rows, column):
    FarmFactory(siret="73282932000074") if kind == "offers" else StructureFactory(siret="73282932000074")
    lines = rows(3, "73282932000074")
    lines[1][1] = "truffes-blanches" if kind == "offers" else "potatoes, truffes-blanches"
    batch = _import(officer, _csv(lines, headers), kind)
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (3, column, "Catégorie inconnue : « truffes-blanches »."),
    ]
    assert not Offer.objects.exists() and not Need.objects.exists()
