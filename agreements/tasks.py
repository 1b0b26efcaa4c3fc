"""Celery jobs of the agreements app: thin and idempotent, each calls a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from agreements.services import agreements

RETRY = {"acks_late": True, "reject_on_worker_lost": True, "retry_backoff": True}


@shared_task(**RETRY)
def occurrences_remind() -> int:
    """Daily: remind both sides of the agreements' deliveries coming in a few days."""
    return agreements.occurrences_remind(days_ahead=settings.AGREEMENT_REMINDER_DAYS)
