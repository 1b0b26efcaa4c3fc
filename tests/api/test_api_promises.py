"""The API keeps its promises to partner apps (issue 17's fixes): bad parameters and bodies are
400s in the error shape, never 500s or silently ignored; communes and categories are pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import FarmFactory, TerritoryFactory, make_member

pytestmark = pytest.mark.django_db


def _error(response, status=400) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/offers/?updated_since=2026-01-01T00:00:00%2B19:00",
        "/api/v1/needs/?updated_since=2026-01-01T00:00:00-16:00",
        "/api/v1/organizations/?updated_since=2026-01-01T00:00:00%2B23:59",
        "/api/v1/meetings/?starts_after=2026-01-01T00:00:00%2B19:00",
    ],
)
def test_a_time_zone_offset_no_zone_has_is_a_400(geo, url):
    body = _error(APIClient().get(url))
    assert "Décalage horaire hors limites" in next(iter(body["fields"].values()))[0]


def test_a_real_offset_still_filters(geo):
    assert APIClient().get("/api/v1/offers/?updated_since=2026-01-01T00:00:00%2B14:00").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=abc", "page_size"),
        ("page_size=%C2%B2", "page_size"),  # "²" is a digit to str.isdigit(), not to int()
        ("page_size=0", "page_size"),
        ("page_size=100000", "page_size"),
        ("cursor=zzz", "cursor"),
        ("sync=1&cursor=bz14", "cursor"),  # "o=x"
        ("ordering=nope", "ordering"),
        ("ordering=-price_per_unit,password", "ordering"),
    ],
)
def test_bad_paging_and_ordering_are_400s_on_their_parameter(geo, query, field):
    body = _error(APIClient().get(f"/api/v1/offers/?{query}"))
    assert list(body["fields"]) == [field]


def test_the_maximum_page_size_is_in_the_schema_and_enforced(geo):
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/offers/"]["get"]["parameters"]}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert APIClient().get("/api/v1/offers/?page_size=500").status_code == 200
    assert APIClient().get("/api/v1/offers/?page_size=501").status_code == 400


@pytest.mark.parametrize("body", ["null", "[1,2]", '"s"', "12", '{"note": "a\\u0000b"}', "{pas du json", "NaN"])
def test_a_body_that_is_not_one_clean_json_object_is_a_french_400(geo, body):
    farm = FarmFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    for url in ("/api/v1/meeting-registrations/", "/api/v1/offers/"):
        error = _error(api.post(url, body, content_type="application/json"))
        assert error["code"] == "parse_error"
        assert any(word in error["message"] for word in ("JSON", "caractère nul")), error


def test_unparsable_multipart_is_a_json_400(geo):
    api = APIClient()
    api.force_login(make_member(FarmFactory()))
    _error(api.post("/api/v1/offers/", b"garbage", content_type="multipart/form-data"))
    _error(api.post("/api/v1/offers/", b"--x\r\nnot a part", content_type="multipart/form-data; boundary=x"))


def test_a_territory_lists_its_communes_in_pages(geo):
    territory = TerritoryFactory(slug="clunisois")
    by_slug = APIClient().get("/api/v1/communes/?territory=clunisois&page_size=5").json()
    assert by_slug["count"] == territory.communes.count() > 5 and len(by_slug["results"]) == 5
    by_id = APIClient().get(f"/api/v1/communes/?territory={territory.pk}&page_size=500").json()
    assert {c["insee_code"] for c in by_id["results"]} == set(territory.communes.values_list("insee_code", flat=True))
    assert "Cluny" in [
        c["name"] for c in APIClient().get("/api/v1/communes/?territory=clunisois&q=clun").json()["results"]
    ]
    unknown = _error(APIClient().get("/api/v1/communes/?territory=nulle-part"))
    assert unknown["fields"] == {"territory": ["Territoire inconnu : nulle-part."]}


def test_communes_and_categories_are_paginated_like_every_list(geo):
    categories = APIClient().get("/api/v1/categories/?page_size=3").json()
    assert set(categories) >= {"count", "next", "previous", "results"} and len(categories["results"]) == 3
    communes = APIClient().get("/api/v1/communes/?q=cluny").json()
    assert communes["results"][0]["name"] == "Cluny"


def test_a_superscript_digit_is_no_category_id():
    """« ² » passes ``str.isdigit()`` but not ``int()``: it is an unknown category, not a 500
    (found by schemathesis on POST /api/v1/demand/)."""
    from offers.inputs import category_resolve

    assert category_resolve("²") is None
    assert category_resolve("\u0663") is None or category_resolve("\u0663").pk == 3  # Arabic-Indic 3 reads as 3
