"""The broker unreachable when a change is saved: the save commits, its job waits in the outbox
(PostgreSQL) and beat's ``outbox_send`` hands it to the broker once it is back."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.utils import timezone

from miam.models import OutboxMessage
from offers.inputs import offer_data
from offers.models import Match, MatchingRun
from offers.services import listings
from tests.factories import FarmFactory, make_member, matching_need
from tests.reliability.conftest import Worker, broker_unreachable, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_a_save_with_the_broker_down_keeps_its_job_and_beat_sends_it_later(cluny, workers, tmp_path, caplog):
    need = matching_need(quantity=30)
    farm = FarmFactory()
    with caplog.at_level(logging.WARNING), broker_unreachable():
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
                    "logistics": ["delivery"],
                    "delivery_radius_km": Decimal(15),
                }
            ),
        )
    assert caplog.text.count("not sent, will retry") == 1
    assert "Redis unreachable" not in caplog.text  # only the broker was away
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and "Connection refused" in message.last_error
    run = MatchingRun.objects.get(territory=cluny)
    assert run.status == MatchingRun.RunStatus.PENDING

    # The broker is back: a worker with beat; outbox_send (every 30 s) sends the job, it runs.
    workers.append(Worker(tmp_path, beat=True).start())
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, status="success").exists(), 90, "beat to send the job")
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert Match.objects.get().offer_id == offer.pk and Match.objects.get().need_id == need.pk
