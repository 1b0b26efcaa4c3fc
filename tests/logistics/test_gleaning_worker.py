"""With a real Celery worker on Redis: a gleaning day posted for tomorrow alerts, within a
minute, every structure in reach that has volunteers, and no other."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from actors.models import Notification, StructureProfile
from logistics.inputs import gleaning_data
from logistics.models import GleaningDay
from logistics.services import gleaning
from miam.celery import app
from tests.factories import FarmFactory, StructureFactory, make_member, matching_offer
from tests.logistics.helpers import at
from tests.offers.test_celery_worker import Worker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def worker(transactional_geo, tmp_path):
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    app.conf.task_always_eager = False
    running = Worker(tmp_path).start()
    yield running
    running.stop()


def test_a_gleaning_posted_for_tomorrow_alerts_every_structure_in_reach_within_a_minute(worker):
    near = at("71240", StructureFactory)  # Jalogny
    also_near = at("71264", StructureFactory)  # Lournand
    far = at("71076", StructureFactory)  # Chalon-sur-Saône
    without_volunteers = at("71137", StructureFactory)  # Cluny
    StructureProfile.objects.filter(organization__in=[near, also_near, far]).update(gleaning_volunteers=4)
    StructureProfile.objects.filter(organization=without_volunteers).update(gleaning_volunteers=0)
    told = {make_member(near).pk, make_member(also_near).pk}
    make_member(far), make_member(without_volunteers)

    offer = matching_offer(FarmFactory(), logistics=["gleaning"])
    organiser = make_member(offer.organization)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    day = gleaning.gleaning_create(
        by=organiser,
        data=gleaning_data(
            {
                "offer": offer.pk,
                "place": "Champ de la Grange",
                "commune": "71137",
                "date": tomorrow.isoformat(),
                "starts_at": "09:00",
                "ends_at": "12:00",
                "slots": [{"starts_at": "09:00", "ends_at": "12:00", "volunteer_capacity": 10}],
            }
        ),
    )
    gleaning.gleaning_post(by=organiser, day=day)  # committed: the outbox sends the job to Redis

    alerts = Notification.objects.filter(kind="gleaning_posted")
    wait_for(lambda: GleaningDay.objects.filter(pk=day.pk, alerted_at__isnull=False).exists(), 60, "the alert job")
    assert set(alerts.values_list("user_id", flat=True)) == told
    day.refresh_from_db()
    assert (day.alerted_at - day.posted_at) < dt.timedelta(minutes=1)
    assert "Jalogny" not in alerts.first().title and "Cluny" in alerts.first().title
