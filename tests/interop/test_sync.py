"""Lossless sync: a partner syncing with ``?sync=1&updated_since=`` learns of creations,
updates, withdrawals and deletions (tombstones), on every synced list."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from actors import services as actor_services
from miam.models import Tombstone
from miam.sync import tombstones_prune
from offers.models import Match
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    make_officer,
)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clunisois(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def partner(clunisois):
    officer = make_officer(clunisois)
    _key, raw = actor_services.apikey_create(by=officer, name="Plateforme", territory=clunisois, can_write=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def offer_payload(farm, **overrides):
    return {
        "organization": farm.pk,
        "category": "potatoes",
        "product_name": "Pommes de terre",
        "quantity": "100",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=10)).isoformat(),
        "pricing": "donation",
        "logistics": ["delivery"],
        **overrides,
    }


def sync_all(api, path: str, since: dt.datetime) -> tuple[dict, list[dict]]:
    """Follow the cursor to the end: (items by id, deleted)."""
    page = api.get(path, {"sync": "1", "updated_since": since.isoformat(), "page_size": 2})
    assert page.status_code == 200, page.json()
    body = page.json()
    deleted = body["deleted"]
    items = {}
    while True:
        items.update({item["id"]: item for item in body["results"]})
        if not body["next"]:
            return items, deleted
        body = api.get(body["next"]).json()
        assert body["deleted"] == []  # listed once, on the first page


def test_a_partner_syncing_offers_learns_of_a_creation_an_update_a_withdrawal_and_a_deletion(clunisois, partner):
    farm = FarmFactory()
    old = OfferFactory(organization=farm)
    since = timezone.now()
    time.sleep(0.01)
    created = partner.post("/api/v1/offers/", offer_payload(farm), format="json").json()
    updated = partner.patch(f"/api/v1/offers/{old.pk}/", {"quantity": "42"}, format="json").json()
    withdrawn = partner.post("/api/v1/offers/", offer_payload(farm, product_name="Carottes"), format="json").json()
    assert partner.post(f"/api/v1/offers/{withdrawn['id']}/withdraw/").status_code == 200
    gone = partner.post("/api/v1/offers/", offer_payload(farm, product_name="Radis"), format="json").json()
    assert partner.delete(f"/api/v1/offers/{gone['id']}/").status_code == 204

    items, deleted = sync_all(partner, "/api/v1/offers/", since)
    assert set(items) == {created["id"], updated["id"], withdrawn["id"]}
    assert items[updated["id"]]["quantity"] == "42.000"
    assert items[withdrawn["id"]]["status"] == "withdrawn"
    assert [(d["id"], d["kind"]) for d in deleted] == [(gone["id"], "offer")]
    assert dt.datetime.fromisoformat(deleted[0]["deleted_at"]) >= since

    # A later sync, from after the deletion, no longer lists it.
    later = timezone.now()
    assert partner.get("/api/v1/offers/", {"sync": "1", "updated_since": later.isoformat()}).json()["deleted"] == []
    # Outside sync mode nothing changes: pages, no "deleted".
    assert "deleted" not in partner.get("/api/v1/offers/").json()


def test_every_synced_list_returns_its_deletions(clunisois, partner):
    farm, structure = FarmFactory(), StructureFactory()
    need = NeedFactory(organization=structure)
    match = Match.objects.create(
        offer=OfferFactory(organization=farm), need=NeedFactory(organization=structure), quantity=5
    )
    lonely = FarmFactory(name="Ferme fermée")
    since = timezone.now()
    time.sleep(0.01)
    need_id, match_id, lonely_id = need.pk, match.pk, lonely.pk
    need.delete()
    match.delete()
    lonely.delete()
    for path, kind, pk in (
        ("/api/v1/needs/", "need", need_id),
        ("/api/v1/matches/", "match", match_id),
        ("/api/v1/organizations/", "organization", lonely_id),
    ):
        _items, deleted = sync_all(partner, path, since)
        assert [(d["id"], d["kind"]) for d in deleted] == [(pk, kind)], path


def test_a_deletion_that_rolls_back_leaves_no_tombstone(clunisois):
    from django.db import transaction

    offer = OfferFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        offer.delete()
        raise RuntimeError
    assert not Tombstone.objects.exists()


def test_old_tombstones_are_pruned(geo):
    offer = OfferFactory()
    offer.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - dt.timedelta(days=100))
    OfferFactory().delete()
    assert tombstones_prune(keep_days=90) == 1
    assert Tombstone.objects.count() == 1


def test_the_schema_documents_the_deleted_items(partner):
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    page = schema["components"]["schemas"]["PaginatedOfferList"]["properties"]
    assert page["deleted"]["items"]["required"] == ["id", "kind", "deleted_at"]


def _tombstone_inserts(captured) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "miam_tombstone"'))


def test_the_admin_deleting_a_selection_writes_its_tombstones_in_one_insert(geo, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from offers.models import Offer
    from tests.factories import UserFactory

    offers = [OfferFactory() for _ in range(25)]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/admin/offers/offer/",
            {"action": "delete_selected", "_selected_action": [o.pk for o in offers], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Offer.objects.filter(pk__in=[o.pk for o in offers]).exists()
    assert _tombstone_inserts(captured) == 1  # not 25
    assert set(Tombstone.objects.values_list("kind", "object_id")) == {("offer", o.pk) for o in offers}


def test_a_deletion_a_savepoint_rolls_back_inside_a_batch_leaves_no_tombstone(geo):
    from django.db import transaction

    from miam.sync import tombstones_batched

    kept, gone = OfferFactory(), OfferFactory()
    with tombstones_batched():
        with pytest.raises(RuntimeError), transaction.atomic():
            kept.delete()
            raise RuntimeError
        gone_id = gone.pk
        gone.delete()
    assert list(Tombstone.objects.values_list("kind", "object_id")) == [("offer", gone_id)]


def test_every_list_that_syncs_tracks_its_deletions_and_takes_updated_since():
    """Each list paged by ``PageOrSyncPagination`` (``?sync=1``) has its model's deletions
    recorded (``miam.sync.track_deletions``) and filters on ``updated_since``: a list added
    later cannot forget either."""
    from miam import sync
    from miam.api import router
    from miam.pagination import PageOrSyncPagination

    synced = [
        (prefix, viewset)
        for prefix, viewset, _basename in router.registry
        if isinstance(getattr(viewset, "pagination_class", None), type)
        and issubclass(viewset.pagination_class, PageOrSyncPagination)
    ]
    assert {"offers", "needs", "matches", "organizations", "agreements"} <= {prefix for prefix, _v in synced}
    untracked = [p for p, viewset in synced if sync.kind_of(viewset.serializer_class.Meta.model) is None]
    assert untracked == []
    # And each takes ``updated_since`` (a SyncedFilterSet), so that a partner syncs only what changed.
    filters = {p: getattr(getattr(viewset, "filterset_class", None), "base_filters", {}) for p, viewset in synced}
    assert [p for p, names in filters.items() if "updated_since" not in names] == []


def test_a_partner_syncing_agreements_funders_and_funding_lines_learns_of_their_deletions(clunisois, partner):
    from agreements.models import Funder, FundingLine
    from tests.agreements.helpers import signed, world

    agreement = signed(world())
    funder = Funder.objects.create(territory=clunisois, name="Département", kind="departement")
    line = FundingLine.objects.create(
        funder=funder, name="Aide 2026", amount_eur=1000, share_per_kg_eur=1, period_start=TODAY, period_end=TODAY
    )
    since = timezone.now()
    time.sleep(0.01)
    ids = {"agreement": agreement.pk, "funder": funder.pk, "funding_line": line.pk}
    for row in (agreement, line, funder):  # as the admin would
        type(row).objects.filter(pk=row.pk).delete()
    for path, kind in (
        ("/api/v1/agreements/", "agreement"),
        ("/api/v1/funders/", "funder"),
        ("/api/v1/funding-lines/", "funding_line"),
    ):
        page = partner.get(path, {"sync": "1", "updated_since": since.isoformat()})
        assert page.status_code == 200, (path, page.json())
        assert [(d["id"], d["kind"]) for d in page.json()["deleted"]] == [(ids[kind], kind)], path
