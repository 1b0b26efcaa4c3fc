"""The API on matches: act on a match, propose by hand, run matching and follow the run."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from offers.models import Match, MatchingRun
from offers.services.runs import matching_run
from tests.factories import StructureFactory, TerritoryFactory, make_member, make_officer, matching_need, matching_offer

pytestmark = pytest.mark.usefixtures("geo")
MS = Match.MatchStatus


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


@pytest.fixture
def proposal(territory):
    offer = matching_offer(quantity=100)
    need = matching_need(quantity=40)
    matching_run(territory_id=territory.pk, trigger="manual")
    return Match.objects.get(offer=offer, need=need)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_both_sides_accept_through_the_api(proposal):
    farmer = client_for(make_member(proposal.offer.organization))
    volunteer = client_for(make_member(proposal.need.organization))
    first = farmer.post(f"/api/v1/matches/{proposal.pk}/accept/")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == MS.ACCEPTED_FARM
    second = volunteer.post(f"/api/v1/matches/{proposal.pk}/accept/")
    assert second.json()["status"] == MS.CONFIRMED


def test_schedule_then_confirm_delivery_through_the_api(proposal, territory):
    volunteer = client_for(make_member(proposal.need.organization))
    officer = client_for(make_officer(territory))
    for side in ("farm", "structure"):
        assert officer.post(f"/api/v1/matches/{proposal.pk}/accept/", {"side": side}, format="json").status_code == 200
    day = proposal.offer.window_end.isoformat()
    scheduled = volunteer.post(
        f"/api/v1/matches/{proposal.pk}/schedule/", {"date": day, "mode": "pickup"}, format="json"
    )
    assert scheduled.status_code == 200, scheduled.json()
    assert (scheduled.json()["scheduled_for"], scheduled.json()["mode"]) == (day, "pickup")
    delivered = volunteer.post(
        f"/api/v1/matches/{proposal.pk}/confirm-delivery/", {"quantity_received": "38.5"}, format="json"
    )
    assert delivered.status_code == 200, delivered.json()
    assert delivered.json()["status"] == MS.DELIVERED


def test_declining_without_a_reason_answers_400_with_the_field(proposal):
    volunteer = client_for(make_member(proposal.need.organization))
    response = volunteer.post(f"/api/v1/matches/{proposal.pk}/decline/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    ok = volunteer.post(f"/api/v1/matches/{proposal.pk}/decline/", {"reason": "Trop loin"}, format="json")
    assert ok.json()["status"] == MS.DECLINED


def test_a_match_of_someone_else_is_not_found(proposal):
    outsider = client_for(make_member(StructureFactory()))
    assert outsider.post(f"/api/v1/matches/{proposal.pk}/accept/").status_code == 404


def test_cancelling_a_confirmed_match_through_the_api(proposal, territory):
    officer = client_for(make_officer(territory))
    refused = officer.post(f"/api/v1/matches/{proposal.pk}/accept/")
    assert refused.status_code == 400 and refused.json()["code"] == "side_required"
    for side in ("farm", "structure"):
        officer.post(f"/api/v1/matches/{proposal.pk}/accept/", {"side": side}, format="json")
    response = officer.post(f"/api/v1/matches/{proposal.pk}/cancel/", {"reason": "Camion en panne"}, format="json")
    assert response.json()["status"] == MS.CANCELLED


def test_an_officer_proposes_by_hand_and_sees_why_a_pair_is_refused(territory):
    officer = client_for(make_officer(territory))
    offer = matching_offer(quantity=100)
    need = matching_need(quantity=40)
    created = officer.post("/api/v1/matches/propose/", {"offer": offer.pk, "need": need.pk, "quantity": "25"})
    assert created.status_code == 201, created.json()
    assert created.json()["origin"] == "manual"
    fruit_need = matching_need(categories=("fruits",))
    refused = officer.post("/api/v1/matches/propose/", {"offer": offer.pk, "need": fruit_need.pk, "quantity": "5"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "pair_not_feasible"
    assert refused.json()["fields"]["constraints"] == ["category_mismatch"]
    assert "la catégorie du produit ne fait pas partie des besoins" in refused.json()["message"]


def test_an_officer_runs_matching_and_follows_the_run(territory, django_capture_on_commit_callbacks):
    matching_offer()
    matching_need()
    officer = client_for(make_officer(territory))
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post("/api/v1/matching-runs/", {"territory": territory.pk}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    followed = officer.get(f"/api/v1/matching-runs/{run_id}/").json()
    assert (followed["status"], followed["progress"], followed["counts"]["proposals"]) == ("success", 100, 1)
    listed = officer.get("/api/v1/matching-runs/", {"territory": territory.pk}).json()
    assert run_id in [r["id"] for r in listed["results"]]


def test_a_run_says_its_stage_in_words_in_the_language_asked(territory):
    MatchingRun.objects.create(territory=territory, trigger="manual", status="running", stage="compute", progress=30)
    officer = client_for(make_officer(territory))
    (run,) = officer.get("/api/v1/matching-runs/").json()["results"]
    assert (run["stage"], run["stage_label"]) == ("compute", "calcul des propositions")
    (run,) = officer.get("/api/v1/matching-runs/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert run["stage_label"] == "computing the proposals"


def test_a_farmer_cannot_run_matching_nor_see_runs(territory):
    farmer = client_for(make_member(matching_offer().organization))
    assert farmer.post("/api/v1/matching-runs/", {"territory": territory.pk}, format="json").status_code == 403
    MatchingRun.objects.create(territory=territory, trigger="manual")
    assert farmer.get("/api/v1/matching-runs/").json()["results"] == []
