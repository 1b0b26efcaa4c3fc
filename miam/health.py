"""Liveness and readiness, with django-health-check's checks and view.

- ``/healthz`` (liveness): the process answers; it reads nothing (a database or Redis outage
  must not get a healthy process restarted).
- ``/readyz`` (readiness): each dependency is probed and reported in JSON, 503 when one fails:
  the database, the Redis behind the cache (not its local fallback: the cache keeps working
  without it, but degraded), the broker, and a worker's heartbeat (a beat job that a worker
  runs every ``miam.beat.HEARTBEAT_EVERY_SECONDS`` and that writes its time; stale after
  ``HEALTH_HEARTBEAT_MAX_AGE_SECONDS``, which says that beat, the broker or every worker is
  gone). Without a broker (Celery eager, the embedded default) the broker and the worker are
  reported as not used.

The checks are ours because the library's run synchronous checks in a thread pool (a database
connection per pool thread, left open) and its cache check would pass on the local fallback;
its view gives the per-check timeouts, the logging and the text format.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import typing
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from miam.models import Heartbeat

HEARTBEAT_NAME = "worker"
NOT_USED = "not used (Celery runs tasks in the web process)"


def _broker_used() -> bool:
    from miam.celery import app

    return not app.conf.task_always_eager


def _failure(error: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable(f"{type(error).__name__}: {error}"[:300])


@dataclasses.dataclass
class _Check(HealthCheck):
    """A check run in the request's own thread (its database connection), with a short name."""

    name: typing.ClassVar[str] = ""
    timeout = dt.timedelta(seconds=5)

    def __repr__(self) -> str:
        return self.name

    async def run(self) -> None:
        self.detail = await sync_to_async(self.probe)()

    def probe(self) -> str:
        raise NotImplementedError


@dataclasses.dataclass
class DatabaseCheck(_Check):
    name: typing.ClassVar[str] = "database"

    def probe(self) -> str:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:  # noqa: BLE001 - any failure is "not ready"
            raise _failure(error) from error
        return connection.vendor


@dataclasses.dataclass
class CacheCheck(_Check):
    name: typing.ClassVar[str] = "cache"

    def probe(self) -> str:
        backend = caches["default"]
        server = getattr(backend, "redis", None)  # miam.cache.FailoverRedisCache: Redis itself
        target = server or backend
        key = f"miam:health:{uuid.uuid4().hex}"
        try:
            target.set(key, "ok", 10)
            value = target.get(key)
            target.delete(key)
        except Exception as error:  # noqa: BLE001
            raise _failure(error) from error
        if value != "ok":
            raise ServiceUnavailable("the cache did not give back what it was given")
        return "redis" if server is not None else type(backend).__name__


@dataclasses.dataclass
class BrokerCheck(_Check):
    name: typing.ClassVar[str] = "broker"

    def probe(self) -> str:
        if not _broker_used():
            return NOT_USED
        from miam.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        except Exception as error:  # noqa: BLE001
            raise _failure(error) from error
        return "redis"


@dataclasses.dataclass
class WorkerCheck(_Check):
    name: typing.ClassVar[str] = "worker"

    def probe(self) -> str:
        if not _broker_used():
            return NOT_USED
        beat = Heartbeat.objects.filter(name=HEARTBEAT_NAME).first()
        if beat is None:
            raise ServiceUnavailable("no heartbeat yet: is a worker and beat running?")
        age = (timezone.now() - beat.beat_at).total_seconds()
        if age > settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS:
            raise ServiceUnavailable(f"last heartbeat {age:.0f} s ago ({beat.worker})")
        return f"last heartbeat {age:.0f} s ago ({beat.worker})"


def heartbeat_record(*, worker: str = "") -> Heartbeat:
    """A worker is alive (the beat job ``worker_heartbeat``)."""
    beat, _created = Heartbeat.objects.update_or_create(
        name=HEARTBEAT_NAME, defaults={"beat_at": timezone.now(), "worker": worker[:200]}
    )
    return beat


class ReadinessView(HealthCheckView):
    """Every dependency in JSON, 503 when one fails (``?format=text`` for a plain list)."""

    checks = (DatabaseCheck, CacheCheck, BrokerCheck, WorkerCheck)

    async def get(self, request, *args, **kwargs):
        self.results = await asyncio.gather(*(check.get_result(None) for check in self.get_checks()))
        status = 503 if any(result.error for result in self.results) else 200
        if request.GET.get("format") == "text":
            return self.render_to_response_text(status)
        return self.render_to_response_json(status)

    def render_to_response_json(self, status):
        checks = {
            result.check.name: {
                "ok": result.error is None,
                "detail": str(result.error) if result.error else getattr(result.check, "detail", ""),
                "seconds": round(result.time_taken, 3),
            }
            for result in self.results
        }
        return JsonResponse({"status": "ok" if status == 200 else "unavailable", "checks": checks}, status=status)


def liveness(request):
    """The process answers: nothing else is read."""
    return JsonResponse({"status": "ok"})
