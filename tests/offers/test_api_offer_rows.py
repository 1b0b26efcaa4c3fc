"""The offers list reads rows, not model instances: it must give the serializer's JSON."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory

from offers import selectors
from offers.api.offers import OfferSerializer
from offers.models import Offer
from tests.factories import FarmFactory, OfferFactory, category, make_member

TODAY = timezone.localdate()


def _serialized(principal, pks, path):
    request = APIRequestFactory().get(path)
    serializer = OfferSerializer(context={"request": request})
    offers = {o.pk: o for o in selectors.offer_list(principal=principal).filter(pk__in=pks)}
    return [serializer.to_representation(offers[pk]) for pk in pks]


def _varied_offers(farm) -> list[Offer]:
    solidarity = OfferFactory(
        organization=farm,
        pricing="solidarity",
        price_per_unit="0.80",
        usual_price_per_unit="1.60",
        labels=["AB", "HVE"],
        logistics=["pickup", "delivery"],
        use_by=TODAY + dt.timedelta(days=2),
        unit="crate",
        crate_kg="7.5",
        lot_number="L-42",
    )
    family = OfferFactory(organization=farm, category=category("vegetables"), description="Des légumes")
    photo = OfferFactory(organization=farm, quantity_reserved="1.500")
    Offer.objects.filter(pk=photo.pk).update(photo="offers/2026/01/cagette.jpg")
    draft = OfferFactory(organization=farm, status="draft")
    return [solidarity, family, photo, draft]


def test_the_list_rows_give_the_serializer_json_to_a_visitor(geo):
    farm = FarmFactory()
    _varied_offers(farm)
    body = APIClient().get("/api/v1/offers/").json()
    pks = [r["id"] for r in body["results"]]
    assert body["count"] == 3 and len(pks) == 3
    assert body["results"] == _serialized(AnonymousUser(), pks, "/api/v1/offers/")
    assert {r["location_is_exact"] for r in body["results"]} == {False}


def test_the_list_rows_give_the_serializer_json_to_a_member_with_distances(geo):
    farm = FarmFactory()
    _varied_offers(farm)
    member = make_member(farm)
    client = APIClient()
    client.force_login(member)
    path = "/api/v1/offers/?within=46.43,4.66,50&ordering=distance_km"
    body = client.get(path).json()
    pks = [r["id"] for r in body["results"]]
    assert body["count"] == 4
    expected = _serialized(member, pks, path)
    for row, serialized in zip(body["results"], expected, strict=True):
        assert row["distance_km"] is not None
        assert row | {"distance_km": None} == serialized
    assert {r["location_is_exact"] for r in body["results"]} == {True}
    assert any(r["photo"] == "http://testserver/media/offers/2026/01/cagette.jpg" for r in body["results"])


def test_a_page_reads_its_total_with_its_rows_and_keeps_the_page_errors(geo, django_assert_max_num_queries):
    for _ in range(5):
        OfferFactory()
    client = APIClient()
    with django_assert_max_num_queries(1):
        body = client.get("/api/v1/offers/", {"page_size": 2, "page": 3}).json()
    assert body["count"] == 5 and len(body["results"]) == 1 and body["next"] is None and body["previous"]
    assert client.get("/api/v1/offers/", {"page_size": 2, "page": 4}).status_code == 404
    assert client.get("/api/v1/offers/", {"page_size": 2, "page": "x"}).status_code == 404
    last = client.get("/api/v1/offers/", {"page_size": 2, "page": "last"}).json()
    assert last["count"] == 5 and len(last["results"]) == 1
    Offer.objects.all().delete()
    empty = client.get("/api/v1/offers/").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_rows_shared_by_visitors_and_staff_never_leak_from_one_principal_to_another(
    geo, django_user_model, settings
):
    """Visitors' and staff's rows are built once per process and copied for each request
    (``offer_rows_visible_to``); a member's are their own. Whoever asks first, each sees what
    they may: no draft nor exact place for a visitor, every draft and place for staff."""
    settings.API_ANON_CACHE_SECONDS = 0  # every request reads the database
    from offers.api import offers as api

    api._SHARED_ROWS.clear()
    farm = FarmFactory()
    published, draft = OfferFactory(organization=farm), OfferFactory(organization=farm, status="draft")
    staff = django_user_model.objects.create_user("equipe@example.org", password="x" * 12, is_staff=True)
    visitor, member, team = APIClient(), APIClient(), APIClient()
    member.force_login(make_member(farm))
    team.force_login(staff)

    def seen(client, path="/api/v1/offers/"):
        body = client.get(path).json()
        return {row["id"]: row["location_is_exact"] for row in body["results"]}, body["count"]

    for _round in range(2):  # the second round reads the rows built in the first
        assert seen(visitor) == ({published.pk: False}, 1)
        assert seen(team) == ({published.pk: True, draft.pk: True}, 2)
        assert seen(member) == ({published.pk: True, draft.pk: True}, 2)
        assert seen(visitor, "/api/v1/offers/?status=draft") == ({}, 0)
        near = visitor.get("/api/v1/offers/?within=46.43,4.66,50&ordering=distance_km").json()["results"]
        assert [row["id"] for row in near] == [published.pk] and near[0]["distance_km"] is not None
        synced = visitor.get("/api/v1/offers/?sync=1").json()["results"]
        assert [row["id"] for row in synced] == [published.pk]
    assert set(api._SHARED_ROWS) == {(False, True), (True, True), (False, False)}
    assert all(rows._result_cache is None for rows in api._SHARED_ROWS.values())  # only copies ran
