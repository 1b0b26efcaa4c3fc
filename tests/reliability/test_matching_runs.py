"""Matching runs under faults: a worker SIGKILLed mid-run, two runs of one territory at once,
a run stuck past its deadline. Never a run left "running", a duplicate pair or a notification
sent twice."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from actors.models import Notification
from miam.celery import app
from miam.locks import lock_key
from miam.models import OutboxMessage
from offers.models import Match, MatchingRun
from offers.services import runs
from offers.services.runs import STAGE_DELAY_ENV, _enqueue_run, matching_run, matching_runs_reap
from tests.factories import FarmFactory, StructureFactory, make_member, matching_need, matching_offer
from tests.reliability.conftest import BASE_DIR, Worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
RS = MatchingRun.RunStatus


def listings_with_people() -> list:
    """Two farms and two structures of Cluny, one person each, offers and needs that match."""
    people = []
    for quantity in (40, 60):
        farm, structure = FarmFactory(), StructureFactory()
        people += [make_member(farm), make_member(structure)]
        matching_offer(farm, quantity=quantity)
        matching_need(structure, quantity=quantity - 10)
    return people


def notifications_per_person() -> dict[int, int]:
    rows = Notification.objects.filter(kind="match_proposed").values("user").annotate(n=Count("id"))
    return {row["user"]: row["n"] for row in rows}


def assert_one_notification_each(people) -> None:
    assert notifications_per_person() == {person.pk: 1 for person in people}


def assert_no_duplicate_pair() -> None:
    pairs = list(Match.objects.values_list("offer_id", "need_id"))
    assert pairs and len(pairs) == len(set(pairs))


@pytest.fixture
def with_broker():
    app.conf.task_always_eager = False  # conftest puts it back
    yield


@pytest.mark.parametrize(
    ("stage", "committed"),
    [("write", False), ("finish", True)],
    ids=["killed-before-the-commit", "killed-after-the-commit"],
)
def test_a_worker_killed_mid_run_comes_back_and_the_run_completes_once(
    cluny, with_broker, workers, tmp_path, stage, committed
):
    people = listings_with_people()
    slow = Worker(tmp_path, **{STAGE_DELAY_ENV: "2"}).start()
    workers.append(slow)
    run = MatchingRun.objects.create(territory=cluny, trigger="nightly")
    _enqueue_run(run, countdown=0)

    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, stage=stage).exists(), 60, f"the {stage} stage")
    if stage == "write":
        time.sleep(1)  # inside the open write transaction (a 2 s pause before its commit)
    slow.kill()
    run.refresh_from_db()
    assert run.status == RS.RUNNING
    if committed:  # proposals and their notifications went together
        assert Match.objects.exists()
        assert_one_notification_each(people)
    else:  # neither
        wait_for(lambda: not Match.objects.exists(), 10, "the killed transaction to roll back")
        assert notifications_per_person() == {}

    workers.append(Worker(tmp_path).start())
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, status=RS.SUCCESS).exists(), 60, "the redelivered run")
    run.refresh_from_db()
    assert MatchingRun.objects.filter(territory=cluny).count() == 1
    assert_no_duplicate_pair()
    assert run.counts["created"] == (0 if committed else Match.objects.count())
    assert_one_notification_each(people)


def test_two_runs_of_one_territory_at_once_only_one_writes_and_notifies(
    cluny, with_broker, workers, tmp_path, monkeypatch
):
    people = listings_with_people()
    monkeypatch.setenv(STAGE_DELAY_ENV, "1.5")
    first: dict = {}

    def compute_first():
        try:
            first["run"] = matching_run(territory_id=cluny.pk, trigger="manual")
        finally:
            connection.close()

    thread = threading.Thread(target=compute_first)
    thread.start()
    wait_for(lambda: MatchingRun.objects.filter(territory=cluny, status=RS.RUNNING).exists(), 30, "the first run")
    second = matching_run(territory_id=cluny.pk, trigger="manual")  # meanwhile, a second request
    second.refresh_from_db()
    assert (second.status, second.stage) == (RS.PENDING, "waiting")
    assert not Match.objects.filter(run=second).exists()
    queued = OutboxMessage.objects.get(kwargs__run_id=second.pk)
    assert queued.sent_at is not None and queued.countdown == runs.LOCK_RETRY_SECONDS
    thread.join(60)

    assert first["run"].status == RS.SUCCESS and first["run"].counts["created"] >= 2
    assert set(Match.objects.values_list("run_id", flat=True)) == {first["run"].pk}
    assert_one_notification_each(people)

    # The second one runs once the first is done: it reads what the first wrote, changes nothing.
    monkeypatch.delenv(STAGE_DELAY_ENV)
    workers.append(Worker(tmp_path).start())
    wait_for(lambda: MatchingRun.objects.filter(pk=second.pk, status=RS.SUCCESS).exists(), 60, "the second run")
    second.refresh_from_db()
    assert (second.counts["created"], second.counts["updated"], second.counts["withdrawn"]) == (0, 0, 0)
    assert_no_duplicate_pair()
    assert_one_notification_each(people)


def test_a_run_stuck_past_its_deadline_is_failed_and_its_territory_queued_again(
    cluny, django_capture_on_commit_callbacks
):
    listings_with_people()
    deadline = settings.MATCHING_RUN_DEADLINE_SECONDS
    long_ago = timezone.now() - dt.timedelta(seconds=3 * deadline)
    stuck = MatchingRun.objects.create(territory=cluny, trigger="nightly", status=RS.RUNNING, stage="compute")
    MatchingRun.objects.filter(pk=stuck.pk).update(started_at=long_ago, created_at=long_ago)
    recent = MatchingRun.objects.create(territory=cluny, trigger="manual", status=RS.RUNNING)
    MatchingRun.objects.filter(pk=recent.pk).update(started_at=timezone.now() - dt.timedelta(seconds=deadline))

    with django_capture_on_commit_callbacks(execute=True):
        assert matching_runs_reap() == [stuck.pk]
    stuck.refresh_from_db()
    assert (stuck.status, stuck.stage) == (RS.FAILED, runs.ABANDONED)
    assert stuck.error.startswith("Interrompu : aucune nouvelle du calcul depuis 30 min")
    assert MatchingRun.objects.get(pk=recent.pk).status == RS.RUNNING  # within its deadline
    # Its replacement ran (tasks in line here) and proposed.
    replacement = MatchingRun.objects.exclude(pk__in=[stuck.pk, recent.pk]).get()
    assert replacement.status == RS.SUCCESS and replacement.trigger == "nightly"
    assert Match.objects.filter(run=replacement).exists()
    # A late redelivery of the stuck run's task does nothing.
    assert matching_run(territory_id=cluny.pk, trigger="nightly", run_id=stuck.pk).status == RS.FAILED
    assert not Match.objects.filter(run=stuck).exists()
    assert matching_runs_reap() == []


def territory_lock_holder(territory) -> int | None:
    """The backend holding a territory's matching lock, seen from another connection (in this
    test database only: pg_locks shows every database's, another xdist worker's among them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [lock_key(runs.LOCK_NAMESPACE), territory.pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_hung_worker_loses_the_territory_lock_past_the_deadline_and_the_next_run_proceeds(
    cluny, with_broker, workers, tmp_path
):
    people = listings_with_people()
    # A worker that hangs after loading (alive, its session open and quiet) with a 2 s deadline.
    hung = Worker(tmp_path, **{STAGE_DELAY_ENV: "8", "MATCHING_RUN_DEADLINE_SECONDS": "2"}).start()
    workers.append(hung)
    run = MatchingRun.objects.create(territory=cluny, trigger="nightly")
    _enqueue_run(run, countdown=0)
    wait_for(lambda: MatchingRun.objects.filter(pk=run.pk, status=RS.RUNNING).exists(), 60, "the run to start")
    holder = wait_for(lambda: territory_lock_holder(cluny), 10, "the hung worker to hold the lock")

    # PostgreSQL ends the quiet session past the deadline, and the lock goes with it.
    wait_for(lambda: territory_lock_holder(cluny) is None, 10, "the hung session to be ended")
    assert hung.process.poll() is None  # the worker itself is still there, hung
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [holder])
        assert cursor.fetchone()[0] == 0

    # Beat's reaper, past twice the deadline: the run abandoned, its territory queued again,
    # and a healthy worker computes it (the lock is free).
    started = MatchingRun.objects.get(pk=run.pk).started_at
    later = started + dt.timedelta(seconds=2 * settings.MATCHING_RUN_DEADLINE_SECONDS + 1)
    assert matching_runs_reap(now=later) == [run.pk]
    workers.append(Worker(tmp_path).start())
    replacement = wait_for(
        lambda: MatchingRun.objects.exclude(pk=run.pk).filter(territory=cluny, status=RS.SUCCESS).first(),
        60,
        "the rescheduled run",
    )
    assert Match.objects.filter(run=replacement).exists()

    # The hung worker wakes up on a closed connection: it writes nothing.
    wait_for(lambda: "Error" in hung.log.read_text(), 30, "the hung worker to wake up on a closed connection")
    run.refresh_from_db()
    assert (run.status, run.stage) == (RS.FAILED, runs.ABANDONED)
    assert not Match.objects.filter(run=run).exists()
    assert_no_duplicate_pair()
    assert_one_notification_each(people)


def test_a_pending_run_whose_message_waits_for_the_broker_is_not_reaped(cluny, with_broker):
    long_ago = timezone.now() - dt.timedelta(seconds=3 * settings.MATCHING_RUN_DEADLINE_SECONDS)
    waiting = MatchingRun.objects.create(territory=cluny, trigger="change")
    OutboxMessage.objects.create(
        task=runs.RECOMPUTE_TASK, kwargs={"territory_id": cluny.pk, "run_id": waiting.pk}, task_id="t-waiting"
    )
    MatchingRun.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    assert matching_runs_reap() == []
    assert MatchingRun.objects.get(pk=waiting.pk).status == RS.PENDING


def test_beat_reaps_stuck_runs_every_minute_and_the_visibility_timeout_fits_the_longest_run():
    import offers.tasks  # noqa: F401  (registers the jobs)
    from miam.beat import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["offers-matching-reap"]
    assert entry["task"] == "offers.tasks.matching_runs_reap" and entry["schedule"] == 60.0
    assert entry["task"] in app.tasks
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='miam.settings'; django.setup();"
        "from django.conf import settings as s; print(json.dumps(s.CELERY_BROKER_TRANSPORT_OPTIONS))"
    )

    def transport(**env):
        clean = {k: v for k, v in __import__("os").environ.items() if k != "CELERY_BROKER_TRANSPORT_OPTIONS"}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=60
        )
        return json.loads(out.stdout)

    assert transport()["visibility_timeout"] == 600  # MATCHING_RUN_DEADLINE_SECONDS' default
    assert transport(MATCHING_RUN_DEADLINE_SECONDS="1800")["visibility_timeout"] == 1800
    given = transport(CELERY_BROKER_TRANSPORT_OPTIONS='{"visibility_timeout": 3}')
    assert given["visibility_timeout"] == 3 and given["socket_connect_timeout"] == 1.0
