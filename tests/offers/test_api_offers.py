"""The offers, needs, matches and map-layer endpoints: filters, visibility, pagination."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from offers import selectors
from offers.api.offers import OfferSerializer, offer_representation, offer_rows
from offers.models import Match, Offer
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    category,
    commune,
    make_member,
    make_officer,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def anonymous():
    return APIClient()


def logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["results"] if isinstance(body, dict) else body
    return [item["id"] for item in items]


# --- Reading offers --------------------------------------------------------------------------


def test_anyone_reads_published_offers_but_not_drafts(geo, anonymous):
    farm = FarmFactory()
    published = OfferFactory(organization=farm)
    OfferFactory(organization=farm, status="draft")
    assert ids(anonymous.get("/api/v1/offers/")) == [published.pk]


def test_members_see_their_own_drafts(geo):
    farm = FarmFactory()
    draft = OfferFactory(organization=farm, status="draft")
    OfferFactory(organization=FarmFactory(), status="draft")
    assert ids(logged_in(make_member(farm)).get("/api/v1/offers/", {"status": "draft"})) == [draft.pk]


def test_a_visitor_sees_the_communes_point_never_the_farms_exact_place(geo, anonymous):
    farm = FarmFactory(latitude=46.4411, longitude=4.6702, location_precision="address")
    OfferFactory(organization=farm)
    offer = anonymous.get("/api/v1/offers/").json()["results"][0]
    cluny = commune("71137")
    assert (offer["latitude"], offer["longitude"], offer["location_is_exact"]) == (
        cluny.latitude,
        cluny.longitude,
        False,
    )
    member_view = logged_in(make_member(farm)).get("/api/v1/offers/").json()["results"][0]
    assert (member_view["latitude"], member_view["location_is_exact"]) == (46.4411, True)


def test_the_fast_representation_matches_the_generic_one(geo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    OfferFactory(
        pricing="solidarity",
        price_per_unit="0.80",
        usual_price_per_unit="1.60",
        labels=["AB"],
        use_by=TODAY + dt.timedelta(days=2),
        unit="crate",
        crate_kg="7.5",
    )
    offer = selectors.offer_list(principal=AnonymousUser()).get()
    row = offer_rows(selectors.offer_list(principal=AnonymousUser())).get()
    serializer = OfferSerializer(context={})
    generic = serializers.ModelSerializer.to_representation(serializer, offer)
    generic["distance_km"] = None
    assert offer_representation(row) == generic


def test_a_category_filter_includes_its_sub_categories(geo, anonymous):
    potatoes = OfferFactory()  # potatoes by default
    salad = OfferFactory(category=category("leafy-vegetables"))
    OfferFactory(category=category("cheese"), storage="chilled")
    assert sorted(ids(anonymous.get("/api/v1/offers/", {"category": "vegetables"}))) == sorted([potatoes.pk, salad.pk])
    assert ids(anonymous.get("/api/v1/offers/", {"category": "potatoes"})) == [potatoes.pk]
    assert anonymous.get("/api/v1/offers/", {"category": "nope"}).json()["fields"]["category"]


def test_filters_by_territory_commune_and_departement(geo, anonymous):
    territory = TerritoryFactory(slug="clunisois")
    cluny = OfferFactory(organization=FarmFactory(commune=commune("71137")))
    pontarlier = OfferFactory(organization=FarmFactory(commune=commune("25462")))
    assert ids(anonymous.get("/api/v1/offers/", {"territory": "clunisois"})) == [cluny.pk]
    assert ids(anonymous.get("/api/v1/offers/", {"territory": str(territory.pk)})) == [cluny.pk]
    assert ids(anonymous.get("/api/v1/offers/", {"commune": "25462"})) == [pontarlier.pk]
    assert ids(anonymous.get("/api/v1/offers/", {"departement": "25"})) == [pontarlier.pk]
    unknown = anonymous.get("/api/v1/offers/", {"territory": "atlantide"})
    assert unknown.status_code == 400 and unknown.json()["fields"]["territory"]


def test_filters_by_status_pricing_labels_and_dates(geo, anonymous):
    organic = OfferFactory(labels=["AB", "HVE"], pricing="market", price_per_unit="2.00")
    later = OfferFactory(window_start=TODAY + dt.timedelta(days=20), window_end=TODAY + dt.timedelta(days=30))
    short = OfferFactory(use_by=TODAY + dt.timedelta(days=1))
    OfferFactory(status="withdrawn")
    assert ids(anonymous.get("/api/v1/offers/", {"labels": "AB"})) == [organic.pk]
    assert ids(anonymous.get("/api/v1/offers/", {"pricing": "market"})) == [organic.pk]
    assert anonymous.get("/api/v1/offers/", {"pricing": "gratuit"}).status_code == 400
    available = ids(anonymous.get("/api/v1/offers/", {"available_on": (TODAY + dt.timedelta(days=5)).isoformat()}))
    assert organic.pk in available and later.pk not in available and short.pk not in available
    assert len(ids(anonymous.get("/api/v1/offers/", {"is_open": "true"}))) == 3
    assert len(ids(anonymous.get("/api/v1/offers/", {"status": "withdrawn"}))) == 1


def test_within_finds_offers_near_a_point_and_orders_them_by_distance(geo, anonymous):
    cluny = commune("71137")
    near = OfferFactory(organization=FarmFactory(commune=commune("71264")))  # Lournand, 2.5 km
    farther = OfferFactory(organization=FarmFactory(commune=commune("71242")))  # Joncy, 21 km
    OfferFactory(organization=FarmFactory(commune=commune("25462")))  # Pontarlier
    response = anonymous.get(
        "/api/v1/offers/", {"within": f"{cluny.latitude},{cluny.longitude},30", "ordering": "-distance_km"}
    )
    assert ids(response) == [farther.pk, near.pk]
    assert response.json()["results"][0]["distance_km"] == pytest.approx(21, abs=1)
    box = anonymous.get("/api/v1/offers/", {"bbox": "4.60,46.40,4.70,46.47"})
    assert ids(box) == [near.pk]
    assert anonymous.get("/api/v1/offers/", {"bbox": "4.7,46.4,4.6"}).status_code == 400


@pytest.mark.parametrize("within", ["46.4", "46.4,4.6,abc", "a,b,c", "46.4,4.6,0", "46.4,4.6,-3", "46,4,nan", "91,4,5"])
def test_a_malformed_within_is_a_400_with_a_field_error(geo, anonymous, within):
    response = anonymous.get("/api/v1/offers/", {"within": within})
    assert response.status_code == 400
    assert response.json()["fields"]["within"]


def test_updated_since_returns_only_what_changed(geo, anonymous):
    old = OfferFactory()
    Offer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    fresh = OfferFactory()
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert ids(anonymous.get("/api/v1/offers/", {"updated_since": since})) == [fresh.pk]
    assert anonymous.get("/api/v1/offers/", {"updated_since": "hier"}).status_code == 400


def test_sync_pages_follow_a_stable_cursor(geo, anonymous):
    offers = [OfferFactory() for _ in range(5)]
    seen, url, pages = [], "/api/v1/offers/?sync=1&page_size=2", 0
    while url:
        body = anonymous.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == [o.pk for o in offers]  # oldest change first
    assert pages == 3


def test_the_default_pagination_counts_pages(geo, anonymous):
    for _ in range(3):
        OfferFactory()
    body = anonymous.get("/api/v1/offers/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_the_offers_list_makes_a_fixed_number_of_queries(geo, django_assert_max_num_queries):
    farm = FarmFactory()
    for _ in range(20):
        OfferFactory(organization=farm)
    client = logged_in(make_member(farm))
    territory = TerritoryFactory()
    # session, user, memberships, territory roles (2), territory, categories, count, page
    with django_assert_max_num_queries(9):
        response = client.get("/api/v1/offers/", {"category": "vegetables", "territory": territory.slug})
    assert len(response.json()["results"]) == 20


def test_the_needs_list_makes_a_fixed_number_of_queries(geo, anonymous, django_assert_max_num_queries):
    for _ in range(20):
        NeedFactory(categories=["vegetables", "fruits"])
    with django_assert_max_num_queries(4):
        response = anonymous.get("/api/v1/needs/")
    assert len(response.json()["results"]) == 20
    assert response.json()["results"][0]["categories"] == ["vegetables", "fruits"]


# --- Writing through the API -----------------------------------------------------------------


def test_a_farmer_edits_withdraws_and_deletes_an_offer(geo):
    farm = FarmFactory()
    client = logged_in(make_member(farm))
    offer = OfferFactory(organization=farm)
    patched = client.patch(f"/api/v1/offers/{offer.pk}/", {"quantity": "40", "labels": ["AB"]}, format="json")
    assert patched.status_code == 200 and patched.json()["labels"] == ["AB"]
    assert client.post(f"/api/v1/offers/{offer.pk}/withdraw/").json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/offers/{offer.pk}/publish/").json()["status"] == "published"
    assert client.delete(f"/api/v1/offers/{offer.pk}/").status_code == 204
    assert not Offer.objects.exists()


def test_someone_else_cannot_touch_an_offer(geo):
    offer = OfferFactory()
    client = logged_in(UserFactory())
    response = client.patch(f"/api/v1/offers/{offer.pk}/", {"quantity": "1"}, format="json")
    assert response.status_code == 403
    assert client.delete(f"/api/v1/offers/{offer.pk}/").status_code == 403
    assert APIClient().post(f"/api/v1/offers/{offer.pk}/withdraw/").status_code in (401, 403)
    offer.refresh_from_db()
    assert offer.quantity == 100


def test_a_structure_posts_and_edits_a_need(geo):
    structure = StructureFactory()
    client = logged_in(make_member(structure))
    payload = {
        "organization": structure.pk,
        "categories": ["fruits"],
        "title": "Fruits pour les enfants",
        "quantity": "30",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=7)).isoformat(),
        "accepted_pricing": "purchase",
        "budget_eur": "60",
        "has_freezer": True,
    }
    created = client.post("/api/v1/needs/", payload, format="json")
    assert created.status_code == 201, created.json()
    need = created.json()
    assert need["has_freezer"] is True and need["has_fridge"] is True  # given, and from the profile
    patched = client.patch(f"/api/v1/needs/{need['id']}/", {"urgency": 3}, format="json")
    assert patched.json()["urgency"] == 3
    assert client.post(f"/api/v1/needs/{need['id']}/withdraw/").json()["status"] == "withdrawn"


def test_needs_filter_by_category_family_either_way(geo, anonymous):
    family = NeedFactory(categories=["vegetables"])
    precise = NeedFactory(categories=["potatoes"])
    NeedFactory(categories=["cheese"])
    assert sorted(ids(anonymous.get("/api/v1/needs/", {"category": "potatoes"}))) == sorted([family.pk, precise.pk])
    assert sorted(ids(anonymous.get("/api/v1/needs/", {"category": "vegetables"}))) == sorted([family.pk, precise.pk])


# --- Matches (read) --------------------------------------------------------------------------


def test_matches_are_seen_by_both_sides_and_their_territory_only(geo):
    territory = TerritoryFactory()
    farm, structure = FarmFactory(), StructureFactory()
    match = Match.objects.create(
        offer=OfferFactory(organization=farm), need=NeedFactory(organization=structure), quantity=10, score=70
    )
    for user in (make_member(farm), make_member(structure), make_officer(territory)):
        assert ids(logged_in(user).get("/api/v1/matches/")) == [match.pk]
    assert ids(logged_in(UserFactory()).get("/api/v1/matches/")) == []
    assert APIClient().get("/api/v1/matches/").status_code in (401, 403)
    body = logged_in(make_member(farm)).get(f"/api/v1/matches/{match.pk}/").json()
    assert body["offer"]["organization"] == farm.pk and body["need"]["organization"] == structure.pk
    filtered = logged_in(make_member(farm)).get("/api/v1/matches/", {"status": "confirmed"})
    assert ids(filtered) == []


# --- Map layers ------------------------------------------------------------------------------


def test_the_offers_layer_is_geojson_for_one_territory(geo, anonymous, django_assert_max_num_queries):
    TerritoryFactory(slug="clunisois")
    inside = OfferFactory(organization=FarmFactory(commune=commune("71137")))
    OfferFactory(organization=FarmFactory(commune=commune("25462")))
    OfferFactory(organization=inside.organization, status="withdrawn")
    with django_assert_max_num_queries(3):
        layer = anonymous.get("/api/v1/geo/offers/", {"territory": "clunisois"}).json()
    assert layer["type"] == "FeatureCollection"
    assert [f["id"] for f in layer["features"]] == [inside.pk]
    feature = layer["features"][0]
    cluny = commune("71137")
    assert feature["geometry"] == {"type": "Point", "coordinates": [cluny.longitude, cluny.latitude]}
    assert feature["properties"]["exact"] is False
    assert "email" not in feature["properties"]


def test_the_farms_and_structures_layers_hide_exact_places_from_visitors(geo, anonymous):
    farm = FarmFactory(latitude=46.45, longitude=4.67, email="ferme@example.org")
    structure = StructureFactory()
    farms = anonymous.get("/api/v1/geo/farms/").json()["features"]
    assert [f["id"] for f in farms] == [farm.pk]
    assert farms[0]["geometry"]["coordinates"] != [4.67, 46.45]
    assert "email" not in farms[0]["properties"]
    structures = anonymous.get("/api/v1/geo/structures/").json()["features"]
    assert [f["id"] for f in structures] == [structure.pk]
    own = logged_in(make_member(farm)).get("/api/v1/geo/farms/").json()["features"][0]
    assert own["geometry"]["coordinates"] == [4.67, 46.45]


def test_the_needs_layer_takes_the_same_filters(geo, anonymous):
    vegetables = NeedFactory(categories=["vegetables"])
    NeedFactory(categories=["cheese"])
    layer = anonymous.get("/api/v1/geo/needs/", {"category": "vegetables"}).json()
    assert [f["id"] for f in layer["features"]] == [vegetables.pk]
    assert anonymous.get("/api/v1/geo/needs/", {"within": "x"}).status_code == 400


def test_categories_are_listed_with_their_family(geo, anonymous):
    categories = anonymous.get("/api/v1/categories/", {"page_size": 500}).json()["results"]
    potatoes = next(c for c in categories if c["code"] == "potatoes")
    assert potatoes["parent"] == "vegetables" and potatoes["label"] == "Pommes de terre"
    english = anonymous.get("/api/v1/categories/potatoes/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["label"] == "Potatoes"


def test_throttling_answers_429_in_the_common_error_format(geo, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"apikey": "2/min", "user": "2/min", "anon": "2/min"})
    client = APIClient()
    statuses = [client.get("/api/v1/categories/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/api/v1/categories/").json()["code"] == "throttled"


def test_visitors_count_in_the_anonymous_bucket_only_and_people_in_their_own(geo, monkeypatch, django_user_model):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"apikey": "9/min", "user": "1/min", "anon": "3/min"})
    visitor = APIClient()
    assert [visitor.get("/api/v1/categories/").status_code for _ in range(4)] == [200, 200, 200, 429]
    person = APIClient()
    person.force_authenticate(django_user_model.objects.create_user("marie@example.org", password="x" * 12))
    assert [person.get("/api/v1/categories/").status_code for _ in range(2)] == [200, 429]


def test_visitors_get_a_cached_list_that_any_change_refreshes(geo, anonymous, django_assert_max_num_queries):
    OfferFactory()
    assert len(ids(anonymous.get("/api/v1/offers/"))) == 1
    with django_assert_max_num_queries(0):
        assert len(ids(anonymous.get("/api/v1/offers/"))) == 1
    OfferFactory()
    assert len(ids(anonymous.get("/api/v1/offers/"))) == 2
    withdrawn = Offer.objects.first()
    Offer.objects.filter(pk=withdrawn.pk).update(status="expired")  # bulk writes go through listings_expire
    from offers.services.listings import listings_bulk_changed

    listings_bulk_changed.send(sender=Offer)
    assert len(ids(anonymous.get("/api/v1/offers/", {"is_open": "true"}))) == 1


def test_a_visitor_s_cached_json_is_never_served_to_the_browsable_api(geo, anonymous):
    OfferFactory()
    assert len(ids(anonymous.get("/api/v1/offers/"))) == 1  # cached as JSON

    page = anonymous.get("/api/v1/offers/", HTTP_ACCEPT="text/html")

    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"<html" in page.content.lower()
