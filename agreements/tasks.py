"""Celery jobs of the agreements app: thin and idempotent, each calls a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from agreements.services import agreements

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
}


@shared_task(**RETRY)
def occurrences_remind() -> int:
    """Daily (beat): hand to the outbox the reminder of each delivery coming in a few days."""
    return agreements.occurrences_remind(days_ahead=settings.AGREEMENT_REMINDER_DAYS)


@shared_task(**RETRY)
def occurrence_remind(occurrence_id: int) -> bool:
    """One delivery's reminder to both sides; idempotent (never twice)."""
    return agreements.occurrence_remind_send(occurrence_id=occurrence_id)
