"""Celery jobs of the imports app: thin, they only call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from imports import services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}


def _run(batch_id: int, *, commit: bool) -> None:
    try:
        services.batch_process(batch_id=batch_id, commit=commit)
    except OperationalError:
        raise
    except Exception:
        services.batch_fail(batch_id=batch_id, message=_("L'import a échoué ; rien n'a été enregistré."))
        raise


@shared_task(**RETRY)
def batch_check(batch_id: int) -> None:
    """Check every line of a large file (nothing is written)."""
    _run(batch_id, commit=False)


@shared_task(**RETRY)
def batch_import(batch_id: int) -> None:
    """Import every line of a large file, or none."""
    _run(batch_id, commit=True)
