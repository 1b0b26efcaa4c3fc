"""The OpenAPI schema is valid, and the API keeps to it whatever a client sends.

Schemathesis generates requests for every operation of the schema (bounded, with a fixed
seed), straight against the WSGI app: once authenticated with a read-write territory API key,
once anonymous (fewer examples: most anonymous writes stop at the 401).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error, response_schema_conformance

from actors import services as actor_services
from miam.wsgi import application
from offers.models import Match
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    make_member,
    make_officer,
)


def test_the_schema_is_valid_openapi_3(geo):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/offers/", "/api/v1/needs/", "/api/v1/matches/", "/api/v1/geo/offers/", "/api/v1/me/"):
        assert path in spec["paths"], path
    within = [p for p in spec["paths"]["/api/v1/offers/"]["get"]["parameters"] if p["name"] == "within"]
    assert within and "km" in within[0]["description"]


def test_the_docs_page_is_served(geo):
    assert APIClient().get("/api/v1/docs/").status_code == 200


@pytest.fixture
def api_key(geo, monkeypatch):
    """Seed a territory with actors, listings and a match; return a read-write key for it."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"apikey": None, "user": None, "anon": None})
    cache.clear()
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    officer = make_officer(territory)
    farm, structure = FarmFactory(), StructureFactory()
    make_member(farm)
    offer = OfferFactory(organization=farm, labels=["AB"])
    need = NeedFactory(organization=structure)
    NeedFactory(organization=structure, status="draft", categories=["fruits", "eggs"])
    Match.objects.create(
        offer=offer, need=need, quantity=10, score=80, reasons=[{"code": "distance", "params": {"km": 4}}]
    )
    _key, raw = actor_services.apikey_create(by=officer, name="Schemathesis", territory=territory, can_write=True)
    return raw


#: Examples per operation: with the write key, anonymous.
EXAMPLES = {"write key": 6, "anonymous": 3}

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
    "print_blob": False,
}


def _exercise(operation, headers, max_examples: int) -> None:
    @settings(**{**SETTINGS, "max_examples": max_examples})
    @given(case=operation.as_strategy())
    def run(case):
        # Each request in its own savepoint, rolled back: on PostgreSQL one failed query
        # would otherwise abort the test's transaction for every request after it.
        savepoint = transaction.savepoint()
        try:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])
        finally:
            transaction.savepoint_rollback(savepoint)

    run()


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI app (not Django's test client): keep Django from
    closing the test's database connection, and its transaction, after each of them."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("who", list(EXAMPLES))
def test_the_api_never_fails_and_keeps_to_its_schema(api_key, keep_connection, who):
    """Every operation, a few generated requests each: no 5xx, every response as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    headers = {"Authorization": f"Api-Key {api_key}"} if who == "write key" else {}
    failures, count = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        count += 1
        try:
            _exercise(operation, headers, EXAMPLES[who])
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (collect every failure, then report)
            failures.append(f"{operation.label}: {error}")
    assert count >= 20
    assert not failures, "\n\n".join(failures)
