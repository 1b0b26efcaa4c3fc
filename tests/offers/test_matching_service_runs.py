"""Matching runs: idempotent upserts, people's decisions kept, progress recorded, failures safe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from actors.models import Notification
from offers.models import Match, MatchingRun, Status
from offers.services import runs as runs_services
from offers.services.matches import match_accept, match_decline
from offers.services.runs import matching_run
from tests.factories import TerritoryFactory, make_member, matching_need, matching_offer

pytestmark = pytest.mark.usefixtures("geo")
MS = Match.MatchStatus


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


def snapshot():
    return sorted(
        (m.offer_id, m.need_id, m.quantity, m.score, m.status, m.explanation)
        for m in Match.objects.exclude(status=MS.WITHDRAWN)
    )


def run(territory, **kwargs):
    result = matching_run(territory_id=territory.pk, trigger="manual", **kwargs)
    assert result.status == MatchingRun.RunStatus.SUCCESS, result.error
    return result


def test_two_runs_in_a_row_give_the_identical_set_of_proposals(territory):
    offers = [matching_offer(quantity=q) for q in (30, 60, 90)]
    for q in (40, 50, 70):
        matching_need(quantity=q)
    first = run(territory)
    before = snapshot()
    second = run(territory)
    assert snapshot() == before
    assert len(before) >= 3
    assert Match.objects.count() == len(before)
    assert first.counts["created"] == len(before)
    assert (second.counts["created"], second.counts["updated"], second.counts["withdrawn"]) == (0, 0, 0)
    assert second.counts["unchanged"] == len(before)
    assert {m.offer_id for m in Match.objects.all()} <= {o.pk for o in offers}


def test_a_declined_pair_never_comes_back(territory):
    offer = matching_offer(quantity=50)
    need_a = matching_need(quantity=50)
    run(territory)
    (match,) = Match.objects.all()
    structure_member = make_member(match.need.organization)
    match_decline(match=match, by=structure_member, reason="Trop loin pour nos bénévoles")
    need_b = matching_need(quantity=50)
    run(territory)
    run(territory)
    assert Match.objects.get(offer=offer, need=need_a).status == MS.DECLINED
    assert Match.objects.filter(offer=offer, need=need_a).count() == 1
    assert Match.objects.get(offer=offer, need=need_b).status == MS.PROPOSED


def test_a_run_never_rewrites_a_match_a_person_acted_on(territory):
    offer = matching_offer(quantity=50)
    need = matching_need(quantity=50)
    run(territory)
    match = Match.objects.get()
    match_accept(match=match, by=make_member(offer.organization))
    need.quantity = 20
    need.save()
    run(territory)
    match.refresh_from_db()
    assert (match.status, match.quantity) == (MS.ACCEPTED_FARM, Decimal("50.000"))


def test_a_proposal_no_longer_made_is_withdrawn_and_comes_back_when_it_fits_again(territory):
    offer = matching_offer(quantity=50)
    need = matching_need(quantity=50)
    run(territory)
    Match.objects.get(offer=offer, need=need)
    need.status = Status.WITHDRAWN
    need.save()
    withdrawing = run(territory)
    assert withdrawing.counts["withdrawn"] == 1
    assert Match.objects.get(offer=offer, need=need).status == MS.WITHDRAWN
    need.status = Status.PUBLISHED
    need.save()
    run(territory)
    assert Match.objects.get(offer=offer, need=need).status == MS.PROPOSED
    assert Match.objects.count() == 1


def test_the_run_records_its_progress_counts_and_duration(territory):
    matching_offer()
    matching_need()
    result = run(territory)
    result.refresh_from_db()
    assert (result.stage, result.progress) == ("done", 100)
    assert result.started_at and result.finished_at and result.duration_s >= 0
    assert result.counts["offers"] == 1 and result.counts["needs"] == 1 and result.counts["proposals"] == 1
    assert set(result.counts["timings_s"]) >= {"load", "candidates", "scores", "allocation", "write"}
    assert Match.objects.get().run_id == result.pk


def test_a_failure_while_writing_marks_the_run_failed_and_keeps_previous_proposals(territory, monkeypatch):
    offer = matching_offer(quantity=50)
    need = matching_need(quantity=50)
    run(territory)
    before = snapshot()
    matching_need(quantity=30)  # would change the allocation

    def crash(stage):
        if stage == "commit":
            raise RuntimeError("disque plein")

    monkeypatch.setattr(runs_services, "_stage_pause", crash)
    with pytest.raises(RuntimeError):
        matching_run(territory_id=territory.pk, trigger="manual")
    failed = MatchingRun.objects.order_by("-id").first()
    assert failed.status == MatchingRun.RunStatus.FAILED
    assert "disque plein" in failed.error
    assert snapshot() == before
    assert Match.objects.get(offer=offer, need=need).status == MS.PROPOSED


def test_a_redelivered_task_for_a_finished_run_does_nothing(territory):
    matching_offer()
    matching_need()
    done = run(territory)
    Match.objects.all().delete()
    again = matching_run(territory_id=territory.pk, trigger="manual", run_id=done.pk)
    assert again.pk == done.pk
    assert not Match.objects.exists()


def test_an_interrupted_run_is_completed_by_its_redelivered_task(territory):
    matching_offer()
    matching_need()
    interrupted = MatchingRun.objects.create(
        territory=territory, trigger="change", status=MatchingRun.RunStatus.RUNNING, stage="compute", progress=30
    )
    finished = matching_run(territory_id=territory.pk, trigger="change", run_id=interrupted.pk)
    assert finished.pk == interrupted.pk and finished.status == MatchingRun.RunStatus.SUCCESS
    assert Match.objects.count() == 1


def test_new_proposals_notify_both_sides_once(territory, django_capture_on_commit_callbacks):
    offer = matching_offer()
    need = matching_need()
    farmer = make_member(offer.organization)
    volunteer = make_member(need.organization)
    with django_capture_on_commit_callbacks(execute=True):
        run(territory)
    assert Notification.objects.filter(kind="match_proposed", user=farmer).count() == 1
    assert Notification.objects.filter(kind="match_proposed", user=volunteer).count() == 1
    assert {m.to[0] for m in mail.outbox} == {farmer.email, volunteer.email}
    assert "nouvelle" in mail.outbox[0].subject.lower()
    with django_capture_on_commit_callbacks(execute=True):
        run(territory)
    assert Notification.objects.filter(kind="match_proposed").count() == 2


def test_territory_weights_change_the_scores(territory):
    matching_offer()
    matching_need()
    run(territory)
    default_score = Match.objects.get().score
    territory.matching_weights = {"distance": 1, "coverage": 0, "urgency": 0, "price": 0, "labels": 0}
    territory.matching_weights |= {"recurrence": 0, "history": 0, "fairness": 0}
    territory.save()
    run(territory)
    assert Match.objects.get().score != default_score
