"""The API's orjson renderer writes the bytes DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from miam.renderers import FastJSONRenderer
from tests.factories import OfferFactory

PAYLOAD = ReturnDict(
    {
        "text": "Pommes de terre « primeur », œufs — 3 €",
        "separators": "ligne\u2028paragraphe\u2029fin",
        "int": 12,
        "neg": -3,
        "float": 46.5704,
        "small": 0.25,
        "bool": True,
        "none": None,
        "decimal": Decimal("12.500"),
        "lazy": gettext_lazy("Paramètre inconnu : %(names)s."),
        "error": [ErrorDetail("Ce champ est obligatoire.", code="required")],
        "date": dt.date(2026, 12, 2),
        "time": dt.time(8, 30, 15, 123456),
        "naive": dt.datetime(2026, 12, 2, 5, 21, 31, 987654),
        "utc": dt.datetime(2026, 12, 2, 5, 21, 31, 987654, tzinfo=dt.UTC),
        "paris": timezone.localtime(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "tuple": (1, "a"),
        "nested": ReturnList([{"a": [], "b": {}}], serializer=None),
    },
    serializer=None,
)


def test_the_same_bytes_as_drfs_renderer():
    assert FastJSONRenderer().render(PAYLOAD) == JSONRenderer().render(PAYLOAD)
    assert b"\\u2028" in FastJSONRenderer().render(PAYLOAD)


@pytest.mark.parametrize(
    "data",
    [{1: "non-string key"}, {"huge": 2**70}, [2**64]],
    ids=["int-key", "big-int", "big-int-list"],
)
def test_what_orjson_cannot_write_is_written_by_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_indent_asked_for_is_drfs_indent():
    renderer = FastJSONRenderer()
    asked = "application/json; indent=4"
    assert renderer.render(PAYLOAD, asked) == JSONRenderer().render(PAYLOAD, asked)
    assert b'\n    "text"' in renderer.render(PAYLOAD, asked)


def test_nothing_is_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_unknown_objects_still_fail():
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"x": object()})


@pytest.fixture
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


def test_the_api_renders_lists_and_errors_with_it(geo, _empty_cache):
    OfferFactory(labels=["AB"], description="Récolte du matin\u2028à la ferme")
    client = APIClient()
    page = client.get("/api/v1/offers/")
    assert page.status_code == 200
    assert type(page.accepted_renderer) is FastJSONRenderer
    assert page.content == JSONRenderer().render(page.data)
    assert page.json()["results"][0]["description"] == "Récolte du matin\u2028à la ferme"
    refused = client.get("/api/v1/offers/", {"categroy": "eggs"})
    assert refused.status_code == 400
    assert refused.content == JSONRenderer().render(refused.data)
    assert refused.json()["fields"]["categroy"]
    # The browsable API is still there for people.
    assert b"<html" in client.get("/api/v1/offers/", {"page": 1}, HTTP_ACCEPT="text/html").content.lower()


@pytest.mark.django_db
def test_asking_for_a_file_type_is_not_a_406_but_asking_for_anything_else_unserved_still_is(geo):
    """``FileDownloadNegotiation``: ``Accept: application/pdf`` (or CSV, XLSX) falls back to
    JSON where there is no file to give; a type the API never serves keeps DRF's 406."""
    OfferFactory()
    client = APIClient()
    for accept in ("application/pdf", "text/csv", "text/csv; charset=utf-8, application/pdf"):
        answer = client.get("/api/v1/offers/", HTTP_ACCEPT=accept)
        assert answer.status_code == 200 and answer["Content-Type"] == "application/json", accept
        assert answer.json()["count"] == 1
    for accept in ("application/xml", "application/pdf, image/png"):
        answer = client.get("/api/v1/offers/", HTTP_ACCEPT=accept)
        assert answer.status_code == 406, accept
        assert answer.json()["code"] == "not_acceptable"
