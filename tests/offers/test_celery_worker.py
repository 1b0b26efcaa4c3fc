"""With a real Celery worker and Redis: saving an offer triggers a run that proposes; a
worker killed in the middle of a run, then restarted, completes it with no duplicate and
no lost match (acks_late + a short Redis visibility timeout redeliver the task)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from actors.models import Commune, Departement, Region, Territory
from miam.celery import app
from offers.inputs import offer_data
from offers.models import Match, MatchingRun
from offers.services import listings
from offers.services.runs import STAGE_DELAY_ENV, _enqueue_run, matching_run
from tests.factories import FarmFactory, make_member, matching_need, matching_offer

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
BASE_DIR = Path(django_settings.BASE_DIR)
RS = MatchingRun.RunStatus


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Worker:
    """``celery -A miam worker --pool=solo`` on the pytest test database and our Redis DB."""

    def __init__(self, tmp_path: Path, **extra_env):
        db = django_settings.DATABASES["default"]
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
            ),
            **extra_env,
        }
        self.log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        name = f"h-matching-test-{uuid.uuid4().hex[:8]}@%h"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "miam", "worker", "--pool=solo", "-n", name]
                + ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: "ready." in self.log.read_text() or self.process.poll() is not None, 30, "worker ready")
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
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def world(transactional_db, settings):
    """Just enough geography (Cluny and its PAT) and the categories, committed for the worker."""
    import redis

    from products.models import ProductCategory
    from products.taxonomy import taxonomy_load

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    app.conf.task_always_eager = False
    settings.MATCHING_DEBOUNCE_SECONDS = 1
    taxonomy_load(ProductCategory)
    region = Region.objects.get_or_create(code="27", defaults={"name": "Bourgogne-Franche-Comté"})[0]
    dep = Departement.objects.get_or_create(code="71", defaults={"name": "Saône-et-Loire", "region": region})[0]
    cluny = Commune.objects.get_or_create(
        insee_code="71137",
        defaults={"name": "Cluny", "latitude": 46.434, "longitude": 4.659, "departement": dep, "population": 4500},
    )[0]
    territory = Territory.objects.create(name="PAT du Clunisois (test)", slug=f"pat-{uuid.uuid4().hex[:6]}")
    territory.communes.set([cluny])
    workers: list[Worker] = []
    yield territory, workers
    for worker in workers:
        worker.stop()


def test_saving_an_offer_triggers_a_run_in_the_worker_that_produces_the_proposal(world, tmp_path):
    territory, workers = world
    workers.append(Worker(tmp_path).start())
    need = matching_need(quantity=30)
    farm = FarmFactory()
    offer = listings.offer_create(
        by=make_member(farm),
        organization=farm,
        data=offer_data(
            {
                "category": "potatoes",
                "product_name": "Pommes de terre",
                "quantity": Decimal(80),
                "unit": "kg",
                "window_start": timezone.localdate(),
                "window_end": timezone.localdate() + dt.timedelta(days=7),
                "pricing": "donation",
                "logistics": ["delivery"],
                "delivery_radius_km": Decimal(15),
            }
        ),
    )
    run = wait_for(
        lambda: MatchingRun.objects.filter(territory=territory, status=RS.SUCCESS).first(), 30, "a successful run"
    )
    assert run.trigger == "change"
    match = Match.objects.get()
    assert (match.offer_id, match.need_id, match.quantity) == (offer.pk, need.pk, Decimal(30))
    assert match.run_id == run.pk


def test_a_worker_killed_in_the_middle_of_a_run_is_replaced_and_the_run_completes_once(world, tmp_path):
    territory, workers = world
    for quantity in (20, 35, 50, 65):
        matching_offer(quantity=quantity)
        matching_need(quantity=quantity - 5)
    slow = Worker(tmp_path, **{STAGE_DELAY_ENV: "2"}).start()
    workers.append(slow)
    run = MatchingRun.objects.create(territory=territory, trigger="nightly")
    _enqueue_run(run, countdown=0)

    # Kill it while it holds the write transaction open (proposals written, not committed).
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, stage="write").exists(), 30, "the write stage")
    time.sleep(1)
    slow.kill()
    run.refresh_from_db()
    assert run.status == RS.RUNNING
    wait_for(lambda: not Match.objects.exists(), 10, "the killed transaction to roll back")

    workers.append(Worker(tmp_path).start())
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, status=RS.SUCCESS).exists(), 40, "the redelivered run")
    run.refresh_from_db()
    assert MatchingRun.objects.filter(territory=territory).count() == 1
    proposals = list(Match.objects.values_list("offer_id", "need_id"))
    assert len(proposals) == len(set(proposals)) == run.counts["proposals"] >= 4
    # Nothing lost, nothing extra: computing again here changes nothing.
    check = matching_run(territory_id=territory.pk, trigger="manual")
    assert (check.counts["created"], check.counts["updated"], check.counts["withdrawn"]) == (0, 0, 0)
    assert check.counts["unchanged"] == len(proposals)
