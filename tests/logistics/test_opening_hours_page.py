"""The « Horaires d'accueil » page: a farm's or a structure's people (or the territory's officer)
set the week's windows when a round may stop; ``inputs.week_hours_data`` validates them for every
door (times, order, overlaps, weekdays), a refusal changes nothing; the round pages show them."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest

from logistics import inputs
from logistics.models import OpeningHours
from logistics.services import resources, rounds
from miam.errors import DomainError
from tests.factories import FarmFactory, TerritoryFactory, make_member, make_officer
from tests.logistics.helpers import confirmed_match, farm, logistics_org, next_tuesday, structure, vehicle

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def hours_of(org) -> list[tuple]:
    return list(
        OpeningHours.objects.filter(organization=org)
        .order_by("weekday", "opens_at")
        .values_list("weekday", "opens_at", "closes_at")
    )


def test_a_structure_sets_its_week_and_the_list_shows_it(client):
    place = structure("71137", hours="mardi et jeudi, 14 h – 17 h")
    client.force_login(make_member(place))
    listing = text(client.get("/logistique/horaires/"))
    assert f"/logistique/horaires/{place.pk}/" in listing
    assert "Horaires de distribution du profil : mardi et jeudi, 14 h – 17 h." in listing
    page = client.get(f"/logistique/horaires/{place.pk}/")
    assert page.status_code == 200 and "Mardi" in text(page)

    answer = client.post(
        f"/logistique/horaires/{place.pk}/",
        {"d1_0_opens_at": "09:00", "d1_0_closes_at": "11:30", "d1_1_opens_at": "14h", "d1_1_closes_at": "17:00"},
    )
    assert answer.status_code == 302
    assert hours_of(place) == [(1, dt.time(9, 0), dt.time(11, 30)), (1, dt.time(14, 0), dt.time(17, 0))]
    assert "Mardi : 09:00–11:30, 14:00–17:00" in text(client.get("/logistique/horaires/"))
    # The page shows them back, and an empty week clears them (the profile's hours again).
    assert 'value="09:00"' in text(client.get(f"/logistique/horaires/{place.pk}/"))
    assert client.post(f"/logistique/horaires/{place.pk}/", {}).status_code == 302
    assert hours_of(place) == []


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"d2_0_opens_at": "17:00", "d2_0_closes_at": "08:00"}, "d2_0_closes_at", "L'heure de fin doit être après"),
        ({"d2_0_opens_at": "25:00", "d2_0_closes_at": "26:00"}, "d2_0_opens_at", "Heure invalide (format HH:MM)."),
        ({"d2_0_opens_at": "09:00"}, "d2_0_closes_at", "Ce champ est obligatoire."),
        (
            {"d2_0_opens_at": "09:00", "d2_0_closes_at": "12:00", "d2_1_opens_at": "11:00", "d2_1_closes_at": "13:00"},
            "d2_1_opens_at",
            "Ce créneau chevauche celui de 09:00 à 12:00 le même jour.",
        ),
    ],
)
def test_bad_hours_get_a_french_error_next_to_their_field_and_change_nothing(client, posted, field, message):
    place = farm("71007")
    OpeningHours.objects.create(organization=place, weekday=0, opens_at=dt.time(8), closes_at=dt.time(10))
    client.force_login(make_member(place))
    answer = client.post(f"/logistique/horaires/{place.pk}/", posted)
    assert answer.status_code == 400
    shown = text(answer)
    assert message in shown
    assert f'id="id_{field}-error"' in shown  # next to its field
    assert hours_of(place) == [(0, dt.time(8), dt.time(10))]


def test_only_the_organizations_people_and_its_territorys_officer_edit_its_hours(client):
    territory = TerritoryFactory()
    place = farm("71007")
    client.force_login(make_member(FarmFactory()))
    assert client.get(f"/logistique/horaires/{place.pk}/").status_code == 404
    assert client.post(f"/logistique/horaires/{place.pk}/", {"d0_0_opens_at": "08:00"}).status_code == 404
    client.force_login(make_officer(territory))
    answer = client.post(f"/logistique/horaires/{place.pk}/", {"d4_0_opens_at": "07:00", "d4_0_closes_at": "09:00"})
    assert answer.status_code == 302
    assert hours_of(place) == [(4, dt.time(7), dt.time(9))]
    client.logout()
    assert client.get("/logistique/horaires/").status_code == 302
    with pytest.raises(DomainError) as caught:
        resources.opening_hours_set(by=make_member(FarmFactory()), organization=place, data=inputs.week_hours_data({}))
    assert caught.value.status_code == 403
    assert hours_of(place) == [(4, dt.time(7), dt.time(9))]


def test_the_input_names_each_bad_window_by_its_place_in_the_list():
    data = inputs.week_hours_data(
        {
            "hours": [
                {"weekday": 7, "opens_at": "08:00", "closes_at": "09:00"},
                {"weekday": 1, "opens_at": "10:00", "closes_at": "09:00"},
                "lundi",
                {"weekday": 1, "opens_at": "08:00", "closes_at": "12:00"},
            ]
        }
    )
    assert data.errors.fields == {
        "hours.0.weekday": ["Jour inconnu (0 = lundi … 6 = dimanche)."],
        "hours.1.closes_at": ["L'heure de fin doit être après l'heure de début."],
        "hours.2": ["Un créneau est attendu (jour, de, à)."],
    }
    assert inputs.week_hours_data({"hours": "lundi"}).errors.has("hours")
    assert not inputs.week_hours_data({"hours": [{"weekday": "3", "opens_at": "8h", "closes_at": "9h"}]}).errors


def test_the_round_pages_use_and_show_the_hours_that_were_entered(client):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    match = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    place = match.need.organization
    client.force_login(make_member(place))
    client.post(f"/logistique/horaires/{place.pk}/", {"d1_0_opens_at": "15:00", "d1_0_closes_at": "16:00"})
    officer = make_officer(territory)
    truck = vehicle(logistics_org(), days=(1,))
    made = rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=[match])
    delivery = made.stops.get(kind="delivery")
    assert (delivery.window_start, delivery.window_end) == (dt.time(15), dt.time(16))
    assert dt.time(15) <= delivery.arrives_at <= dt.time(16)
    client.force_login(officer)
    assert "15:00–16:00" in text(client.get(f"/logistique/tournees/{made.pk}/"))
    # The builder shows each match with the hours its structure keeps that weekday.
    other = confirmed_match(farm("71532"), place, day=tuesday)
    builder = text(client.get("/logistique/tournees/nouvelle/", {"territory": territory.pk, "day": tuesday}))
    assert f"n° {other.pk} · " in builder
    assert f"{place.name} ({place.commune.name}, 15:00–16:00)" in builder


def test_the_api_reads_and_replaces_the_week_with_the_same_checks():
    from rest_framework.test import APIClient

    place = structure("71137")
    api = APIClient()
    api.force_authenticate(make_member(place))
    url = f"/api/v1/opening-hours/{place.pk}/"
    week = {"hours": [{"weekday": 1, "opens_at": "14:00", "closes_at": "17:00"}]}
    assert api.put(url, week, format="json").json() == {"organization": place.pk, **week}
    bad = api.put(url, {"hours": [{"weekday": 1, "opens_at": "18:00", "closes_at": "17:00"}]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"hours.0.closes_at": ["L'heure de fin doit être après l'heure de début."]}
    assert api.get(url).json() == {"organization": place.pk, **week}
    stranger = APIClient()
    stranger.force_authenticate(make_member(FarmFactory()))
    assert stranger.put(url, {"hours": []}, format="json").status_code == 404
    assert hours_of(place) == [(1, dt.time(14), dt.time(17))]
