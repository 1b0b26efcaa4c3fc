import pytest
from django.core.cache import cache

from actors import services
from miam.throttling import ApiKeyRateThrottle, PersonRateThrottle
from tests.factories import TerritoryFactory, make_officer


def test_a_nul_character_in_a_filter_is_a_clear_400_not_a_server_error(client, db):
    response = client.get("/api/v1/communes/?q=Pont%00arlier")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


@pytest.fixture
def tight_rates(monkeypatch):
    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"apikey": "3/min"})
    monkeypatch.setattr(PersonRateThrottle, "THROTTLE_RATES", {"user": "2/min"})
    yield
    cache.clear()


def test_each_api_key_has_its_own_rate_limit(geo, client, tight_rates):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    _key_a, raw_a = services.apikey_create(by=officer, name="A", territory=territory)
    _key_b, raw_b = services.apikey_create(by=officer, name="B", territory=territory)
    statuses_a = [
        client.get("/api/v1/categories/", HTTP_AUTHORIZATION=f"Api-Key {raw_a}").status_code for _ in range(4)
    ]
    assert statuses_a == [200, 200, 200, 429]
    assert client.get("/api/v1/categories/", HTTP_AUTHORIZATION=f"Api-Key {raw_b}").status_code == 200
    body = client.get("/api/v1/categories/", HTTP_AUTHORIZATION=f"Api-Key {raw_a}").json()
    assert body["code"] == "throttled" and body["message"]


def test_a_nul_character_in_a_posted_form_is_refused_too(client, db):
    response = client.post("/connexion/", {"username": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400
