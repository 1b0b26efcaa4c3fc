"""With a real Celery worker and Redis: an offer created in a committed transaction reaches a
local receiver through the outbox and the worker; a receiver failing twice gets the retries,
with their real (short) back-off."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from interop.models import Attempt, Delivery, Subscription
from interop.services.webhooks import secret_new
from offers.inputs import offer_data
from offers.services import listings
from tests.factories import FarmFactory, make_member
from tests.interop.receiver import Receiver
from tests.offers.test_celery_worker import Worker, wait_for, world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_a_real_worker_delivers_and_retries_with_back_off(world, tmp_path):  # noqa: F811
    territory, workers = world
    workers.append(Worker(tmp_path, WEBHOOKS_ALLOW_PRIVATE_TARGETS="1", WEBHOOK_RETRY_DELAYS="1,2,2").start())
    receiver = Receiver(fail_first=2)
    try:
        secret = secret_new()
        Subscription.objects.create(territory=territory, url=receiver.url, events=["offer.created"], secret=secret)
        farm = FarmFactory()
        offer = listings.offer_create(
            by=make_member(farm),
            organization=farm,
            data=offer_data(
                {
                    "category": "potatoes",
                    "product_name": "Pommes de terre",
                    "quantity": Decimal(80),
                    "unit": "kg",
                    "window_start": timezone.localdate(),
                    "window_end": timezone.localdate() + dt.timedelta(days=7),
                    "pricing": "donation",
                    "logistics": ["pickup"],
                }
            ),
        )
        started = time.monotonic()
        delivery = wait_for(
            lambda: Delivery.objects.filter(status="succeeded").first(), 60, "the delivery to succeed", step=0.3
        )
        assert time.monotonic() - started >= 2.5  # it waited 1 s then 2 s between tries
        assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.event.message_id] * 3
        body = Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
        assert body["type"] == "offer.created" and body["data"]["id"] == offer.pk
        codes = list(Attempt.objects.filter(delivery=delivery).order_by("number").values_list("status_code", flat=True))
        assert codes == [500, 500, 204]
    finally:
        receiver.close()
