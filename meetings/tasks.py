"""Celery jobs of the meetings app: thin, they only call a service."""

from celery import shared_task
from django.db import OperationalError

from meetings.services import actions as action_services
from meetings.services import meetings as meeting_services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True}


@shared_task(**RETRY)
def meetings_remind() -> int:
    """Registrants hear about a meeting two days before (once)."""
    return meeting_services.meetings_send_reminders()


@shared_task(**RETRY)
def actions_remind_overdue() -> int:
    """Owners of overdue follow-up actions are reminded (never twice the same day)."""
    return action_services.actions_remind_overdue()


# The jobs' former names, for messages queued before they were renamed (drop after a release).
shared_task(name="meetings.tasks.send_meeting_reminders", **RETRY)(meetings_remind.run)
shared_task(name="meetings.tasks.remind_overdue_actions", **RETRY)(actions_remind_overdue.run)
