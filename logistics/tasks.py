"""Celery jobs of logistics: thin, idempotent, acknowledged late; each calls a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from logistics.services import gleaning, rounds

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 6},
}


@shared_task(**RETRY)
def rounds_plan(plan_id: int) -> int:
    """Plan the rounds of a day (``RoundPlan``)."""
    return rounds.round_plan_run(plan_id=plan_id).pk


@shared_task(**RETRY)
def gleaning_alert(day_id: int) -> int:
    """Tell every structure in reach with volunteers of a posted gleaning day."""
    return gleaning.gleaning_alert(day_id=day_id)


@shared_task(**RETRY)
def rounds_remind() -> int:
    """The day before a round: its driver, farms and structures are reminded of their time."""
    return rounds.rounds_remind_tomorrow(today=timezone.localdate())


@shared_task(**RETRY)
def rounds_alert_unassigned() -> int:
    """A round with no driver 24 h ahead: its territory's officers are alerted."""
    return rounds.rounds_alert_unassigned(now=timezone.now())
