"""The contract a partner app reads from the schema (issues 13 and 17): every operation says
which errors it answers, in one shape; every property has a type; a list refuses what it does
not know; conflicts are 409s and rate limits 429s; writes keep to who may do them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from actors.models import ApiKey
from initiatives.models import ActionPlan
from offers.models import Match
from tests.api.test_error_bodies import _offer
from tests.factories import (
    FarmFactory,
    InitiativeFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    make_member,
    make_officer,
)

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
WRITES = {"post", "put", "patch", "delete"}
TYPED = {"type", "$ref", "allOf", "oneOf", "anyOf", "enum", "not"}


@pytest.fixture
def spec(geo):
    return APIClient().get("/api/v1/schema/?format=json").json()


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method in WRITES | {"get"}:
                yield path, method, operation


def _error(response, status) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


def test_every_operation_documents_its_errors_in_the_error_shape(spec):
    missing = []
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        wanted = {"401", "429"}
        if method in WRITES:
            wanted |= {"400", "403", "409"}
        if "{" in path:
            wanted.add("404")
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            wanted.add("400")
        missing += [f"{method.upper()} {path}: {code}" for code in sorted(wanted - set(responses))]
        for code, response in responses.items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, code, schema)
    assert not missing, "\n".join(missing)
    conflict = spec["paths"]["/api/v1/matches/{id}/accept/"]["post"]["responses"]["409"]
    assert "budget dépassé" in conflict["description"] and "offre épuisée" in conflict["description"]
    assert "Retry-After" in spec["paths"]["/api/v1/offers/"]["get"]["responses"]["429"]["description"]


def test_every_property_of_the_schema_has_a_type(spec):
    untyped = []

    def walk(node, where):
        if isinstance(node, dict):
            properties = node.get("properties") if node.get("type") == "object" else None
            for name, sub in (properties if isinstance(properties, dict) else {}).items():
                if isinstance(sub, dict) and not TYPED & set(sub):
                    untyped.append(f"{where}.{name}")
            if node.get("type") == "array" and not TYPED & set(node.get("items") or {}):
                untyped.append(f"{where}[]")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(spec, "")
    assert not untyped, "\n".join(untyped)
    initiative = spec["components"]["schemas"]["Initiative"]["properties"]
    assert initiative["objectives"] == {"type": "array", "items": {"type": "string"}, "readOnly": True}
    days = spec["components"]["schemas"]["Vehicle"]["properties"]["days_available"]["items"]
    assert days == {"type": "integer", "minimum": 0, "maximum": 6}


@pytest.mark.parametrize(
    ("url", "unknown", "one_known"),
    [
        ("/api/v1/offers/?categroy=eggs", "categroy", "category"),
        ("/api/v1/needs/?page=1&statut=published", "statut", "status"),
        ("/api/v1/organizations/?kind=farm&foo=1", "foo", "kind"),
        ("/api/v1/communes/?territoire=clunisois", "territoire", "territory"),
        ("/api/v1/categories/?famille=fruits", "famille", "page_size"),
        ("/api/v1/matches/?ordre=1", "ordre", "ordering"),
    ],
)
def test_an_unknown_query_parameter_is_a_400_that_lists_the_known_ones(geo, url, unknown, one_known):
    api = APIClient()
    api.force_login(UserFactory())
    body = _error(api.get(url), 400)
    assert body["code"] == "unknown_parameter"
    assert body["message"] == f"Paramètre inconnu : {unknown}."
    assert list(body["fields"]) == [unknown]
    assert body["fields"][unknown][0].startswith("Paramètre inconnu. Paramètres possibles : ")
    assert one_known in body["fields"][unknown][0]


@pytest.mark.parametrize(
    ("url", "unknown", "one_known"),
    [
        ("/api/v1/geo/offers/?territoire=clunisois", "territoire", "territory"),
        ("/api/v1/geo/needs/?limit=5&urgence=3", "urgence", "limit"),
        ("/api/v1/geo/farms/?nocache=1", "nocache", "limit"),
        ("/api/v1/geo/structures/?kind=food_aid&x=1", "x", "limit"),
        ("/api/v1/initiatives/geojson/?domaine=supply", "domaine", "domain"),
        ("/api/v1/initiatives/typology/?lang=en", "lang", "format"),
        ("/api/v1/initiatives/{slug}/similar/?limit=3", "limit", "format"),
    ],
)
def test_unpaginated_reads_refuse_unknown_query_parameters_too(geo, url, unknown, one_known):
    """Map layers and the catalog's unpaged actions, as the paged lists: a misspelt filter is a
    400, not the whole layer."""
    initiative = InitiativeFactory()
    body = _error(APIClient().get(url.replace("{slug}", initiative.slug)), 400)
    assert body["code"] == "unknown_parameter"
    assert list(body["fields"]) == [unknown]
    assert one_known in body["fields"][unknown][0]


def test_unpaginated_reads_accept_what_they_document(spec, geo):
    initiative = InitiativeFactory()
    refused = []
    for path, method, operation in _operations(spec):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        unpaged = path.startswith("/api/v1/geo/") or path.startswith("/api/v1/initiatives/")
        if method != "get" or not unpaged or "page" in names:
            continue
        for name in names:
            response = APIClient().get(path.replace("{slug}", initiative.slug), {name: ""})
            if response.status_code == 400 and response.json()["code"] == "unknown_parameter":
                refused.append(f"{path}?{name}")
    assert not refused, refused


def test_every_query_parameter_a_list_documents_is_accepted(spec, geo):
    """The parameters a list accepts are the ones its schema documents, no fewer."""
    staff = APIClient()
    staff.force_login(UserFactory(is_staff=True))
    refused = []
    for path, method, operation in _operations(spec):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if method != "get" or "{" in path or "page" not in names:
            continue
        for name in names:
            response = staff.get(path, {name: ""})
            if response.status_code == 400 and response.json()["code"] == "unknown_parameter":
                refused.append(f"{path}?{name}")
    assert not refused, refused


def test_a_state_transition_not_allowed_is_a_409(geo):
    farm, structure = FarmFactory(), StructureFactory()
    match = Match.objects.create(
        offer=OfferFactory(organization=farm),
        need=NeedFactory(organization=structure),
        quantity=10,
        score=70,
        status=Match.MatchStatus.DECLINED,
    )
    api = APIClient()
    api.force_login(make_member(farm))
    body = _error(api.post(f"/api/v1/matches/{match.pk}/accept/", {"side": "farm"}, format="json"), 409)
    assert body["code"] == "invalid_status" and "On ne peut pas accepter" in body["message"]


def test_rate_limiting_is_a_429_in_the_error_shape(geo, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"apikey": None, "user": None, "anon": "2/min"})
    cache.clear()
    api = APIClient()
    assert [api.get("/api/v1/categories/").status_code for _ in range(2)] == [200, 200]
    response = api.get("/api/v1/categories/")
    body = _error(response, 429)
    assert body["code"] == "throttled" and "Requête ralentie" in body["message"]
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_only_the_territorys_officers_and_staff_get_its_action_plan_through_the_api(geo):
    territory = TerritoryFactory(slug="clunisois")
    officer = make_officer(territory)
    outsider_officer = make_officer(TerritoryFactory(slug="ailleurs", epci_codes=["200071595"]))
    farmer = make_member(FarmFactory())
    first = APIClient()
    first.force_login(officer)
    created = first.post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json")
    assert created.status_code == 201, created.content
    for who in (farmer, outsider_officer, UserFactory()):
        api = APIClient()
        api.force_login(who)
        refused = _error(api.post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json"), 403)
        assert refused["code"] == "permission_denied"
    _error(APIClient().post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json"), 401)
    again = first.post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    staff = APIClient()
    staff.force_login(UserFactory(is_staff=True))
    assert staff.post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json").status_code == 200
    assert ActionPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"pricing": "market", "price_per_unit": "-1"}, "price_per_unit", "Le prix ne peut être négatif."),
        ({"usual_price_per_unit": "-3"}, "usual_price_per_unit", "Le prix ne peut être négatif."),
        (
            {"logistics": ["delivery"], "delivery_radius_km": "-5"},
            "delivery_radius_km",
            "Le rayon ne peut pas être négatif.",
        ),
    ],
)
def test_a_negative_amount_is_reported_as_negative_not_as_missing(geo, overrides, field, message):
    farm = FarmFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    body = _error(api.post("/api/v1/offers/", _offer(farm.pk, **overrides), format="json"), 400)
    assert body["fields"] == {field: [message]}
    assert body["code"] == "negative"


def test_an_officer_creates_a_key_for_an_organization_of_the_territory_shown_once_and_hashed(geo):
    territory = TerritoryFactory()
    farm = FarmFactory()
    officer = APIClient()
    officer.force_login(make_officer(territory))
    created = officer.post(
        "/api/v1/api-keys/", {"name": "Logiciel de la ferme", "organization": farm.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    raw = created.json()["key"]
    key = ApiKey.objects.get()
    assert key.organization_id == farm.pk and not key.can_write
    assert key.key_hash == ApiKey.hash_key(raw) and raw not in (key.key_hash, key.prefix)
    listed = officer.get("/api/v1/api-keys/").json()["results"]
    assert [k["id"] for k in listed] == [key.pk] and "key" not in listed[0]
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert keyed.get("/api/v1/me/").json()["api_key"]["organization"] == farm.pk

    elsewhere = APIClient()
    elsewhere.force_login(make_officer(TerritoryFactory(slug="ailleurs", epci_codes=["200071595"])))
    for api in (elsewhere, keyed):
        refused = api.post("/api/v1/api-keys/", {"name": "intrus", "organization": farm.pk}, format="json")
        assert refused.status_code == 403
    staff = APIClient()
    staff.force_login(UserFactory(is_staff=True))
    assert (
        staff.post("/api/v1/api-keys/", {"name": "équipe", "organization": farm.pk}, format="json").status_code == 201
    )
    assert ApiKey.objects.count() == 2


def test_the_schema_says_that_publishing_a_listing_starts_matching(spec):
    for path in ("/api/v1/offers/", "/api/v1/needs/", "/api/v1/offers/{id}/publish/", "/api/v1/needs/{id}/publish/"):
        assert "mises en relation" in spec["paths"][path]["post"]["description"], path
    create = spec["paths"]["/api/v1/api-keys/"]["post"]["description"]
    assert "chargé·e de mission" in create and "qu'une fois" in create
