"""Building a round by hand (« Composer une tournée »): a logistics coordinator or the territory's
officer picks a vehicle, a day and confirmed matches; the planner orders the stops; the page
shows the km, the load against the payload and the out-of-fridge check, then saves; the round
is edited or cancelled before it runs. Bad input gets a French error on its field, nothing saved."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest
from rest_framework.test import APIClient

from actors.models import Notification
from logistics.models import OpeningHours, Round, Stop
from logistics.services import rounds
from miam.errors import DomainError
from tests.factories import FarmFactory, TerritoryFactory, make_member, make_officer
from tests.logistics.helpers import (
    confirmed_match,
    farm,
    logistics_org,
    next_tuesday,
    structure,
    three_matches,
    vehicle,
)

pytestmark = pytest.mark.django_db

NEW = "/logistique/tournees/nouvelle/"


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def body(territory, day, truck, matches, action="save") -> dict:
    return {
        "territory": territory.pk,
        "day": day.isoformat(),
        "vehicle": truck.pk,
        "lots": [m.pk for m in matches],  # the page's name of the matches field
        "step": action,
    }


@pytest.fixture
def scene():
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()  # in Cluny: a logistics organization of the territory
    truck = vehicle(owner, days=(1,), capacity=1000)
    return territory, tuesday, owner, truck


def test_a_coordinator_lists_the_days_matches_previews_the_order_and_saves_the_round(client, scene):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    client.force_login(make_member(owner, role="member"))

    listing = text(client.get("/logistique/tournees/"))
    assert NEW in listing
    page = text(client.get(NEW, {"territory": territory.pk, "day": tuesday.isoformat()}))
    for match in matches:
        assert f'name="lots" value="{match.pk}"' in page  # each confirmed match of the day is a stop to pick
    assert "08:00–18:00" in page  # the hours the planner will keep, next to each match

    preview = client.post(NEW, body(territory, tuesday, truck, matches, action="preview"))
    assert preview.status_code == 200, text(preview)[:3000]
    shown = text(preview)
    assert 'id="draft"' in shown and "km (un aller-retour par mise en relation" in shown
    assert "Charge maximale à bord : 300 kg pour une charge utile de 1000 kg" in shown
    assert shown.count('class="draft-stop"') == 8  # start, 3 pick-ups, 3 deliveries, return
    assert not Round.objects.exists()  # a preview writes nothing

    saved = client.post(NEW, body(territory, tuesday, truck, matches))
    assert saved.status_code == 302
    made = Round.objects.get()
    assert saved["Location"] == f"/logistique/tournees/{made.pk}/"
    assert (made.vehicle, made.day, made.territory, made.plan) == (truck, tuesday, territory, None)
    assert sorted(made.stops.filter(kind="pickup").values_list("match_id", flat=True)) == sorted(m.pk for m in matches)
    assert float(made.max_load_kg) <= 1000
    # The matches it carries are no longer offered to another round that day.
    again = text(client.get(NEW, {"territory": territory.pk, "day": tuesday.isoformat()}))
    assert all(f'name="lots" value="{m.pk}"' not in again for m in matches)


def test_the_territorys_officer_builds_a_round_and_others_may_not(client, scene):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    client.force_login(make_officer(territory))
    assert client.post(NEW, body(territory, tuesday, truck, matches)).status_code == 302
    assert Round.objects.count() == 1
    Round.objects.all().delete()

    # A farm's member, an officer of another territory, a logistics organization elsewhere: no.
    elsewhere = TerritoryFactory(epci_codes=["200070266"])
    outsiders = [
        make_member(FarmFactory()),
        make_officer(elsewhere),
        make_member(logistics_org("71076")),  # Chalon-sur-Saône, outside the Clunisois
    ]
    for person in outsiders:
        client.force_login(person)
        # The officer elsewhere may compose their own territory's rounds, never this one's.
        assert client.get(NEW).status_code == (200 if person == outsiders[1] else 403)
        refused = client.post(NEW, body(territory, tuesday, truck, matches))
        assert refused.status_code == 403
        if person == outsiders[1]:
            assert "organisent ses tournées" in text(refused)
        with pytest.raises(DomainError) as caught:
            rounds.round_create(by=person, territory=territory, day=tuesday, vehicle=truck, matches=matches)
        assert caught.value.status_code == 403
    assert not Round.objects.exists()
    client.logout()
    assert client.get(NEW).status_code == 302  # to the login page


def post_refused(client, territory, day, truck, matches, field: str) -> str:
    answer = client.post(NEW, body(territory, day, truck, matches))
    assert answer.status_code == 400
    assert not Round.objects.exists() and not Stop.objects.exists()
    return text(answer)


def test_a_lot_heavier_than_the_payload_is_refused_with_the_figures(client, scene):
    territory, tuesday, owner, truck = scene
    heavy = confirmed_match(farm("71007"), structure("71137"), day=tuesday, kg=1200)
    client.force_login(make_officer(territory))
    page = post_refused(client, territory, tuesday, truck, [heavy], "matches")
    assert f"Le lot n° {heavy.pk} (1200 kg) dépasse la charge utile du véhicule (1000 kg)." in page


def test_two_lots_over_the_payload_together_are_carried_one_after_the_other(scene):
    """Load vs payload is the load on board along the way, not the sum of the lots."""
    territory, tuesday, owner, truck = scene
    first = confirmed_match(farm("71007"), structure("71137"), day=tuesday, kg=600)
    second = confirmed_match(farm("71532"), structure("71240"), day=tuesday, kg=600)
    draft = rounds.round_draft(
        by=make_officer(territory), territory=territory, day=tuesday, vehicle=truck, matches=[first, second]
    )
    assert draft.max_load_kg == 600 and draft.payload_kg == 1000
    kinds = [s["kind"] for s in draft.stops()]
    assert kinds == ["start", "pickup", "delivery", "pickup", "delivery", "end"]


def test_a_frozen_lot_in_a_dry_vehicle_is_refused_on_the_vehicle(client, scene):
    territory, tuesday, owner, _truck = scene
    dry = vehicle(owner, days=(1,), refrigerated=False, name="Fourgon sec")
    frozen = confirmed_match(farm("71007"), structure("71137"), day=tuesday, category="dairy", storage="frozen")
    client.force_login(make_officer(territory))
    page = post_refused(client, territory, tuesday, dry, [frozen], "vehicle")
    assert f"Le lot n° {frozen.pk} est congelé (≤ −18 °C) : il ne voyage qu'en véhicule réfrigéré" in page


def test_a_chilled_lot_close_by_rides_a_dry_vehicle_and_the_page_shows_its_time_out_of_the_fridge(client, scene):
    territory, tuesday, owner, _truck = scene
    dry = vehicle(owner, days=(1,), refrigerated=False, name="Fourgon sec")
    chilled = confirmed_match(farm("71240"), structure("71137"), day=tuesday, category="dairy", storage="chilled")
    client.force_login(make_officer(territory))
    shown = text(client.post(NEW, body(territory, tuesday, dry, [chilled], action="preview")))
    assert f"Lot n° {chilled.pk} : " in shown and "min hors du froid, 30 min permises." in shown
    assert 'data-ok="1"' in shown


def test_a_match_of_another_territory_is_refused_and_nothing_is_saved(client, scene):
    territory, tuesday, owner, truck = scene
    inside = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    outside = confirmed_match(farm("71076"), structure("71240"), day=tuesday)  # Chalon-sur-Saône
    client.force_login(make_member(owner))
    page = post_refused(client, territory, tuesday, truck, [inside, outside], "matches")
    assert "Ces arrêts sont hors du territoire" in page and "Chalon-sur-Saône" in page


def test_a_vehicle_that_does_not_serve_the_territory_or_that_day_is_refused(scene):
    territory, tuesday, owner, truck = scene
    match = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    far = vehicle(logistics_org("71076"), days=(1,), name="Camion de Chalon")
    monday_only = vehicle(owner, days=(0,), name="Camion du lundi")
    officer = make_officer(territory)
    for other, message in ((far, "ne sert pas le territoire"), (monday_only, "pas disponible ce jour-là")):
        with pytest.raises(DomainError) as caught:
            rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=other, matches=[match])
        assert message in caught.value.fields["vehicle"][0]
    assert not Round.objects.exists()


def test_a_match_already_on_a_round_or_of_another_day_is_refused(scene):
    territory, tuesday, owner, truck = scene
    officer = make_officer(territory)
    carried = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=[carried])
    other = vehicle(owner, days=(1,), name="Second camion")
    wednesday = confirmed_match(farm("71532"), structure("71240"), day=tuesday + dt.timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=other, matches=[carried, wednesday])
    errors = " ".join(caught.value.fields["matches"])
    assert f"La mise en relation n° {carried.pk} est déjà dans la tournée de Camion" in errors
    assert f"prévues un autre jour (n° {wednesday.pk})" in errors
    assert Round.objects.count() == 1


def test_a_round_is_edited_before_it_runs_and_keeps_its_page(client, scene):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    officer = make_officer(territory)
    made = rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=matches[:1])
    driver = make_member(owner, role="member")
    rounds.round_claim(round_=made, by=driver)
    client.force_login(officer)
    page = text(client.get(f"/logistique/tournees/{made.pk}/"))
    assert f"/logistique/tournees/{made.pk}/modifier/" in page
    edit = text(client.get(f"/logistique/tournees/{made.pk}/modifier/"))
    assert f'name="lots" value="{matches[1].pk}"' in edit
    assert f'name="lots" value="{matches[0].pk}" id="id_lots_0" checked' in edit

    answer = client.post(f"/logistique/tournees/{made.pk}/modifier/", body(territory, tuesday, truck, matches))
    assert answer.status_code == 302
    made.refresh_from_db()
    assert made.stops.filter(kind="pickup").count() == 3
    assert made.driver == driver  # same day, same vehicle: the driver keeps it
    other = vehicle(owner, days=(1,), name="Autre camion")
    rounds.round_update(by=officer, round_=made, day=tuesday, vehicle=other, matches=matches[:2])
    made.refresh_from_db()
    assert (made.vehicle, made.driver, made.status) == (other, None, "planned")
    assert made.stops.filter(kind="pickup").count() == 2
    assert "pooled_round" not in [r["code"] for r in matches[2].__class__.objects.get(pk=matches[2].pk).reasons]


def test_a_round_is_cancelled_before_it_runs_its_driver_is_told_and_a_past_one_stays(client, scene):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    officer = make_officer(territory)
    made = rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=matches)
    driver = make_member(owner, role="member")
    rounds.round_claim(round_=made, by=driver)
    client.force_login(make_member(FarmFactory()))
    assert client.post(f"/logistique/tournees/{made.pk}/annuler/").status_code == 404  # not one of theirs
    client.force_login(officer)
    assert client.post(f"/logistique/tournees/{made.pk}/annuler/").status_code == 302
    made.refresh_from_db()
    assert made.status == "cancelled"
    assert Notification.objects.filter(user=driver, kind="round_cancelled").exists()
    # Its matches may go on another round now.
    again = rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=matches)
    assert again.pk != made.pk
    with pytest.raises(DomainError) as caught:
        rounds.round_cancel(by=officer, round_=made)
    assert caught.value.code == "round_closed"
    past = Round.objects.filter(pk=again.pk)
    past.update(day=tuesday - dt.timedelta(days=14))
    with pytest.raises(DomainError):
        rounds.round_update(by=officer, round_=past.get(), day=tuesday, vehicle=truck, matches=matches)


def test_a_round_made_by_hand_keeps_its_matches_when_the_day_is_planned_again(
    scene, django_capture_on_commit_callbacks
):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    officer = make_officer(territory)
    by_hand = rounds.round_create(by=officer, territory=territory, day=tuesday, vehicle=truck, matches=matches[:1])
    with django_capture_on_commit_callbacks(execute=True):
        plan = rounds.round_plan_request(by=officer, territory=territory, day=tuesday)
    plan.refresh_from_db()
    assert plan.counts["matches"] == 2  # the hand-made round's match is not planned twice
    assert Stop.objects.filter(match=matches[0], kind="pickup").count() == 1
    assert Round.objects.filter(pk=by_hand.pk).exists()


def test_the_stops_opening_hours_are_those_the_planner_keeps(client, scene):
    territory, tuesday, owner, truck = scene
    match = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    OpeningHours.objects.create(
        organization=match.need.organization, weekday=1, opens_at=dt.time(14, 0), closes_at=dt.time(16, 30)
    )
    client.force_login(make_officer(territory))
    shown = text(client.post(NEW, body(territory, tuesday, truck, [match], action="preview")))
    assert "14:00–16:30" in shown
    delivery = next(
        s
        for s in rounds.round_draft(
            by=make_officer(territory), territory=territory, day=tuesday, vehicle=truck, matches=[match]
        ).stops()
        if s["kind"] == "delivery"
    )
    assert dt.time(14, 0) <= delivery["arrives_at"] <= dt.time(16, 30)


def test_the_api_refuses_an_overloaded_round_like_the_page(scene):
    territory, tuesday, owner, truck = scene
    heavy = confirmed_match(farm("71007"), structure("71137"), day=tuesday, kg=1200)
    api = APIClient()
    api.force_authenticate(make_member(owner))
    answer = api.post(
        "/api/v1/rounds/",
        {"territory": territory.pk, "day": tuesday.isoformat(), "vehicle": truck.pk, "matches": [heavy.pk]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_round"
    assert f"Le lot n° {heavy.pk} (1200 kg) dépasse la charge utile" in answer.json()["fields"]["matches"][0]
    assert not Round.objects.exists()


def test_the_api_previews_changes_and_cancels_a_round_by_hand(scene):
    territory, tuesday, owner, truck = scene
    matches = three_matches(tuesday)
    api = APIClient()
    api.force_authenticate(make_member(owner))
    request = {"territory": territory.pk, "day": tuesday.isoformat(), "vehicle": truck.pk, "matches": [matches[0].pk]}
    preview = api.post("/api/v1/rounds/preview/", request, format="json")
    assert preview.status_code == 200, preview.content
    shown = preview.json()
    assert shown["payload_kg"] == 1000 and shown["max_load_kg"] == 100
    assert [s["kind"] for s in shown["stops"]] == ["start", "pickup", "delivery", "end"]
    assert not Round.objects.exists()

    made = api.post("/api/v1/rounds/", request, format="json").json()
    changed = api.patch(
        f"/api/v1/rounds/{made['id']}/",
        {"day": tuesday.isoformat(), "vehicle": truck.pk, "matches": [m.pk for m in matches]},
        format="json",
    )
    assert changed.status_code == 200
    assert len([s for s in changed.json()["stops"] if s["kind"] == "pickup"]) == 3
    overloaded = confirmed_match(farm("71057"), structure("71264"), day=tuesday, kg=1500)
    refused = api.patch(
        f"/api/v1/rounds/{made['id']}/",
        {"day": tuesday.isoformat(), "vehicle": truck.pk, "matches": [overloaded.pk]},
        format="json",
    )
    assert refused.status_code == 400
    assert Stop.objects.filter(round_id=made["id"], kind="pickup").count() == 3  # unchanged
    cancelled = api.post(f"/api/v1/rounds/{made['id']}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    farmer = APIClient()
    farmer.force_authenticate(make_member(matches[0].offer.organization))
    assert farmer.post(f"/api/v1/rounds/{made['id']}/cancel/").status_code == 403


def test_a_coordinator_builds_a_round_with_another_organizations_van_and_follows_it(client, scene):
    territory, tuesday, owner, _truck = scene
    van = vehicle(farm("71532"), days=(1,), name="Fourgon de la ferme")  # lent by a farm of the territory
    match = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    coordinator = make_member(owner, role="member")
    client.force_login(coordinator)
    saved = client.post(NEW, body(territory, tuesday, van, [match]))
    assert saved.status_code == 302
    made = Round.objects.get(vehicle=van)
    page = client.get(f"/logistique/tournees/{made.pk}/")
    assert page.status_code == 200 and "Modifier la tournée" in text(page)
    assert f"/logistique/tournees/{made.pk}/" in text(client.get("/logistique/tournees/"))
