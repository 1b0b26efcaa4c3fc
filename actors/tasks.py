"""Celery jobs of the actors app: thin, they only call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from actors import services
from miam import mail

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True}


@shared_task(**RETRY)
def notifications_send_digest() -> int:
    """The daily digest e-mail for people who chose it."""
    return services.notifications_send_digest()


@shared_task(**RETRY)
def notifications_email_retry() -> int:
    """E-mails the SMTP server refused, tried again (every minute): the notifications' and
    those of the outgoing-mail outbox (``miam.mail``: invitations, digests, guests…)."""
    return services.notifications_email_retry() + mail.emails_send_due()


# The job's former name, for messages queued before it moved here (drop after a release).
shared_task(name="offers.tasks.notifications_digest", **RETRY)(notifications_send_digest.run)
