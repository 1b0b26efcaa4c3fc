"""The outbox between services and the queue: written with the change, sent after its commit,
never lost when the broker is away, never breaking the request that asked for it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from miam import dispatch
from miam.beat import BEAT_SCHEDULE
from miam.celery import app
from miam.models import OutboxMessage
from miam.tasks import outbox_send

PROBE = "tests.miam.dispatch_probe"
FAILING = "tests.miam.dispatch_failing"
probe_calls: list[dict] = []


@app.task(name=PROBE)
def dispatch_probe(**kwargs):
    probe_calls.append(kwargs)
    return len(probe_calls)


@app.task(name=FAILING)
def dispatch_failing(**kwargs):
    raise ValueError("le calcul a échoué")


@pytest.fixture(autouse=True)
def _clean_probe():
    probe_calls.clear()


@pytest.fixture
def broker(monkeypatch):
    """A broker that records what it is given (Celery not eager), and can be made to refuse."""

    class Broker:
        sent: list[tuple] = []
        down = False

        def send_task(self, name, kwargs=None, countdown=None, task_id=None, **options):
            if self.down:
                raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
            self.sent.append((name, kwargs, countdown, task_id))

    fake = Broker()
    fake.sent = []
    app.conf.task_always_eager = False  # conftest puts it back after each test
    monkeypatch.setattr(app, "send_task", fake.send_task)
    return fake


def test_a_task_is_written_with_the_change_and_sent_once_it_commits(db, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        task_id = dispatch.dispatch(PROBE, kwargs={"territory_id": 3}, countdown=20)
        message = OutboxMessage.objects.get()
        assert (message.task, message.kwargs, message.task_id, message.sent_at) == (
            PROBE,
            {"territory_id": 3},
            task_id,
            None,
        )
        assert broker.sent == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert broker.sent == [(PROBE, {"territory_id": 3}, 20, task_id)]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""


def test_a_rolled_back_change_leaves_no_task(db, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        dispatch.dispatch(PROBE, kwargs={"territory_id": 3})
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert broker.sent == []


def test_a_broker_error_is_a_warning_and_the_beat_job_sends_the_task_later(
    db, broker, caplog, django_capture_on_commit_callbacks
):
    broker.down = True
    with caplog.at_level(logging.WARNING, logger="miam.dispatch"), django_capture_on_commit_callbacks(execute=True):
        task_id = dispatch.dispatch(PROBE, kwargs={"offer_id": 7}, countdown=20)
    assert "not sent, will retry" in caplog.text and "Connection refused" in caplog.text
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "OperationalError" in message.last_error

    # Too recent: the beat job leaves it to its own commit's sender.
    broker.down = False
    assert outbox_send() == 0
    # Later, the broker is back: the beat job sends it with what is left of its countdown.
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(seconds=15))
    assert outbox_send() == 1
    (name, kwargs, countdown, sent_id) = broker.sent[0]
    assert (name, kwargs, sent_id) == (PROBE, {"offer_id": 7}, task_id)
    assert 4 <= countdown <= 5
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert outbox_send() == 0  # sent once, never again


def test_a_task_whose_countdown_passed_while_unsent_is_sent_to_run_at_once(db, broker):
    with transaction.atomic():
        dispatch.dispatch(PROBE, countdown=20)
        OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    broker.sent.clear()
    OutboxMessage.objects.update(sent_at=None)
    assert dispatch.send_pending() == 1
    assert broker.sent[0][2] == 0.0


def test_without_a_broker_the_task_runs_right_after_the_commit(db, django_capture_on_commit_callbacks):
    assert app.conf.task_always_eager  # the embedded default: no REDIS_URL
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        dispatch.dispatch(PROBE, kwargs={"run_id": 1}, countdown=20)
        assert probe_calls == []
    assert probe_calls == [{"run_id": 1}]
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_task_failing_in_the_embedded_mode_is_logged_and_the_request_goes_on(
    db, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="miam.dispatch"), django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch(FAILING)
    assert "le calcul a échoué" in caplog.text
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and "le calcul a échoué" in message.last_error


def test_an_unknown_task_name_fails_loudly_in_the_log_not_in_the_request(
    db, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="miam.dispatch"), django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch("offers.tasks.no_such_task")
    assert "offers.tasks.no_such_task" in caplog.text


def test_sent_tasks_are_forgotten_after_a_week(db, broker):
    dispatch.dispatch(PROBE)
    dispatch.dispatch(PROBE)
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.first().pk).update(
        sent_at=timezone.now() - dt.timedelta(days=8)
    )
    assert dispatch.prune(older_than=dt.timedelta(days=7)) == 1
    assert OutboxMessage.objects.count() == 1


def test_beat_sends_the_outbox_every_thirty_seconds():
    entry = BEAT_SCHEDULE["miam-outbox-send"]
    assert entry["task"] == "miam.tasks.outbox_send" and entry["schedule"] == 30.0
    assert entry["task"] in app.tasks


def test_after_a_refusal_the_next_messages_wait_for_beat_without_trying_the_broker(
    db, broker, caplog, django_capture_on_commit_callbacks
):
    broker.down = True
    with caplog.at_level(logging.WARNING, logger="miam.dispatch"), django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch(PROBE, kwargs={"n": 1})
        dispatch.dispatch(PROBE, kwargs={"n": 2})
    assert caplog.text.count("not sent, will retry") == 1  # one refused connection, not one per save
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 1]
    assert dispatch.broker_recently_down()
    broker.down = False
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(seconds=15))
    assert outbox_send() == 2  # beat tries the broker whatever this process saw
    assert not dispatch.broker_recently_down()
