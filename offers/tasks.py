"""Celery tasks: thin, idempotent, acknowledged late, retried with backoff; each calls a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 6},
}


@shared_task(**RETRY)
def matching_recompute(territory_id: int, run_id: int | None = None, trigger: str = "change") -> int | None:
    """(Re)compute a territory's proposals; a redelivered task finishes or skips its run."""
    from offers.services.matches import matching_run

    try:
        return matching_run(territory_id=territory_id, trigger=trigger, run_id=run_id).pk
    except OperationalError:
        raise  # the database went away: retried with backoff
    except Exception:  # recorded on the run as failed; retrying would fail the same way
        logger.exception("matching run %s of territory %s failed", run_id, territory_id)
        return run_id


@shared_task(**RETRY)
def matching_cascade(offer_id: int) -> int | None:
    """Quantity came back to an offer: propose its next best candidates now."""
    from offers.services.matches import match_cascade

    try:
        run = match_cascade(offer_id=offer_id)
    except OperationalError:
        raise
    except Exception:
        logger.exception("cascade of offer %s failed", offer_id)
        return None
    return run.pk if run else None


@shared_task(**RETRY)
def matching_nightly() -> int:
    """Fan out: one recompute task per territory, so that several workers share the night."""
    from offers.services.matches import matching_schedule, matching_territories_to_run

    territory_ids = matching_territories_to_run()
    for territory_id in territory_ids:
        matching_schedule(territory_id=territory_id, trigger="nightly", countdown=0)
    return len(territory_ids)


@shared_task(**RETRY)
def listings_expire() -> int:
    """Offers and needs past their window expire; proposals on them are withdrawn."""
    from offers.services.listings import listings_expire as expire
    from offers.services.matches import matches_expire_stale

    today = timezone.localdate()
    counts = expire(today=today)
    matches_expire_stale(today=today)
    return sum(counts.values())


@shared_task(**RETRY)
def matches_expire() -> dict:
    """Stale proposals withdrawn; confirmed matches not collected in time expired (cascade)."""
    from offers.services.matches import matches_expire_stale, matches_expire_uncollected

    today = timezone.localdate()
    return {"stale": matches_expire_stale(today=today), "uncollected": matches_expire_uncollected(today=today)}


@shared_task(**RETRY)
def matches_remind() -> int:
    """Reminders the day before a scheduled delivery."""
    from offers.services.matches import matches_remind_upcoming

    return matches_remind_upcoming(today=timezone.localdate())


@shared_task(**RETRY)
def notifications_digest() -> int:
    """The daily digest e-mail for people who chose it."""
    from actors.services import notifications_send_digest

    return notifications_send_digest()


__all__ = [
    "listings_expire",
    "matches_expire",
    "matches_remind",
    "matching_cascade",
    "matching_nightly",
    "matching_recompute",
    "notifications_digest",
]
