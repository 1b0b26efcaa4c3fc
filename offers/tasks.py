"""Celery jobs of the offers app: thin, idempotent, acknowledged late, retried with backoff
on a lost database; each calls a service. A job that fails for another reason raises, so
that Celery reports the failure (a failed matching run is recorded on the run first)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from offers.services import listings, matches, runs

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 6},
}


@shared_task(**RETRY)
def matching_recompute(territory_id: int, run_id: int | None = None, trigger: str = "change") -> int:
    """(Re)compute a territory's proposals; a redelivered task finishes or skips its run."""
    return runs.matching_run(territory_id=territory_id, trigger=trigger, run_id=run_id).pk


@shared_task(**RETRY)
def matching_cascade(offer_id: int) -> int | None:
    """Quantity came back to an offer: propose its next best candidates now."""
    run = runs.match_cascade(offer_id=offer_id)
    return run.pk if run else None


@shared_task(**RETRY)
def territories_recompute() -> int:
    """Nightly fan-out: one recompute task per territory, so that several workers share the night."""
    territory_ids = runs.matching_territories_to_run()
    for territory_id in territory_ids:
        runs.matching_schedule(territory_id=territory_id, trigger="nightly", countdown=0)
    return len(territory_ids)


@shared_task(**RETRY)
def matching_runs_reap() -> list[int]:
    """Runs stuck past their deadline (a worker killed) failed and queued again (every minute)."""
    return runs.matching_runs_reap()


@shared_task(**RETRY)
def listings_expire() -> int:
    """Offers and needs past their window expire; proposals on them are withdrawn."""
    today = timezone.localdate()
    counts = listings.listings_expire(today=today)
    matches.matches_expire_stale(today=today)
    return sum(counts.values())


@shared_task(**RETRY)
def matches_expire() -> dict:
    """Stale proposals withdrawn; confirmed matches not collected in time expired (cascade)."""
    today = timezone.localdate()
    return {
        "stale": matches.matches_expire_stale(today=today),
        "uncollected": matches.matches_expire_uncollected(today=today),
    }


@shared_task(**RETRY)
def matches_remind() -> int:
    """Reminders the day before a scheduled delivery."""
    return matches.matches_remind_upcoming(today=timezone.localdate())


# The job's former name, for messages queued before it was renamed (drop after a release).
matching_nightly = shared_task(name="offers.tasks.matching_nightly", **RETRY)(territories_recompute.run)
