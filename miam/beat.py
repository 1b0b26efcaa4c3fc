"""Periodic jobs run by Celery beat (``celery -A miam beat``): one entry per job, named
``<app>-<job>`` when created; each job lives in its app's ``tasks.py`` and is named
``<thing>_<verb>``."""

from celery.schedules import crontab

#: How often a worker says it is alive (``miam.health``; readiness reads it).
HEARTBEAT_EVERY_SECONDS = 30.0
#: How often beat sends again the outbox messages the broker refused (``miam.dispatch``).
OUTBOX_SEND_EVERY_SECONDS = 30.0

BEAT_SCHEDULE: dict = {
    "miam-outbox-send": {
        "task": "miam.tasks.outbox_send",
        "schedule": OUTBOX_SEND_EVERY_SECONDS,
        "options": {"expires": OUTBOX_SEND_EVERY_SECONDS - 5},
    },
    "miam-worker-heartbeat": {
        "task": "miam.tasks.worker_heartbeat",
        "schedule": HEARTBEAT_EVERY_SECONDS,
        "options": {"expires": HEARTBEAT_EVERY_SECONDS - 5},
    },
    "miam-outbox-prune": {"task": "miam.tasks.outbox_prune", "schedule": crontab(hour=3, minute=30)},
    "miam-emails-prune": {"task": "miam.tasks.emails_prune", "schedule": crontab(hour=3, minute=35)},
    "miam-tombstones-prune": {"task": "miam.tasks.tombstones_prune", "schedule": crontab(hour=3, minute=40)},
    "miam-sessions-clear": {"task": "miam.tasks.sessions_clear", "schedule": crontab(hour=3, minute=45)},
    # Entry names stay when a job moves or is renamed: beat's stored last runs follow them.
    "offers-notifications-digest": {
        "task": "actors.tasks.notifications_send_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "actors-notifications-email-retry": {
        "task": "actors.tasks.notifications_email_retry",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    "meetings-reminders": {"task": "meetings.tasks.meetings_remind", "schedule": crontab(minute=10)},
    "meetings-overdue-actions": {
        "task": "meetings.tasks.actions_remind_overdue",
        "schedule": crontab(hour=8, minute=30),
    },
    "offers-listings-expire": {"task": "offers.tasks.listings_expire", "schedule": crontab(hour=0, minute=30)},
    "offers-matches-expire": {"task": "offers.tasks.matches_expire", "schedule": crontab(hour=1, minute=0)},
    "offers-matching-nightly": {"task": "offers.tasks.territories_recompute", "schedule": crontab(hour=2, minute=0)},
    "offers-matching-reap": {
        "task": "offers.tasks.matching_runs_reap",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    "offers-matches-remind": {"task": "offers.tasks.matches_remind", "schedule": crontab(hour=9, minute=0)},
    "agreements-occurrences-remind": {
        "task": "agreements.tasks.occurrences_remind",
        "schedule": crontab(hour=9, minute=15),
    },
    "logistics-rounds-remind": {"task": "logistics.tasks.rounds_remind", "schedule": crontab(hour=17, minute=0)},
    "logistics-rounds-unassigned": {"task": "logistics.tasks.rounds_alert_unassigned", "schedule": crontab(minute=20)},
}

__all__ = ["BEAT_SCHEDULE", "HEARTBEAT_EVERY_SECONDS", "OUTBOX_SEND_EVERY_SECONDS", "crontab"]
