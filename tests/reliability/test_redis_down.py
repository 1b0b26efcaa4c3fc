"""Redis unreachable (cache, rate limits and broker at a port where nothing listens): pages,
the API and saves work; the saves' jobs wait in the outbox and run once Redis is back."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from actors import services as actor_services
from miam.dispatch import send_pending
from miam.models import OutboxMessage
from offers.models import Match, MatchingRun, Need, Offer
from tests.factories import FarmFactory, StructureFactory, category, make_member, make_officer, matching_need
from tests.reliability.conftest import Worker, redis_unreachable, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
TODAY = timezone.localdate()


def offer_form(farm) -> dict:
    return {
        "organization": farm.pk,
        "category": category("potatoes").pk,
        "product_name": "Pommes de terre",
        "quantity": "80",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=7)).isoformat(),
        "pricing": "donation",
        "logistics": ["delivery"],
        "delivery_radius_km": "15",
        "recurrence": "once",
    }


def need_payload(structure) -> dict:
    return {
        "organization": structure.pk,
        "title": "Légumes pour l'épicerie",
        "categories": ["vegetables"],
        "quantity": "40",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=10)).isoformat(),
        "accepted_pricing": "donation_only",
    }


def test_with_redis_down_pages_api_and_saves_work_and_the_jobs_run_once_it_is_back(
    cluny, client, workers, tmp_path, caplog
):
    need = matching_need(quantity=30)
    farm = FarmFactory()
    farmer = make_member(farm)
    structure = StructureFactory()
    _key, raw = actor_services.apikey_create(by=make_officer(cluny), name="Plateforme", territory=cluny, can_write=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    with caplog.at_level(logging.WARNING), redis_unreachable():
        # Visitors' pages and cached public reads.
        for url in ("/", reverse("offers:map"), "/api/v1/offers/", "/api/v1/offers/", "/api/v1/geo/offers/"):
            assert client.get(url).status_code == 200, url
        # A farmer's save through the page, a partner's through the API (rate limited by key).
        client.force_login(farmer)
        response = client.post(reverse("offers:offer_create"), offer_form(farm))
        assert response.status_code == 302, response.content.decode()[:2000]
        assert api.get("/api/v1/offers/").status_code == 200
        response = api.post("/api/v1/needs/", need_payload(structure), format="json")
        assert response.status_code == 201, response.content
        assert client.get(reverse("offers:my_offers")).status_code == 200

    assert "cache: Redis unreachable" in caplog.text
    assert "not sent, will retry" in caplog.text
    offer = Offer.objects.get(organization=farm)
    assert Need.objects.filter(organization=structure).exists()
    # The saves' follow-up job is kept, not lost: one debounced run waiting for the broker.
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.count() == 1 and waiting.get().task == "offers.tasks.matching_recompute"
    assert "Connection refused" in waiting.get().last_error
    run = MatchingRun.objects.get(territory=cluny)
    assert run.status == MatchingRun.RunStatus.PENDING
    assert not Match.objects.exists()

    # Redis is back: the beat job sends what waited, a worker runs it.
    workers.append(Worker(tmp_path).start())
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=1))
    assert send_pending() == 1
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, status="success").exists(), 60, "the run once Redis is back")
    api_need = Need.objects.get(organization=structure)
    assert sorted(Match.objects.filter(offer=offer).values_list("need_id", flat=True)) == [need.pk, api_need.pk]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_rate_limits_still_count_in_the_process_while_redis_is_down(db, monkeypatch):
    """The local fallback keeps counting: a flood from one address is still refused."""
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    api = APIClient()
    with redis_unreachable():
        statuses = [api.get("/api/v1/offers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_health_of_the_process_stays_up_while_redis_is_down(db, client):
    with redis_unreachable():
        assert client.get("/healthz").status_code == 200
