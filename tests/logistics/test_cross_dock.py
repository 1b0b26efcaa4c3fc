"""Cross-docking: the pick-ups go to a hub, then a second round takes them from the hub to the
structures; the two rounds are linked (model, API, page and sheet)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from logistics.models import Round, RoundPlan
from logistics.services import rounds
from miam.errors import DomainError
from tests.factories import TerritoryFactory, make_officer
from tests.logistics.helpers import (
    hub,
    logistics_org,
    next_tuesday,
    three_matches,
    vehicle,
)

pytestmark = pytest.mark.django_db


def test_pick_ups_go_to_the_hub_then_a_linked_round_takes_them_to_the_structures(
    client, django_capture_on_commit_callbacks
):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()
    platform = hub(owner, name="Plateforme de Cluny")
    truck = vehicle(owner, days=(1,), hub=platform)
    matches = three_matches(tuesday)
    officer = make_officer(territory)
    api = APIClient()
    api.force_authenticate(officer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            "/api/v1/rounds/plan/",
            {"territory": territory.pk, "day": tuesday.isoformat(), "hub": platform.pk, "cross_dock": True},
            format="json",
        )
    assert answer.status_code == 202, answer.json()
    plan = RoundPlan.objects.get()
    assert plan.cross_dock and plan.status == "success", plan.error
    assert plan.counts["unassigned"] == [] and plan.counts["cross_dock"] is True

    inbound = Round.objects.get(leg=Round.Leg.TO_HUB)
    outbound = Round.objects.get(leg=Round.Leg.FROM_HUB)
    assert inbound.vehicle == outbound.vehicle == truck
    # The first round picks up at the farms and unloads at the hub; the second loads at the hub.
    drops = inbound.stops.filter(kind="delivery")
    assert {s.hub_id for s in drops} == {platform.pk} and not any(s.organization_id for s in drops)
    assert {s.organization for s in inbound.stops.filter(kind="pickup")} == {m.offer.organization for m in matches}
    loads = outbound.stops.filter(kind="pickup")
    assert {s.hub_id for s in loads} == {platform.pk}
    assert {s.organization for s in outbound.stops.filter(kind="delivery")} == {m.need.organization for m in matches}
    # Each lot leaves the hub after it arrived there; the link is recorded both ways.
    for match in matches:
        arrived = inbound.stops.get(match=match, kind="delivery").arrives_at
        assert outbound.stops.get(match=match, kind="pickup").arrives_at >= arrived
    assert list(outbound.after.all()) == [inbound] and list(inbound.before.all()) == [outbound]
    # Only the round that brings a lot to its structure says it carries it.
    for match in matches:
        match.refresh_from_db()
        assert [r["code"] for r in match.reasons].count("pooled_round") == 1

    shown = {r["id"]: r for r in api.get("/api/v1/rounds/").json()["results"]}
    assert shown[outbound.pk]["after"] == [inbound.pk] and shown[outbound.pk]["leg"] == "from_hub"
    assert shown[inbound.pk]["before"] == [outbound.pk] and shown[inbound.pk]["hub"] == platform.pk
    client.force_login(officer)
    page = client.get(f"/logistique/tournees/{outbound.pk}/").content.decode()
    assert f'href="/logistique/tournees/{inbound.pk}/"' in page and "Plateforme de Cluny" in page

    # Planning the day again replaces both legs, never duplicates them.
    with django_capture_on_commit_callbacks(execute=True):
        rounds.round_plan_request(by=officer, territory=territory, day=tuesday, hub=platform, cross_dock=True)
    assert Round.objects.filter(leg=Round.Leg.TO_HUB).count() == 1
    assert Round.objects.filter(leg=Round.Leg.FROM_HUB).count() == 1


def test_cross_docking_needs_a_hub():
    territory = TerritoryFactory()
    with pytest.raises(DomainError) as refused:
        rounds.round_plan_request(by=make_officer(territory), territory=territory, day=next_tuesday(), cross_dock=True)
    assert refused.value.fields == {"hub": ["Le groupage passe par un hub : choisissez-le."]}
    assert not RoundPlan.objects.exists()
