"""The map layers read as plain rows (properties computed by PostgreSQL, JSON written by orjson)
are the layers Python wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from miam.api_geo import GeoLayerView
from offers.api.layers import NeedLayerView, OfferLayerView
from tests.factories import FarmFactory, NeedFactory, OfferFactory, StructureFactory, TerritoryFactory

pytestmark = pytest.mark.postgres
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def both(monkeypatch, view, path: str, params: dict) -> tuple[dict, dict]:
    from django.core.cache import cache

    fast = APIClient().get(path, params)
    assert fast.status_code == 200 and fast["Content-Type"] == "application/json"
    cache.clear()
    monkeypatch.setattr(view, "pg_properties", GeoLayerView.pg_properties)
    slow = APIClient().get(path, params)
    assert slow.status_code == 200
    return fast.json(), slow.json()


def test_the_offers_layer_is_the_same_built_by_postgresql(geo, monkeypatch):
    TerritoryFactory(slug="clunisois")
    farm = FarmFactory(location_precision="address")
    OfferFactory(organization=farm, quantity=120, quantity_reserved=20, use_by=TODAY + dt.timedelta(days=2))
    OfferFactory(organization=FarmFactory(), quantity="7.5", pricing="market", price_per_unit="1.10")
    OfferFactory(organization=farm, status="draft")
    fast, slow = both(monkeypatch, OfferLayerView, "/api/v1/geo/offers/", {"territory": "clunisois"})
    assert len(fast["features"]) == 2
    assert fast == slow
    fast, slow = both(monkeypatch, OfferLayerView, "/api/v1/geo/offers/", {"limit": 1})
    assert fast == slow and fast["truncated"] is True and len(fast["features"]) == 1


def test_the_needs_layer_is_the_same_built_by_postgresql(geo, monkeypatch):
    structure = StructureFactory()
    NeedFactory(organization=structure, quantity=50, quantity_covered=60)
    NeedFactory(organization=structure, quantity="12.5")
    fast, slow = both(monkeypatch, NeedLayerView, "/api/v1/geo/needs/", {})
    assert len(fast["features"]) == 2 and fast == slow


def test_a_visitors_layer_is_served_from_the_cache_until_a_change(geo, settings, django_assert_num_queries):
    settings.API_ANON_CACHE_SECONDS = 30
    farm = FarmFactory()
    OfferFactory(organization=farm)
    client = APIClient()
    first = client.get("/api/v1/geo/offers/")
    assert first.status_code == 200 and len(first.json()["features"]) == 1
    with django_assert_num_queries(0):
        again = client.get("/api/v1/geo/offers/")
    assert again.content == first.content
    OfferFactory(organization=farm)
    assert len(client.get("/api/v1/geo/offers/").json()["features"]) == 2


def test_the_farms_and_structures_layers_are_the_same_built_from_plain_rows(geo, monkeypatch):
    from actors.api import FarmLayerView, StructureLayerView

    FarmFactory(location_precision="address")
    FarmFactory()
    StructureFactory()
    fast, slow = both(monkeypatch, FarmLayerView, "/api/v1/geo/farms/", {})
    assert len(fast["features"]) == 2 and fast == slow
    fast, slow = both(monkeypatch, StructureLayerView, "/api/v1/geo/structures/", {})
    assert len(fast["features"]) == 1 and fast == slow


def test_the_layer_columns_shared_by_visitors_and_staff_never_leak_to_another_principal(
    geo, django_user_model, settings
):
    """Visitors' and staff's layer columns are built once per process (``shared_rows_key``);
    whoever asks first, a visitor never gets staff's exact places or drafts, nor the reverse."""
    settings.API_ANON_CACHE_SECONDS = 0  # every request reads the database
    from miam import api_geo
    from tests.factories import make_member

    api_geo._SHARED_COLUMNS.clear()
    farm = FarmFactory(location_precision="address")
    published, draft = OfferFactory(organization=farm), OfferFactory(organization=farm, status="draft")
    staff = django_user_model.objects.create_user("equipe@example.org", password="x" * 12, is_staff=True)
    visitor, team, member = APIClient(), APIClient(), APIClient()
    team.force_login(staff)
    member.force_login(make_member(farm))

    def seen(client, params=None):
        body = client.get("/api/v1/geo/offers/", params or {}).json()
        return {feature["id"]: feature["properties"]["exact"] for feature in body["features"]}

    for _round in range(2):  # the second round reads the columns built in the first
        assert seen(team, {"status": "draft"}) == {draft.pk: True}
        assert seen(visitor, {"status": "draft"}) == {}
        assert seen(team) == {published.pk: True}
        assert seen(visitor) == {published.pk: False}
        assert seen(member, {"status": "draft"}) == {draft.pk: True}
        assert seen(visitor, {"within": "46.43,4.66,50"}) == {published.pk: False}
    assert {key for _view, key in api_geo._SHARED_COLUMNS} == {
        ("staff", True),
        ("staff", False),
        ("visitor", True),
        ("visitor", False),
    }
