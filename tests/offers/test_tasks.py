"""Celery jobs: debounced recompute on change, nightly fan-out, expiry, reminders, digest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from actors import tasks as actor_tasks
from miam.beat import BEAT_SCHEDULE
from miam.celery import app
from offers import tasks
from offers.inputs import offer_data
from offers.models import Match, MatchingRun, Offer, Status
from offers.services import listings
from offers.services.runs import matching_listing_changed as listing_changed
from tests.factories import (
    FarmFactory,
    TerritoryFactory,
    UserFactory,
    commune,
    make_member,
    matching_need,
    matching_offer,
)

pytestmark = pytest.mark.usefixtures("geo")
RS = MatchingRun.RunStatus


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


@pytest.fixture
def queued(settings):
    """Tasks are handed to a broker instead of running inline; it records them (no worker takes
    them, and the app's broker connection is left as it was for the tests after)."""
    app.conf.task_always_eager = False
    settings.MATCHING_DEBOUNCE_SECONDS = 30
    sent = []
    original = app.send_task

    def record(name, *args, **kwargs):
        if name == tasks.matching_recompute.name:
            sent.append(kwargs)

    app.send_task = record
    yield sent
    app.send_task = original


def test_a_burst_of_changes_gives_one_queued_run(territory, queued, django_capture_on_commit_callbacks):
    offer = matching_offer()
    matching_need()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            listing_changed(organization_id=offer.organization_id)
    assert len(queued) == 1
    assert queued[0]["countdown"] == 30
    (run,) = MatchingRun.objects.all()
    assert (run.status, run.trigger) == (RS.PENDING, "change")
    # The worker, later, runs it once and sees every change.
    tasks.matching_recompute(**queued[0]["kwargs"])
    run.refresh_from_db()
    assert run.status == RS.SUCCESS and Match.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        listing_changed(organization_id=offer.organization_id)
    assert len(queued) == 2  # the next change queues a new run


def test_a_change_outside_any_territory_queues_nothing(territory, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        listing_changed(organization_id=FarmFactory(commune=commune("25462")).pk)
    assert queued == [] and not MatchingRun.objects.exists()


def test_in_eager_mode_saving_an_offer_runs_matching_after_the_commit(territory, django_capture_on_commit_callbacks):
    farm = FarmFactory()
    matching_need()
    with django_capture_on_commit_callbacks(execute=True):
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
    run = MatchingRun.objects.get()
    assert (run.trigger, run.status) == ("change", RS.SUCCESS)
    assert Match.objects.filter(offer=offer, status=Match.MatchStatus.PROPOSED).count() == 1


def test_the_nightly_job_fans_out_one_run_per_territory_with_listings(territory, django_capture_on_commit_callbacks):
    other = TerritoryFactory(epci_codes=["242500338"])  # Grand Pontarlier
    idle = TerritoryFactory(epci_codes=["242500361"])  # Grand Besançon
    matching_offer()
    matching_need()
    matching_offer(FarmFactory(commune=commune("25462")))
    with django_capture_on_commit_callbacks(execute=True):  # a worker runs it outside any transaction
        assert tasks.territories_recompute() == 2
    runs = MatchingRun.objects.filter(trigger="nightly")
    assert sorted(runs.values_list("territory_id", flat=True)) == sorted([territory.pk, other.pk])
    assert set(runs.values_list("status", flat=True)) == {RS.SUCCESS}
    assert not MatchingRun.objects.filter(territory=idle).exists()


def test_tasks_are_acknowledged_late_and_retried_with_backoff():
    from django.db import OperationalError

    for task in (tasks.matching_recompute, tasks.matching_cascade, tasks.territories_recompute, tasks.matches_expire):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff


def test_beat_schedules_the_nightly_recompute_and_the_daily_jobs():
    tasks_by_name = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    for name in (
        "offers.tasks.territories_recompute",
        "offers.tasks.listings_expire",
        "offers.tasks.matches_expire",
        "offers.tasks.matches_remind",
        "actors.tasks.notifications_send_digest",
    ):
        assert name in tasks_by_name
        assert name in app.tasks


def test_the_expiry_job_expires_listings_past_their_window_and_withdraws_their_proposals(territory):
    today = timezone.localdate()
    offer = matching_offer(window_start=today - dt.timedelta(days=5), window_end=today + dt.timedelta(days=1))
    matching_need(window_start=today - dt.timedelta(days=5))
    from offers.services.runs import matching_run

    matching_run(territory_id=territory.pk, trigger="manual", today=today - dt.timedelta(days=2))
    assert Match.objects.get().status == Match.MatchStatus.PROPOSED
    Offer.objects.filter(pk=offer.pk).update(window_end=today - dt.timedelta(days=1))
    tasks.listings_expire()
    offer.refresh_from_db()
    assert offer.status == Status.EXPIRED
    assert Match.objects.get().status == Match.MatchStatus.WITHDRAWN


def test_a_failing_run_is_recorded_then_raised_so_that_celery_reports_it(territory, monkeypatch):
    from offers.services import runs

    def boom(stage):
        raise ValueError("données incohérentes")

    monkeypatch.setattr(runs, "_stage_pause", boom)
    run = MatchingRun.objects.create(territory=territory, trigger="change")
    with pytest.raises(ValueError, match="données incohérentes"):
        tasks.matching_recompute(territory_id=territory.pk, run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RS.FAILED and "données incohérentes" in run.error


def test_the_digest_job_sends_one_mail_per_person_who_chose_it(django_capture_on_commit_callbacks):
    from actors.services import notify

    user = UserFactory(wants_daily_digest=True)
    notify(users=[user], kind="match_proposed", title="Nouvelle proposition")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert actor_tasks.notifications_send_digest() == 1
    assert mail.outbox[0].to == [user.email]
