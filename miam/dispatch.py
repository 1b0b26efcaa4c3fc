"""The one seam between services and the queue: a transactional outbox.

A service asks for background work by task name, never by importing a tasks module (tasks
sit above services)::

    dispatch("offers.tasks.matching_recompute", kwargs={"territory_id": 3, "run_id": 8}, countdown=20)

``dispatch`` writes an ``OutboxMessage`` in the caller's transaction, so the message exists
exactly when the change that asked for it does; once that transaction commits the message is
sent to the broker and marked sent. A broker that refuses it (Redis down, say) is logged as a
warning and never breaks the request: the message stays unsent and ``outbox_send``, a beat
job every ``OUTBOX_SEND_EVERY_SECONDS``, sends it again. A message may so be sent twice
(at least once, never lost): tasks are idempotent.

While the broker is away, a process that failed to reach it leaves the next messages for the
beat job for ``BROKER_RETRY_SECONDS`` instead of trying again at each save: an outage costs
a save one refused connection at most, never a hang (tasks are sent with one quick retry,
and without asking the result store, which would wait 20 s for a Redis that is gone).

Without a broker (no ``REDIS_URL``, Celery eager) the task runs in the process right after
the commit, as it always did; a failure there is logged, the request goes on.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from miam.models import OutboxMessage

logger = logging.getLogger(__name__)

#: A message younger than this is left to the sender of its own commit.
GRACE = dt.timedelta(seconds=10)
#: After the broker refused a message, this process leaves the next ones to the beat job this long.
BROKER_RETRY_SECONDS = 5.0
#: Publishing waits for the broker this little: the outbox does the real retrying.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class _BrokerState:
    """Shared by the process's threads: one refusal is enough to know."""

    down_until = 0.0


_broker = _BrokerState()


def broker_state_reset() -> None:
    """Forget a past refusal (tests, and a process told the broker is back)."""
    _broker.down_until = 0.0


def broker_recently_down() -> bool:
    """Whether this process failed to reach the broker less than ``BROKER_RETRY_SECONDS`` ago."""
    return time.monotonic() < _broker.down_until


def new_task_id() -> str:
    return uuid.uuid4().hex


def dispatch(task: str, *, kwargs: dict | None = None, countdown: float | None = None, task_id: str = "") -> str:
    """Hand ``task`` to the queue once the current transaction commits (at once outside one).

    ``countdown``: seconds to wait before it runs, counted from the commit (from the message's
    creation when the beat job sends it late). Returns the task id, known before anything is
    sent (a caller may record it with its own rows)."""
    message = OutboxMessage.objects.create(
        task=task, kwargs=kwargs or {}, countdown=countdown, task_id=task_id or new_task_id()
    )
    transaction.on_commit(lambda: send(message.pk), robust=True)
    return message.task_id


def runs_inline() -> bool:
    """Whether tasks run in this process (no broker: Celery eager, the embedded default)."""
    from miam.celery import app

    return bool(app.conf.task_always_eager)


def send(message_id: int, *, late: bool = False) -> bool:
    """Send one unsent message; True when the broker took it (or the eager run happened).
    ``late``: sent by the beat job, not right after its commit."""
    from miam.celery import app

    eager = bool(app.conf.task_always_eager)
    with transaction.atomic():
        # Locked, so that the beat job skips a message being sent right now.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        if not eager:
            if not late and broker_recently_down():
                return False  # the beat job sends it once the broker is back
            return _publish(app, message, countdown=_countdown(message, late=late))
        # Eager: marked sent first, then run outside this transaction (the task writes).
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    _run_here(app, message)
    return True


def _countdown(message: OutboxMessage, *, late: bool) -> float | None:
    """The message's countdown; what is left of it when it is sent late."""
    if message.countdown is None or not late:
        return message.countdown
    waited = (timezone.now() - message.created_at).total_seconds()
    return max(0.0, message.countdown - waited)


def _publish(app, message: OutboxMessage, *, countdown: float | None) -> bool:
    try:
        app.send_task(
            message.task,
            kwargs=message.kwargs,
            countdown=countdown,
            task_id=message.task_id,
            ignore_result=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as error:  # noqa: BLE001 - whatever the broker says, the request goes on
        _broker.down_until = time.monotonic() + BROKER_RETRY_SECONDS
        logger.warning("task %s (%s) not sent, will retry: %s", message.task, message.task_id, error)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        return False
    _broker.down_until = 0.0
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    return True


def _run_here(app, message: OutboxMessage) -> None:
    try:
        if message.task not in app.tasks:  # its module not imported yet: "offers.tasks.x" → offers.tasks
            importlib.import_module(message.task.rpartition(".")[0])
        app.tasks[message.task].apply_async(kwargs=message.kwargs, task_id=message.task_id)
    except Exception as error:  # noqa: BLE001 - as a worker would, log the failure and go on
        logger.exception("task %s (%s) failed", message.task, message.task_id)
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=f"{type(error).__name__}: {error}"[:2000])


def prune(*, older_than: dt.timedelta) -> int:
    """Forget the messages sent more than ``older_than`` ago."""
    deleted, _by_model = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


def send_pending(*, limit: int = 500) -> int:
    """Send what is still unsent (the broker was away, or the process died after its commit).

    Oldest first, leaving alone the messages younger than ``GRACE`` (their own commit is
    sending them). Returns how many the broker took."""
    cutoff = timezone.now() - GRACE
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).order_by("created_at", "id")
    sent = 0
    for message_id in pending.values_list("pk", flat=True)[:limit]:
        sent += send(message_id, late=True)
    return sent
