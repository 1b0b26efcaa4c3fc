"""Celery jobs of the infrastructure: the outbox (``miam.dispatch``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from miam import dispatch


@shared_task(ignore_result=True)
def outbox_send() -> int:
    """Send the tasks the broker refused or that no commit sent (every 30 s)."""
    return dispatch.send_pending()


@shared_task(ignore_result=True)
def outbox_prune() -> int:
    """Forget the tasks sent more than a week ago (daily)."""
    return dispatch.prune(older_than=dt.timedelta(days=7))


@shared_task(ignore_result=True)
def sessions_clear() -> None:
    """Delete the expired sessions (Django's ``clearsessions``; daily): nobody else removes them."""
    from django.core.management import call_command

    call_command("clearsessions")
