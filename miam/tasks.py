"""Celery jobs of the infrastructure: the outbox (``miam.dispatch``), the outgoing e-mails (``miam.mail``), the worker heartbeat, the tombstones (``miam.sync``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from miam import dispatch, health, mail, sync


@shared_task(ignore_result=True)
def outbox_send() -> int:
    """Send the tasks the broker refused or that no commit sent (every 30 s)."""
    return dispatch.send_pending()


@shared_task(ignore_result=True)
def outbox_prune() -> int:
    """Forget the tasks sent more than a week ago (daily)."""
    return dispatch.prune(older_than=dt.timedelta(days=7))


@shared_task(ignore_result=True)
def emails_prune() -> int:
    """Delete the e-mails sent or given up more than ``OUTGOING_EMAIL_KEEP_DAYS`` ago (daily, RGPD)."""
    return mail.emails_prune()


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat(self) -> str:
    """A worker is alive: its time, for the readiness check (every 30 s)."""
    return health.heartbeat_record(worker=self.request.hostname or "").worker


@shared_task(ignore_result=True)
def tombstones_prune() -> int:
    """Forget the tombstones older than ``TOMBSTONE_KEEP_DAYS`` (daily)."""
    from django.conf import settings

    return sync.tombstones_prune(keep_days=settings.TOMBSTONE_KEEP_DAYS)


@shared_task(ignore_result=True)
def sessions_clear() -> None:
    """Delete the expired sessions (Django's ``clearsessions``; daily): nobody else removes them."""
    from django.core.management import call_command

    call_command("clearsessions")
