"""Periodic jobs run by Celery beat (``celery -A miam beat``)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Filled by the apps' tasks, one entry per job:
    # "offers-nightly-matching": {"task": "offers.tasks.nightly_matching", "schedule": crontab(hour=2, minute=0)},
    "meetings-reminders": {"task": "meetings.tasks.send_meeting_reminders", "schedule": crontab(minute=10)},
    "meetings-overdue-actions": {
        "task": "meetings.tasks.remind_overdue_actions",
        "schedule": crontab(hour=8, minute=30),
    },
    # offers: matching jobs
    "offers-listings-expire": {"task": "offers.tasks.listings_expire", "schedule": crontab(hour=0, minute=30)},
    "offers-matches-expire": {"task": "offers.tasks.matches_expire", "schedule": crontab(hour=1, minute=0)},
    "offers-matching-nightly": {"task": "offers.tasks.matching_nightly", "schedule": crontab(hour=2, minute=0)},
    "offers-notifications-digest": {"task": "offers.tasks.notifications_digest", "schedule": crontab(hour=7, minute=0)},
    "offers-matches-remind": {"task": "offers.tasks.matches_remind", "schedule": crontab(hour=9, minute=0)},
}

__all__ = ["BEAT_SCHEDULE", "crontab"]
