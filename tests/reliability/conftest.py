"""Faults on the real services: Redis made unreachable for this process (the cache and the
broker pointed at a port where nothing listens; the shared Redis server is never stopped or
flushed, only this run's own database index), real Celery workers killed with SIGKILL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from miam.celery import app

BASE_DIR = Path(django_settings.BASE_DIR)
#: Nothing listens there: what an application sees of a Redis that is down.
UNREACHABLE_REDIS = "redis://127.0.0.1:6399/5"


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _reset_celery_connections() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable():
    """Celery's broker (and result store) pointed at a port where nothing listens."""
    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    app.conf.broker_url = app.conf.result_backend = UNREACHABLE_REDIS
    app.conf.task_always_eager = False
    _reset_celery_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
        _reset_celery_connections()


@contextlib.contextmanager
def redis_unreachable():
    """The cache and the broker both pointed at a Redis that does not answer."""
    cache = {**django_settings.CACHES["default"], "LOCATION": UNREACHABLE_REDIS}
    with override_settings(CACHES={"default": cache}), broker_unreachable():
        yield


def worker_database_url() -> str:
    db = django_settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """``celery -A miam worker --pool=solo`` on the pytest test database and this run's Redis DB,
    with a visibility timeout of a few seconds (a killed worker's task comes back quickly)."""

    def __init__(self, tmp_path: Path, *, beat: bool = False, **extra_env):
        self.env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
            ),
            **extra_env,
        }
        self.beat = beat
        self.log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        name = f"reliability-{uuid.uuid4().hex[:8]}@%h"
        args = [sys.executable, "-m", "celery", "-A", "miam", "worker", "--pool=solo", "-n", name]
        args += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            args += ["--beat", "--schedule", str(self.log.with_suffix(".beat"))]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                args, cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(lambda: "ready." in self.log.read_text() or self.process.poll() is not None, 60, "worker ready")
        assert self.process.poll() is None, self.log.read_text()
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture
def cluny(transactional_db, settings):
    """Cluny and its PAT and the categories, committed for the worker; this run's Redis DB empty
    (only its own index: the server and the other databases are left alone)."""
    import redis

    from actors.models import Commune, Departement, Region, Territory
    from products.models import ProductCategory
    from products.taxonomy import taxonomy_load

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    settings.MATCHING_DEBOUNCE_SECONDS = 1
    if not ProductCategory.objects.exists():
        taxonomy_load(ProductCategory)
    region = Region.objects.get_or_create(code="27", defaults={"name": "Bourgogne-Franche-Comté"})[0]
    dep = Departement.objects.get_or_create(code="71", defaults={"name": "Saône-et-Loire", "region": region})[0]
    commune = Commune.objects.get_or_create(
        insee_code="71137",
        defaults={"name": "Cluny", "latitude": 46.434, "longitude": 4.659, "departement": dep, "population": 4500},
    )[0]
    territory = Territory.objects.create(name="PAT du Clunisois (test)", slug=f"pat-{uuid.uuid4().hex[:6]}")
    territory.communes.set([commune])
    return territory
