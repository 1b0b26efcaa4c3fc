"""With a real Celery worker and Redis: beat's job hands each delivery's reminder to the outbox,
the worker writes it to both sides once; running the job or the task again sends nothing more."""

from __future__ import annotations

import pytest

from actors.models import Notification
from agreements.models import Occurrence
from agreements.services import agreements as svc
from miam.models import OutboxMessage
from tests.agreements.helpers import D, active
from tests.agreements.helpers import world as agreement_world
from tests.offers.test_celery_worker import Worker, wait_for, world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_a_real_worker_sends_each_reminder_through_the_outbox_once(world, tmp_path):  # noqa: F811
    _territory, workers = world
    workers.append(Worker(tmp_path).start())
    w = agreement_world()
    agreement = active(w)

    assert svc.occurrences_remind(today=D(2026, 10, 4), days_ahead=2) == 1

    wait_for(lambda: Notification.objects.filter(kind="agreement_reminder").count() == 2, 60, "the reminders", step=0.3)
    occurrence = Occurrence.objects.get(agreement=agreement, reminded_at__isnull=False)
    assert occurrence.date == D(2026, 10, 6) and occurrence.reminder_sent_at is not None
    message = OutboxMessage.objects.get(task=svc.REMIND_TASK)
    assert message.kwargs == {"occurrence_id": occurrence.pk}
    # Beat runs again, the broker delivers the task again: still one reminder each.
    assert svc.occurrences_remind(today=D(2026, 10, 4), days_ahead=2) == 0
    assert svc.occurrence_remind_send(occurrence_id=occurrence.pk) is False
    users = sorted(Notification.objects.filter(kind="agreement_reminder").values_list("user_id", flat=True))
    assert users == sorted([w.farmer.pk, w.volunteer.pk])
