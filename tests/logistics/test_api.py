"""The logistics API applies the pages' input and rules: French errors, nothing written."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from logistics.models import Round, Vehicle
from logistics.services import rounds
from tests.factories import TerritoryFactory, make_member, make_officer
from tests.logistics.helpers import confirmed_match, farm, logistics_org, next_tuesday, structure, vehicle

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_vehicle_of_negative_capacity_is_refused_by_the_api_in_french():
    owner = logistics_org()
    answer = client_for(make_member(owner)).post(
        "/api/v1/vehicles/", {"organization": owner.pk, "name": "Camion", "capacity_kg": -3}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"capacity_kg": ["La charge utile doit être strictement positive."]}
    assert not Vehicle.objects.exists()


def test_a_vehicle_posted_through_the_api_is_listed_for_its_organization():
    owner = logistics_org()
    member = make_member(owner)
    answer = client_for(member).post(
        "/api/v1/vehicles/",
        {
            "organization": owner.pk,
            "name": "Fourgon",
            "capacity_kg": "800",
            "is_refrigerated": True,
            "days_available": [1],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    listed = client_for(member).get("/api/v1/vehicles/").json()["results"]
    assert [(v["name"], v["capacity_kg"], v["is_refrigerated"]) for v in listed] == [("Fourgon", "800.0", True)]


def test_a_driver_claims_a_round_through_the_api():
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()
    truck = vehicle(owner, days=(1,))
    driver = make_member(owner, role="member")
    truck.drivers.add(driver)
    match = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    made = rounds.round_create(
        by=make_officer(territory), territory=territory, day=tuesday, vehicle=truck, matches=[match]
    )
    answer = client_for(driver).post(f"/api/v1/rounds/{made.pk}/claim/")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["driver"] == driver.pk
    assert [s["kind"] for s in answer.json()["stops"]] == ["start", "pickup", "delivery", "end"]
    again = client_for(make_member(owner, role="member")).post(f"/api/v1/rounds/{made.pk}/claim/")
    assert again.status_code == 403
    assert Round.objects.get().driver == driver


def test_an_officer_plans_a_day_through_the_api_and_follows_its_progress(django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    vehicle(days=(1,))
    officer = client_for(make_officer(territory))
    with django_capture_on_commit_callbacks(execute=True):
        answer = officer.post(
            "/api/v1/rounds/plan/", {"territory": territory.pk, "day": tuesday.isoformat()}, format="json"
        )
    assert answer.status_code == 202, answer.json()
    progress = officer.get(f"/api/v1/rounds/plans/{answer.json()['id']}/").json()
    assert (progress["status"], progress["progress"], progress["counts"]["rounds"]) == ("success", 100, 1)
    assert len(officer.get("/api/v1/rounds/").json()["results"]) == 1


def test_only_an_officer_of_the_territory_plans_its_rounds():
    territory = TerritoryFactory()
    answer = client_for(make_member(logistics_org())).post(
        "/api/v1/rounds/plan/", {"territory": territory.pk, "day": next_tuesday().isoformat()}, format="json"
    )
    assert answer.status_code == 403
