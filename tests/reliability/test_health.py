"""Health tells the truth: liveness reads nothing; readiness probes each dependency (database,
Redis behind the cache, broker, a worker's heartbeat) and answers 503 when one fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

import miam.tasks  # noqa: F401  (registers the jobs)
from miam.beat import BEAT_SCHEDULE
from miam.celery import app
from miam.health import heartbeat_record
from miam.models import Heartbeat
from tests.reliability.conftest import Worker, redis_unreachable, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def with_broker():
    """Celery as in production: tasks go to the broker (conftest makes them eager)."""
    app.conf.task_always_eager = False
    yield


def ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_liveness_reads_no_dependency(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_when_every_dependency_answers_and_a_real_worker_beats(
    transactional_db, client, with_broker, workers, tmp_path
):
    workers.append(Worker(tmp_path).start())
    status, body = ready(client)
    assert status == 503 and body["checks"]["worker"]["detail"].startswith("Unavailable: no heartbeat yet")

    app.send_task("miam.tasks.worker_heartbeat", ignore_result=True)  # what beat sends every 30 s
    beat = wait_for(lambda: Heartbeat.objects.first(), 30, "the worker's heartbeat")
    assert beat.worker.startswith("reliability-")
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "broker": True,
        "worker": True,
    }
    assert body["checks"]["database"]["detail"] == "postgresql" and body["checks"]["cache"]["detail"] == "redis"


def test_a_stale_heartbeat_makes_readiness_fail(transactional_db, client, with_broker, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS = 120
    heartbeat_record(worker="celery@gone")
    Heartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=5))
    status, body = ready(client)
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["worker"] == {**body["checks"]["worker"], "ok": False}
    assert "last heartbeat 300 s ago (celery@gone)" in body["checks"]["worker"]["detail"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_with_redis_down_readiness_names_the_cache_and_the_broker(transactional_db, client, with_broker):
    heartbeat_record(worker="celery@here")
    with redis_unreachable():
        status, body = ready(client)
        assert client.get("/healthz").status_code == 200  # the process itself is fine
    assert status == 503
    failing = {name for name, check in body["checks"].items() if not check["ok"]}
    assert failing == {"cache", "broker"}
    assert "Connection refused" in body["checks"]["cache"]["detail"]
    assert "Connection refused" in body["checks"]["broker"]["detail"]


def test_without_a_broker_readiness_is_the_database_and_the_cache(db, client):
    assert app.conf.task_always_eager  # the embedded default
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["worker"]["detail"].startswith("not used")


def test_beat_asks_a_worker_for_a_heartbeat_every_thirty_seconds():
    entry = BEAT_SCHEDULE["miam-worker-heartbeat"]
    assert entry["task"] == "miam.tasks.worker_heartbeat" and entry["schedule"] == 30.0
    assert entry["task"] in app.tasks
