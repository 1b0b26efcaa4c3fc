"""Celery jobs of interop: thin, each calls a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from interop.services import webhooks


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 6},
)
def webhook_deliver(delivery_id: int) -> str | None:
    """One try of a webhook delivery (the next one, if any, is queued by the service)."""
    delivery = webhooks.delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else None
