"""Periodic jobs run by Celery beat (``celery -A miam beat``)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Filled by the apps' tasks, one entry per job:
    # "offers-nightly-matching": {"task": "offers.tasks.nightly_matching", "schedule": crontab(hour=2, minute=0)},
}

__all__ = ["BEAT_SCHEDULE", "crontab"]
