"""Webhooks, end to end: a partner subscribes through the API, MIAM posts each event once to a
real HTTP receiver (``http.server`` in a thread), signed the Standard Webhooks way; a failing
receiver gets the retries and the subscription's log shows the failures; private targets
are refused. The apps built later (season agreements, rounds) emit theirs the same way."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from actors import services as actor_services
from agreements.services import agreements as svc
from interop.models import Attempt, Delivery, Subscription
from logistics.services import rounds
from miam import events
from offers.models import Match
from offers.services import runs
from tests.agreements.helpers import BEFORE_START, active, world
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, commune, make_member, make_officer
from tests.interop.receiver import Receiver
from tests.logistics.helpers import logistics_org, next_tuesday, three_matches, vehicle

TODAY = timezone.localdate()
ALL_EVENTS = [
    *(f"{kind}.{action}" for kind in ("offer", "need") for action in ("created", "updated", "withdrawn", "deleted")),
    *(f"match.{a}" for a in ("proposed", "accepted", "confirmed", "declined", "cancelled", "delivered")),
    "matching_run.finished",
]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def allow_local(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_DELAYS = [1, 2, 4, 8]


@pytest.fixture
def clunisois(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def partner(clunisois):
    officer = make_officer(clunisois)
    _key, raw = actor_services.apikey_create(by=officer, name="Plateforme", territory=clunisois, can_write=True)
    return key_client(raw)


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
        "delivery_radius_km": "30",
        **overrides,
    }


def need_payload(structure, **overrides):
    return {
        "organization": structure.pk,
        "categories": ["vegetables"],
        "title": "Légumes",
        "quantity": "20",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=14)).isoformat(),
        **overrides,
    }


def verified(receiver: Receiver, secret: str) -> list[dict]:
    """Every body received, each checked against its Standard Webhooks signature."""
    hook = Webhook(secret)
    return [hook.verify(r.body, r.headers) for r in receiver.requests]


def subscribe(api, receiver, events_=ALL_EVENTS, **extra) -> dict:
    response = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": list(events_), **extra}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    return body


def test_a_partner_hears_each_event_once_with_a_signature_it_verifies(
    clunisois, partner, receiver, allow_local, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structures = [StructureFactory(commune=commune("71137")) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(partner, receiver)
        # Offers and needs: created, updated, withdrawn, deleted.
        offer = partner.post("/api/v1/offers/", offer_payload(farm), format="json").json()
        assert partner.patch(f"/api/v1/offers/{offer['id']}/", {"quantity": "90"}, format="json").status_code == 200
        gone = partner.post("/api/v1/offers/", offer_payload(farm, product_name="Carottes"), format="json").json()
        assert partner.post(f"/api/v1/offers/{gone['id']}/withdraw/").status_code == 200
        assert partner.delete(f"/api/v1/offers/{gone['id']}/").status_code == 204
        needs = [partner.post("/api/v1/needs/", need_payload(s), format="json").json() for s in structures]
        assert partner.patch(f"/api/v1/needs/{needs[0]['id']}/", {"quantity": "25"}, format="json").status_code == 200
        spare = partner.post("/api/v1/needs/", need_payload(structures[0], title="Pain"), format="json").json()
        assert partner.post(f"/api/v1/needs/{spare['id']}/withdraw/").status_code == 200
        assert partner.delete(f"/api/v1/needs/{spare['id']}/").status_code == 204
    # Once committed, the debounced run has proposed the offer to the three needs (eager Celery).
    with django_capture_on_commit_callbacks(execute=True):
        proposals = {m.need_id: m for m in Match.objects.filter(offer_id=offer["id"], status="proposed")}
        assert set(proposals) == {n["id"] for n in needs}
        first, second, third = (proposals[n["id"]] for n in needs)
        for side in ("farm", "structure"):
            assert partner.post(f"/api/v1/matches/{first.pk}/accept/", {"side": side}, format="json").status_code == 200
        assert (
            partner.post(
                f"/api/v1/matches/{first.pk}/confirm-delivery/", {"quantity_received": "20"}, format="json"
            ).status_code
            == 200
        )
        assert (
            partner.post(f"/api/v1/matches/{second.pk}/decline/", {"reason": "Trop loin"}, format="json").status_code
            == 200
        )
        partner.post(f"/api/v1/matches/{third.pk}/accept/", {"side": "structure"}, format="json")
        assert (
            partner.post(f"/api/v1/matches/{third.pk}/cancel/", {"reason": "Plus besoin"}, format="json").status_code
            == 200
        )

    bodies = verified(receiver, sub["secret"])
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids))  # each message once
    seen = Counter((b["type"], b["data"]["id"]) for b in bodies)
    assert max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]
    assert {t for t, _id in seen} == set(ALL_EVENTS)
    assert ("offer.deleted", gone["id"]) in seen and ("match.delivered", first.pk) in seen
    assert ("match.confirmed", first.pk) in seen and ("match.declined", second.pk) in seen
    assert ("match.cancelled", third.pk) in seen
    # A body says what changed and where to read it.
    created = next(b for b in bodies if b["type"] == "offer.created" and b["data"]["id"] == offer["id"])
    assert created["data"]["url"] == f"/api/v1/offers/{offer['id']}/" and created["data"]["organization_id"] == farm.pk
    # And the log says each was delivered at the first try.
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    log = partner.get(f"/api/v1/webhooks/{sub['id']}/deliveries/", {"page_size": 100}).json()
    assert log["count"] == len(bodies) and log["results"][0]["attempt_log"][0]["status_code"] == 204


def test_an_organization_hears_only_of_its_own_listings(
    clunisois, receiver, allow_local, django_capture_on_commit_callbacks
):
    farm, other = FarmFactory(), FarmFactory()
    member = make_member(farm)
    _key, raw = actor_services.apikey_create(by=member, name="App", organization=farm, can_write=True)
    api = key_client(raw)
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(api, receiver, ["offer.created"])
        assert sub["organization"] == farm.pk and sub["territory"] is None
        mine = api.post("/api/v1/offers/", offer_payload(farm), format="json").json()
        other_api = APIClient()
        other_api.force_login(make_member(other))
        assert other_api.post("/api/v1/offers/", offer_payload(other), format="json").status_code == 201
    assert [b["data"]["id"] for b in verified(receiver, sub["secret"])] == [mine["id"]]
    # Another organization's member neither sees nor manages that subscription.
    assert other_api.get(f"/api/v1/webhooks/{sub['id']}/").status_code == 404
    assert other_api.get("/api/v1/webhooks/").json()["count"] == 0


def test_a_matching_run_that_finishes_is_announced_to_its_territory(
    clunisois, partner, receiver, allow_local, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(partner, receiver, ["matching_run.finished"])
        run = runs.matching_run(territory_id=clunisois.pk, trigger="manual")
    [body] = verified(receiver, sub["secret"])
    assert body["type"] == "matching_run.finished"
    assert body["data"] | {"counts": None} == {
        "id": run.pk,
        "kind": "matching_run",
        "status": "success",
        "territory_id": clunisois.pk,
        "trigger": "manual",
        "counts": None,
        "url": f"/api/v1/matching-runs/{run.pk}/",
    }


def test_a_receiver_failing_three_times_gets_the_retries_then_the_log_shows_the_failures(
    clunisois, partner, allow_local, django_capture_on_commit_callbacks
):
    receiver = Receiver(fail_first=3)
    try:
        farm = FarmFactory()
        with django_capture_on_commit_callbacks(execute=True):
            sub = subscribe(partner, receiver, ["offer.created"])
            partner.post("/api/v1/offers/", offer_payload(farm), format="json")
        assert len(receiver.requests) == 4
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # the same message, tried again
        verified(receiver, sub["secret"])  # each try signed
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 4, 204)
        tries = list(Attempt.objects.filter(delivery=delivery).values_list("number", "status_code", "succeeded"))
        assert tries == [(1, 500, False), (2, 500, False), (3, 500, False), (4, 204, True)]
        shown = partner.get(f"/api/v1/webhooks/{sub['id']}/deliveries/").json()["results"][0]
        assert [a["status_code"] for a in shown["attempt_log"]] == [500, 500, 500, 204]
        assert shown["attempt_log"][0]["response_excerpt"] == "receiver down for maintenance"
        subscription = partner.get(f"/api/v1/webhooks/{sub['id']}/").json()
        assert subscription["failures"] == 0 and subscription["last_failure_at"] and subscription["last_success_at"]
    finally:
        receiver.close()


def test_a_receiver_that_never_answers_well_is_given_up_then_replayed(
    clunisois, partner, allow_local, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_DELAYS = [1, 2]
    receiver = Receiver(fail_first=3)  # three tries in all: each fails
    try:
        farm = FarmFactory()
        with django_capture_on_commit_callbacks(execute=True):
            sub = subscribe(partner, receiver, ["offer.created"])
            partner.post("/api/v1/offers/", offer_payload(farm), format="json")
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("failed", 3)
        subscription = partner.get(f"/api/v1/webhooks/{sub['id']}/").json()
        assert subscription["failures"] == 3 and "500" in subscription["last_error"]
        assert partner.get(f"/api/v1/webhooks/{sub['id']}/deliveries/").json()["results"][0]["status"] == "failed"
        # The receiver is back: a replay sends the same message again.
        with django_capture_on_commit_callbacks(execute=True):
            replay = partner.post(f"/api/v1/webhooks/{sub['id']}/deliveries/{delivery.pk}/replay/")
        assert replay.status_code == 202, replay.json()
        assert len(receiver.requests) == 4 and receiver.requests[-1].headers["webhook-id"] == delivery.event.message_id
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        assert Attempt.objects.filter(delivery=delivery).count() == 4
        assert Subscription.objects.get().failures == 0
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/latest"],
)
def test_a_private_or_loopback_target_is_refused_in_french(clunisois, partner, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = partner.post("/api/v1/webhooks/", {"url": url, "events": ["offer.created"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "private_target"
    assert body["fields"]["url"] == [
        "Adresse refusée : les adresses privées, locales ou réservées ne peuvent pas recevoir de webhooks."
    ]
    assert not Subscription.objects.exists()


def test_a_subscription_is_checked_like_any_input(clunisois, partner, allow_local):
    response = partner.post("/api/v1/webhooks/", {"url": "ftp://example.org", "events": ["offer.eaten"]}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["url"] == ["Adresse invalide : une URL http ou https est attendue."]
    assert fields["events"] == ["Événements inconnus : offer.eaten."]
    assert not Subscription.objects.exists()


def test_the_event_types_are_listed_and_other_apps_may_register_theirs(partner, monkeypatch):
    names = [e["name"] for e in partner.get("/api/v1/webhooks/events/").json()]
    assert set(ALL_EVENTS) <= set(names)
    monkeypatch.setattr(events, "_TYPES", dict(events._TYPES))  # the registry as it was, after
    assert "harvest.announced" not in names
    events.register("harvest.announced", "récolte annoncée")
    assert "harvest.announced" in [e["name"] for e in partner.get("/api/v1/webhooks/events/").json()]


def test_nothing_is_sent_for_a_change_that_rolls_back(clunisois, partner, receiver, allow_local):
    from django.db import transaction

    sub = Subscription.objects.create(
        territory=clunisois, url=receiver.url, events=["offer.created"], secret="whsec_" + "A" * 32
    )
    farm = FarmFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit("offer.created", data={"id": 1}, organization_ids=[farm.pk])
        assert Delivery.objects.filter(subscription=sub).count() == 1
        raise RuntimeError
    assert not Delivery.objects.exists() and receiver.requests == []
    assert json.dumps(sub.events) == '["offer.created"]'


def test_a_costly_batch_is_not_built_when_no_subscription_wants_it(clunisois, receiver):
    assert not events.wanted("match.proposed")
    Subscription.objects.create(territory=clunisois, url=receiver.url, events=["match.proposed"], secret="whsec_AAAA")
    assert events.wanted("match.proposed") and not events.wanted("offer.created")


def test_a_body_that_is_not_an_object_is_a_400(partner):
    response = partner.post("/api/v1/webhooks/", [1, 2], format="json")
    # The shared JSON parser (miam) refuses it before the view, in the one error shape.
    assert response.status_code == 400
    assert response.json()["message"] == "Le corps de la requête doit être un objet JSON ({…})."


def test_the_daily_expiry_emits_one_expired_event_per_listing_like_a_single_change(clunisois, receiver):
    from offers.models import Offer
    from offers.services import listings
    from tests.factories import NeedFactory, OfferFactory

    sub = Subscription.objects.create(
        territory=clunisois, url=receiver.url, events=["offer.expired", "need.expired"], secret="whsec_" + "A" * 32
    )
    farm, structure = FarmFactory(), StructureFactory()
    past = [
        OfferFactory(
            organization=farm, window_start=TODAY - dt.timedelta(days=9), window_end=TODAY - dt.timedelta(days=2)
        )
        for _ in range(2)
    ]
    OfferFactory(organization=farm)  # still open: no event
    need = NeedFactory(
        organization=structure, window_start=TODAY - dt.timedelta(days=9), window_end=TODAY - dt.timedelta(days=1)
    )
    assert listings.listings_expire(today=TODAY) == {"offers": 2, "needs": 1}
    sent = sorted((d.event.type, d.event.payload["data"]["id"]) for d in Delivery.objects.filter(subscription=sub))
    assert sent == sorted([("need.expired", need.pk), *(("offer.expired", o.pk) for o in past)])
    payload = Delivery.objects.filter(event__type="offer.expired").first().event.payload["data"]
    assert payload["status"] == "expired" and payload["url"] == f"/api/v1/offers/{payload['id']}/"
    assert Offer.objects.filter(status="expired").count() == 2
    assert listings.listings_expire(today=TODAY) == {"offers": 0, "needs": 0}  # idempotent: no second event
    assert Delivery.objects.filter(subscription=sub).count() == 3


# --- The apps built later: season agreements and rounds -----------------------------------

AGREEMENT_EVENTS = [f"agreement.{a}" for a in ("created", "proposed", "signed", "activated", "ended")]
ROUND_EVENTS = [f"round.{a}" for a in ("planned", "updated", "claimed", "released", "cancelled")]


def test_a_territory_hears_of_its_agreements_and_rounds_once_each_signed(
    clunisois, partner, receiver, allow_local, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(partner, receiver, [*AGREEMENT_EVENTS, *ROUND_EVENTS])
        w = world()  # a farm and a structure of the Clunisois
        agreement = active(w)
        svc.agreement_end(by=w.farmer, agreement=agreement, on=BEFORE_START, today=BEFORE_START)

        tuesday, owner = next_tuesday(), logistics_org()
        truck = vehicle(owner, days=(1,), capacity=1000)
        officer, driver = make_officer(clunisois), make_member(owner, role="member")
        matches = three_matches(tuesday)
        made = rounds.round_create(by=officer, territory=clunisois, day=tuesday, vehicle=truck, matches=matches)
        made = rounds.round_update(by=officer, round_=made, day=tuesday, vehicle=truck, matches=matches[:2])
        made = rounds.round_claim(round_=made, by=driver)
        made = rounds.round_release(round_=made, by=driver)
        rounds.round_cancel(by=officer, round_=made)

    bodies = verified(receiver, sub["secret"])
    seen = Counter(b["type"] for b in bodies)
    assert seen == Counter(
        {**dict.fromkeys(AGREEMENT_EVENTS, 1), "agreement.signed": 2, **dict.fromkeys(ROUND_EVENTS, 1)}
    )
    ended = next(b["data"] for b in bodies if b["type"] == "agreement.ended")
    assert ended == {
        "id": agreement.pk,
        "kind": "agreement",
        "action": "ended",
        "status": "ended",
        "organization_ids": [w.farm.pk, w.structure.pk],
        "url": f"/api/v1/agreements/{agreement.pk}/",
    }
    planned = next(b["data"] for b in bodies if b["type"] == "round.planned")
    stops = {m.offer.organization_id for m in matches} | {m.need.organization_id for m in matches}
    assert planned == {
        "id": made.pk,
        "kind": "round",
        "action": "planned",
        "status": "planned",
        "day": tuesday.isoformat(),
        "territory_id": clunisois.pk,
        "organization_ids": sorted({owner.pk, *stops}),
        "url": f"/api/v1/rounds/{made.pk}/",
    }
    assert [b["data"]["status"] for b in bodies if b["type"].startswith("round.")] == [
        "planned",
        "planned",
        "claimed",
        "planned",
        "cancelled",
    ]


def test_planning_a_day_again_announces_the_rounds_it_replaces(
    clunisois, partner, receiver, allow_local, django_capture_on_commit_callbacks
):
    tuesday = next_tuesday()
    three_matches(tuesday)
    vehicle(logistics_org(), days=(1,))
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(partner, receiver, ["round.planned", "round.deleted"])
        rounds.round_plan_request(by=make_officer(clunisois), territory=clunisois, day=tuesday)
    with django_capture_on_commit_callbacks(execute=True):
        rounds.round_plan_request(by=make_officer(clunisois), territory=clunisois, day=tuesday)
    sent = [(b["type"], b["data"]["id"], b["data"]["status"]) for b in verified(receiver, sub["secret"])]
    (first_type, first, _), deleted, (again_type, second, _) = sent
    assert first_type == again_type == "round.planned" and second != first
    assert deleted == ("round.deleted", first, "deleted")


def test_a_structure_hears_of_its_own_agreement_and_not_of_others(
    clunisois, receiver, allow_local, django_capture_on_commit_callbacks
):
    w = world()
    _key, raw = actor_services.apikey_create(by=w.volunteer, name="App", organization=w.structure, can_write=True)
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscribe(key_client(raw), receiver, ["agreement.created"])
        mine = active(w)
        other = world()
        active(other)
    assert [b["data"]["id"] for b in verified(receiver, sub["secret"])] == [mine.pk]


@pytest.mark.parametrize("name", [*AGREEMENT_EVENTS, *ROUND_EVENTS, "round.deleted", "agreement.occurrence_changed"])
def test_the_new_event_types_are_listed(partner, name):
    assert name in [e["name"] for e in partner.get("/api/v1/webhooks/events/").json()]
