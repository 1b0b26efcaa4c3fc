"""Periodic jobs run by Celery beat (``celery -A miam beat``): one entry per job, named
``<app>-<job>`` when created; each job lives in its app's ``tasks.py`` and is named
``<thing>_<verb>``."""

from celery.schedules import crontab

#: How often beat sends again the outbox messages the broker refused (``miam.dispatch``).
OUTBOX_SEND_EVERY_SECONDS = 30.0

BEAT_SCHEDULE: dict = {
    "miam-outbox-send": {
        "task": "miam.tasks.outbox_send",
        "schedule": OUTBOX_SEND_EVERY_SECONDS,
        "options": {"expires": OUTBOX_SEND_EVERY_SECONDS - 5},
    },
    "miam-outbox-prune": {"task": "miam.tasks.outbox_prune", "schedule": crontab(hour=3, minute=30)},
    "miam-sessions-clear": {"task": "miam.tasks.sessions_clear", "schedule": crontab(hour=3, minute=45)},
    # Entry names stay when a job moves or is renamed: beat's stored last runs follow them.
    "offers-notifications-digest": {
        "task": "actors.tasks.notifications_send_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "meetings-reminders": {"task": "meetings.tasks.meetings_remind", "schedule": crontab(minute=10)},
    "meetings-overdue-actions": {
        "task": "meetings.tasks.actions_remind_overdue",
        "schedule": crontab(hour=8, minute=30),
    },
    "offers-listings-expire": {"task": "offers.tasks.listings_expire", "schedule": crontab(hour=0, minute=30)},
    "offers-matches-expire": {"task": "offers.tasks.matches_expire", "schedule": crontab(hour=1, minute=0)},
    "offers-matching-nightly": {"task": "offers.tasks.territories_recompute", "schedule": crontab(hour=2, minute=0)},
    "offers-matches-remind": {"task": "offers.tasks.matches_remind", "schedule": crontab(hour=9, minute=0)},
}

__all__ = ["BEAT_SCHEDULE", "OUTBOX_SEND_EVERY_SECONDS", "crontab"]
