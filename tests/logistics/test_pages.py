"""Round pages on a phone (DSFR), the printable round sheet, the reminders of the beat jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from actors.models import Notification, Organization
from logistics.models import Round
from logistics.services import rounds
from miam.beat import BEAT_SCHEDULE
from tests.factories import FarmFactory, TerritoryFactory, UserFactory, make_member, make_officer
from tests.logistics.helpers import confirmed_match, farm, logistics_org, structure, vehicle

pytestmark = pytest.mark.django_db


def a_round(day=None, **vehicle_fields):
    territory = TerritoryFactory()
    day = day or timezone.localdate() + dt.timedelta(days=1)
    owner = logistics_org()
    truck = vehicle(owner, days=(day.weekday(),), **vehicle_fields)
    the_farm = farm("71007")
    Organization.objects.filter(pk=the_farm.pk).update(phone="03 85 00 00 01", address="2 chemin des Vignes")
    match = confirmed_match(the_farm, structure("71137", hours="9 h – 12 h"), day=day)
    made = rounds.round_create(by=make_officer(territory), territory=territory, day=day, vehicle=truck, matches=[match])
    return made, owner, match


def test_the_round_page_shows_each_stop_time_slot_to_the_farm(client):
    made, _owner, match = a_round()
    client.force_login(make_member(match.offer.organization))
    page = client.get(f"/logistique/tournees/{made.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert match.offer.organization.name in html and "09:00–12:00" in html
    assert "03 85 00 00 01" not in html  # contacts are for the driver and the officers
    assert client.get("/logistique/tournees/").status_code == 200


def test_a_stranger_does_not_see_a_round(client):
    made, _owner, _match = a_round()
    client.force_login(UserFactory())
    assert client.get(f"/logistique/tournees/{made.pk}/").status_code == 404


def test_the_round_sheet_is_a_pdf_with_the_contacts_for_the_driver(client):
    made, owner, _match = a_round()
    driver = make_member(owner, role="member")
    client.force_login(driver)
    claimed = client.post(f"/logistique/tournees/{made.pk}/conduire/")
    assert claimed.status_code == 302
    made.refresh_from_db()
    assert made.driver == driver
    sheet = client.get(f"/logistique/tournees/{made.pk}/feuille.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    from django.template.loader import render_to_string
    from weasyprint import HTML  # noqa: F401  (the sheet's text: rendered from the same template)

    text = render_to_string(
        "logistics/round_sheet.html", {"round": made, "stops": list(made.stops.all()), "contacts": True}
    )
    assert "03 85 00 00 01" in text and "2 chemin des Vignes" in text


def test_the_day_before_the_driver_and_the_farm_are_reminded_once():
    made, owner, match = a_round()
    driver = make_member(owner, role="member")
    rounds.round_claim(round_=made, by=driver)
    farmer = make_member(match.offer.organization)
    today = made.day - dt.timedelta(days=1)
    assert rounds.rounds_remind_tomorrow(today=today) == 1
    assert rounds.rounds_remind_tomorrow(today=today) == 0
    assert Notification.objects.filter(user=driver, kind="round_reminder").count() == 1
    assert Notification.objects.get(user=farmer, kind="round_slot").title.startswith("Demain, enlèvement")


def test_the_officer_is_alerted_when_a_round_has_no_driver_24_hours_ahead():
    made, _owner, _match = a_round()
    officer = make_officer(made.territory)
    start = timezone.make_aware(dt.datetime.combine(made.day, made.starts_at))
    assert rounds.rounds_alert_unassigned(now=start - dt.timedelta(hours=30)) == 0  # not yet
    assert rounds.rounds_alert_unassigned(now=start - dt.timedelta(hours=20)) == 1
    assert rounds.rounds_alert_unassigned(now=start - dt.timedelta(hours=19)) == 0  # once
    assert Notification.objects.filter(user=officer, kind="round_no_driver").count() == 1
    assert Round.objects.get().unassigned_alerted_at is not None


def test_the_reminders_are_beat_jobs():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {"logistics.tasks.rounds_remind", "logistics.tasks.rounds_alert_unassigned"} <= tasks


def test_the_rounds_export_has_one_row_per_stop(client):
    made, owner, _match = a_round()
    client.force_login(make_member(owner))
    answer = client.get("/logistique/tournees/export.csv")
    assert answer.status_code == 200
    lines = answer.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Jour;Véhicule;") and len(lines) == 1 + made.stops.count()


def test_the_rounds_api_list_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    from rest_framework.test import APIClient

    owner = None
    for _ in range(3):
        made, owner, _match = a_round()
    api = APIClient()
    api.force_authenticate(make_member(owner))
    with django_assert_max_num_queries(8):
        answer = api.get("/api/v1/rounds/")
    assert answer.status_code == 200 and len(answer.json()["results"]) >= 1


def test_a_farm_sees_its_time_slot_of_the_coming_round_on_its_space(client):
    made, _owner, match = a_round()
    client.force_login(make_member(match.offer.organization))
    html = client.get("/mon-espace/").content.decode()
    pickup = made.stops.get(kind="pickup")
    assert 'id="round-slots"' in html and f"/logistique/tournees/{made.pk}/" in html
    assert f"{pickup.arrives_at:%H:%M}" in html
    client.force_login(make_member(FarmFactory()))
    assert 'id="round-slots"' not in client.get("/mon-espace/").content.decode()
