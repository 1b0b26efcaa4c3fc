"""With a real Celery worker and Redis: saving an offer triggers a run that proposes; a
worker killed in the middle of a run, then restarted, completes it with no duplicate and
no lost match (acks_late + a short Redis visibility timeout redeliver the task)."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import Commune, Departement, Region, Territory
from miam.celery import app
from offers.inputs import offer_data
from offers.models import Match, MatchingRun
from offers.services import listings
from offers.services.runs import STAGE_DELAY_ENV, _enqueue_run, matching_run
from tests.factories import FarmFactory, make_member, matching_need, matching_offer
from tests.reliability.conftest import Worker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
RS = MatchingRun.RunStatus


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
