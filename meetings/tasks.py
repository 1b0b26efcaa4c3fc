"""Celery jobs of the meetings app: thin, they only call a service."""

from celery import shared_task
from django.db import OperationalError

from meetings import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_meeting_reminders() -> int:
    """Registrants hear about a meeting two days before (once)."""
    return services.meetings_send_reminders()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def remind_overdue_actions() -> int:
    """Owners of overdue follow-up actions are reminded (never twice the same day)."""
    return services.actions_remind_overdue()
