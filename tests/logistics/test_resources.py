"""Vehicles, hubs and opening hours: validated once (``logistics.inputs``), refused in French
with nothing written, and hubs shown on the territory map as their own layer."""

from __future__ import annotations

import datetime as dt

import pytest

from logistics.inputs import hub_data, opening_hours_data, vehicle_data
from logistics.map_layers import rows
from logistics.models import Hub, OpeningHours, Vehicle
from logistics.services import resources
from miam.errors import DomainError, NotAllowed
from offers.models import MatchingRun
from tests.factories import TerritoryFactory, UserFactory, make_member
from tests.logistics.helpers import hub, logistics_org, vehicle

pytestmark = pytest.mark.django_db


def test_a_vehicle_is_created_with_its_driver_pool():
    owner = logistics_org()
    admin = make_member(owner)
    volunteer = make_member(owner, role="member")
    made = resources.vehicle_create(
        by=admin,
        data=vehicle_data(
            {
                "organization": owner.pk,
                "name": "Kangoo frigo",
                "capacity_kg": "650",
                "is_refrigerated": True,
                "days_available": [1, 3],
                "available_from": "07:30",
                "available_until": "16h",
                "drivers": [volunteer.pk],
            }
        ),
    )
    made.refresh_from_db()
    assert (made.capacity_kg, made.is_refrigerated, made.days_available) == (650, True, [1, 3])
    assert (made.available_from, made.available_until) == (dt.time(7, 30), dt.time(16, 0))
    assert list(made.drivers.all()) == [volunteer]


def test_a_vehicle_of_negative_capacity_is_refused_in_french_and_nothing_is_written():
    owner = logistics_org()
    with pytest.raises(DomainError) as caught:
        resources.vehicle_create(
            by=make_member(owner),
            data=vehicle_data({"organization": owner.pk, "name": "Camion", "capacity_kg": "-200"}),
        )
    assert caught.value.fields == {"capacity_kg": ["La charge utile doit être strictement positive."]}
    assert not Vehicle.objects.exists()


def test_hours_ending_before_they_start_are_refused_with_every_other_error():
    owner = logistics_org()
    with pytest.raises(DomainError) as caught:
        resources.vehicle_create(
            by=make_member(owner),
            data=vehicle_data(
                {
                    "organization": owner.pk,
                    "name": "",
                    "capacity_kg": "500",
                    "available_from": "14:00",
                    "available_until": "09:00",
                }
            ),
        )
    assert caught.value.fields["available_until"] == ["L'heure de fin doit être après l'heure de début."]
    assert caught.value.fields["name"] == ["Ce champ est obligatoire."]
    assert not Vehicle.objects.exists()


def test_drivers_must_be_people_of_the_organization():
    owner = logistics_org()
    stranger = UserFactory(first_name="Alex", last_name="Inconnu")
    with pytest.raises(DomainError) as caught:
        resources.vehicle_create(
            by=make_member(owner),
            data=vehicle_data(
                {"organization": owner.pk, "name": "Camion", "capacity_kg": "500", "drivers": [stranger.pk]}
            ),
        )
    assert "Alex Inconnu" in caught.value.fields["drivers"][0]
    assert not Vehicle.objects.exists()


def test_only_the_organization_may_lend_its_vehicle():
    owner = logistics_org()
    with pytest.raises(NotAllowed):
        resources.vehicle_create(
            by=UserFactory(), data=vehicle_data({"organization": owner.pk, "name": "Camion", "capacity_kg": "500"})
        )
    assert not Vehicle.objects.exists()


def test_a_hub_sits_in_its_commune_with_its_three_capacities():
    owner = logistics_org("71137")
    made = resources.hub_create(
        by=make_member(owner),
        data=hub_data(
            {
                "organization": owner.pk,
                "name": "Chambre froide",
                "commune": "71137",
                "chilled_capacity_kg": 800,
                "frozen_capacity_kg": 200,
                "dry_capacity_kg": 3000,
                "opening_days": [0, 1, 2, 3, 4],
                "opens_at": "07:00",
                "closes_at": "19:00",
            }
        ),
    )
    assert (made.chilled_capacity_kg, made.frozen_capacity_kg, made.dry_capacity_kg) == (800, 200, 3000)
    assert (made.latitude, made.longitude) == (owner.latitude, owner.longitude)


def test_a_hub_of_negative_capacity_closing_before_it_opens_is_refused():
    owner = logistics_org()
    with pytest.raises(DomainError) as caught:
        resources.hub_create(
            by=make_member(owner),
            data=hub_data(
                {
                    "organization": owner.pk,
                    "name": "Hub",
                    "commune": "71137",
                    "chilled_capacity_kg": -5,
                    "opens_at": "18:00",
                    "closes_at": "08:00",
                }
            ),
        )
    assert caught.value.fields == {
        "chilled_capacity_kg": ["Ce nombre ne peut pas être négatif."],
        "closes_at": ["L'heure de fin doit être après l'heure de début."],
    }
    assert not Hub.objects.exists()


def test_opening_hours_ending_before_they_start_are_refused():
    owner = logistics_org()
    with pytest.raises(DomainError) as caught:
        resources.opening_hours_add(
            by=make_member(owner),
            data=opening_hours_data(
                {"organization": owner.pk, "weekday": 1, "opens_at": "16:00", "closes_at": "10:00"}
            ),
        )
    assert caught.value.fields == {"closes_at": ["L'heure de fin doit être après l'heure de début."]}
    assert not OpeningHours.objects.exists()


def test_hubs_are_a_layer_of_the_territory_map():
    territory = TerritoryFactory()
    made = hub(chilled_capacity_kg=800)
    found = rows(territory=territory, exact=False, filters={})
    assert found == [
        [round(made.latitude, 5), round(made.longitude, 5), made.organization_id, made.name, "Cluny", 800, 0, 0]
    ]
    from miam import maps

    assert maps.layer("hubs") is not None


def test_a_vehicle_says_whether_it_is_a_van_or_a_car_and_nothing_else():
    owner = logistics_org()
    car = resources.vehicle_create(
        by=make_member(owner),
        data=vehicle_data({"organization": owner.pk, "name": "Clio", "kind": "car", "capacity_kg": "300"}),
    )
    assert car.kind == "car"
    with pytest.raises(DomainError) as caught:
        resources.vehicle_create(
            by=make_member(owner),
            data=vehicle_data({"organization": owner.pk, "name": "Semi", "kind": "truck", "capacity_kg": "9000"}),
        )
    assert caught.value.fields == {"kind": ["Type de véhicule inconnu."]}
    assert Vehicle.objects.count() == 1


def test_a_new_vehicle_has_its_territory_s_proposals_computed_again(django_capture_on_commit_callbacks):
    territory = TerritoryFactory()
    owner = logistics_org()
    with django_capture_on_commit_callbacks(execute=False):
        resources.vehicle_create(
            by=make_member(owner),
            data=vehicle_data(
                {"organization": owner.pk, "name": "Fourgon", "capacity_kg": "800", "days_available": [1]}
            ),
        )
    assert MatchingRun.objects.filter(territory=territory, status="pending").exists()


def test_vehicles_are_their_own_layer_of_the_territory_map_at_their_hub_or_organization():
    from logistics.map_layers import vehicle_rows
    from miam import maps

    territory = TerritoryFactory()
    owner = logistics_org()
    platform = hub(owner)
    at_hub = vehicle(owner, name="Frigo du hub", hub=platform)
    at_home = vehicle(owner, name="Fourgon", refrigerated=False)
    found = {row[3]: row for row in vehicle_rows(territory=territory, exact=False, filters={})}
    assert set(found) == {"Frigo du hub", "Fourgon"}
    assert found["Frigo du hub"][:2] == [round(platform.latitude, 5), round(platform.longitude, 5)]
    assert found["Fourgon"][:2] == [round(owner.latitude, 5), round(owner.longitude, 5)]
    assert found["Fourgon"][-1] is False and found["Frigo du hub"][-2] == float(at_hub.capacity_kg)
    assert at_home.pk and maps.layer("vehicles") is not None
