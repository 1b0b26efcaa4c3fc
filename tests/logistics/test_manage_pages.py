"""The pages to manage vehicles, hubs and cold rooms, the day's rounds and gleaning days (DSFR,
French, phone first): they use the API's inputs and services, so bad input gets the same
French error, and nothing is written. Each bad input of the issue is checked at both doors."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from actors.models import Notification
from logistics.models import GleaningDay, GleaningSignup, Hub, Round, RoundPlan, Vehicle
from tests.factories import FarmFactory, TerritoryFactory, UserFactory, make_member, make_officer, matching_offer
from tests.logistics.helpers import confirmed_match, farm, hub, logistics_org, next_tuesday, structure, vehicle

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """A page's HTML with its entities read back (« L&#x27;heure » → « L'heure »)."""
    return html_lib.unescape(response.content.decode())


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def vehicle_form(owner, **overrides) -> dict:
    values = {
        "organization": owner.pk,
        "name": "Camion frigo",
        "capacity_kg": "1 200,5",
        "is_refrigerated": "on",
        "days_available": ["1", "3"],
        "available_from": "08:00",
        "available_until": "17:00",
        "max_duration_min": "300",
    }
    values.update(overrides)
    return values


# --- Vehicles -----------------------------------------------------------------------------------


def test_a_member_adds_a_vehicle_from_the_page_and_edits_it(client):
    owner = logistics_org()
    member = make_member(owner)
    client.force_login(member)
    assert client.get("/logistique/vehicules/nouveau/").status_code == 200
    answer = client.post("/logistique/vehicules/nouveau/", vehicle_form(owner, drivers=[str(member.pk)]))
    assert answer.status_code == 302, answer.content.decode()[:3000]
    made = Vehicle.objects.get()
    assert (made.capacity_kg, made.is_refrigerated, made.days_available) == (1200.5, True, [1, 3])
    assert list(made.drivers.all()) == [member]
    listing = client.get("/logistique/vehicules/").content.decode()
    assert "Camion frigo" in listing
    edited = client.post(f"/logistique/vehicules/{made.pk}/modifier/", vehicle_form(owner, is_refrigerated=""))
    assert edited.status_code == 302
    made.refresh_from_db()
    assert made.is_refrigerated is False
    # Someone of another organization neither sees nor edits it.
    client.force_login(make_member(FarmFactory()))
    assert client.get(f"/logistique/vehicules/{made.pk}/modifier/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"capacity_kg": "-3"}, "capacity_kg", "La charge utile doit être strictement positive."),
        (
            {"available_from": "17:00", "available_until": "08:00"},
            "available_until",
            "L'heure de fin doit être après l'heure de début.",
        ),
    ],
)
def test_a_bad_vehicle_is_refused_in_french_at_the_page_and_the_api(client, overrides, field, message):
    owner = logistics_org()
    member = make_member(owner)
    client.force_login(member)
    page = client.post("/logistique/vehicules/nouveau/", vehicle_form(owner, **overrides))
    assert page.status_code == 400
    assert message in text(page)
    body = {"organization": owner.pk, "name": "Camion", "capacity_kg": 500, **overrides}
    body["capacity_kg"] = float(str(body["capacity_kg"]).replace(",", "."))
    answer = api_for(member).post("/api/v1/vehicles/", body, format="json")
    assert answer.status_code == 400
    assert answer.json()["fields"][field] == [message]
    assert not Vehicle.objects.exists()


# --- Hubs and cold rooms -------------------------------------------------------------------------


def test_a_hub_is_added_from_the_page_by_its_commune_name_and_listed_for_everyone(client):
    owner = logistics_org()
    client.force_login(make_member(owner))
    answer = client.post(
        "/logistique/hubs/nouveau/",
        {
            "organization": owner.pk,
            "name": "Chambre froide de la banque alimentaire",
            "commune": "Cluny",
            "chilled_capacity_kg": "800",
            "frozen_capacity_kg": "200",
            "dry_capacity_kg": "3000",
            "opening_days": ["0", "1", "2"],
            "opens_at": "07:30",
            "closes_at": "16:00",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    made = Hub.objects.get()
    assert (made.commune.insee_code, made.chilled_capacity_kg, made.opens_at) == ("71137", 800, dt.time(7, 30))
    client.logout()
    assert "Chambre froide de la banque alimentaire" in client.get("/logistique/hubs/").content.decode()


def test_a_hub_whose_hours_end_before_they_start_is_refused_and_not_written(client):
    owner = logistics_org()
    member = make_member(owner)
    client.force_login(member)
    values = {"organization": owner.pk, "name": "Hub", "commune": "71137", "opens_at": "18:00", "closes_at": "08:00"}
    page = client.post("/logistique/hubs/nouveau/", values)
    assert page.status_code == 400 and "L'heure de fin doit être après l'heure de début." in text(page)
    answer = api_for(member).post("/api/v1/hubs/", values, format="json")
    assert answer.status_code == 400 and answer.json()["fields"]["closes_at"]
    assert not Hub.objects.exists()


# --- Rounds -------------------------------------------------------------------------------------


def test_an_officer_plans_a_day_through_a_hub_from_the_page(client, django_capture_on_commit_callbacks):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()
    platform = hub(owner)
    vehicle(owner, days=(1,), hub=platform)
    confirmed_match(farm("71007"), structure("71240"), day=tuesday)
    client.force_login(make_officer(territory))
    assert client.get("/logistique/tournees/calculer/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/logistique/tournees/calculer/",
            {"territory": territory.pk, "day": tuesday.isoformat(), "hub": platform.pk, "cross_dock": "on"},
        )
    assert answer.status_code == 302
    assert RoundPlan.objects.get().cross_dock
    assert set(Round.objects.values_list("leg", flat=True)) == {"to_hub", "from_hub"}


def test_a_round_with_a_stop_outside_the_territory_is_refused_by_the_api_and_nothing_is_written():
    territory, tuesday = TerritoryFactory(), next_tuesday()
    inside = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    outside = confirmed_match(farm("71076"), structure("71240"), day=tuesday)  # Chalon-sur-Saône
    truck = vehicle(days=(1,))
    answer = api_for(make_officer(territory)).post(
        "/api/v1/rounds/",
        {
            "territory": territory.pk,
            "day": tuesday.isoformat(),
            "vehicle": truck.pk,
            "matches": [inside.pk, outside.pk],
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "hors du territoire" in answer.json()["fields"]["matches"][0]
    assert not Round.objects.exists()
    ok = api_for(make_officer(territory)).post(
        "/api/v1/rounds/",
        {"territory": territory.pk, "day": tuesday.isoformat(), "vehicle": truck.pk, "matches": [inside.pk]},
        format="json",
    )
    assert ok.status_code == 201 and [s["kind"] for s in ok.json()["stops"]][1:3] == ["pickup", "delivery"]


# --- Gleaning days ------------------------------------------------------------------------------


def gleaning_form(offer, **overrides) -> dict:
    values = {
        "offer": offer.pk,
        "place": "Verger du Bourg",
        "commune": "Cluny",
        "date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        "starts_at": "09:00",
        "ends_at": "17:00",
        "slot_0_starts_at": "09:00",
        "slot_0_ends_at": "12:00",
        "slot_0_volunteer_capacity": "3",
        "slot_1_starts_at": "14:00",
        "slot_1_ends_at": "17:00",
        "slot_1_volunteer_capacity": "5",
    }
    values.update(overrides)
    return values


def a_gleaning_day(client):
    offer = matching_offer(farm("71007"), logistics=["gleaning"])
    organiser = make_member(offer.organization)
    client.force_login(organiser)
    answer = client.post("/logistique/glanage/nouvelle/", gleaning_form(offer))
    assert answer.status_code == 302, answer.content.decode()[:3000]
    return GleaningDay.objects.get(), organiser


def test_a_farm_organises_posts_and_confirms_a_gleaning_day_from_its_pages(client):
    day, _organiser = a_gleaning_day(client)
    assert [(s.starts_at, s.volunteer_capacity) for s in day.slots.all()] == [(dt.time(9), 3), (dt.time(14), 5)]
    assert client.post(f"/logistique/glanage/{day.pk}/annoncer/").status_code == 302
    # No confirmation without the agreement and the insurance.
    refused = client.post(f"/logistique/glanage/{day.pk}/confirmer/", {"agreement_reference": "CONV-2026-12"})
    assert refused.status_code == 400
    assert "L'assurance responsabilité civile est obligatoire pour confirmer." in text(refused)
    day.refresh_from_db()
    assert day.status == "posted"
    done = client.post(
        f"/logistique/glanage/{day.pk}/confirmer/",
        {"agreement_reference": "CONV-2026-12", "insurance_reference": "MAIF 123456"},
    )
    assert done.status_code == 302
    day.refresh_from_db()
    assert (day.status, day.insurance_reference) == ("confirmed", "MAIF 123456")


def test_a_gleaning_slot_ending_before_it_starts_is_refused_on_its_row(client):
    offer = matching_offer(farm("71007"), logistics=["gleaning"])
    client.force_login(make_member(offer.organization))
    page = client.post(
        "/logistique/glanage/nouvelle/", gleaning_form(offer, slot_1_starts_at="16:00", slot_1_ends_at="15:00")
    )
    assert page.status_code == 400
    html = text(page)
    assert 'id="id_slot_1_ends_at-error"' in html and "L'heure de fin doit être après l'heure de début." in html
    assert not GleaningDay.objects.exists()


def test_a_resident_signs_up_without_an_account_with_name_and_consent_and_a_full_slot_refuses(client):
    day, organiser = a_gleaning_day(client)
    client.post(f"/logistique/glanage/{day.pk}/annoncer/")
    morning = day.slots.order_by("starts_at").first()
    client.logout()
    page = client.get(f"/logistique/glanage/{day.pk}/")
    assert page.status_code == 200 and "Pas besoin de compte" in text(page)
    no_consent = client.post(
        f"/logistique/glanage/{day.pk}/inscription/", {"slot": morning.pk, "name": "Sam Martin", "volunteers": "1"}
    )
    assert no_consent.status_code == 400
    assert "Votre accord est nécessaire" in text(no_consent)
    ok = client.post(
        f"/logistique/glanage/{day.pk}/inscription/",
        {"slot": morning.pk, "name": "Sam Martin", "email": "sam@example.org", "volunteers": "2", "consent": "on"},
    )
    assert ok.status_code == 302
    signup = GleaningSignup.objects.get()
    assert (signup.name, signup.user, signup.consent, signup.volunteers) == ("Sam Martin", None, True, 2)
    # Two more than the slot expects: refused at the page and at the API, nothing written.
    full = client.post(
        f"/logistique/glanage/{day.pk}/inscription/",
        {"slot": morning.pk, "name": "Alex", "volunteers": "2", "consent": "on"},
    )
    assert full.status_code == 400
    assert "Ce créneau est complet : il reste 1 place(s) sur 3." in text(full)
    api = APIClient().post(
        f"/api/v1/gleanings/{day.pk}/slots/{morning.pk}/signup/",
        {"name": "Alex", "volunteers": 2, "consent": True},
        format="json",
    )
    assert api.status_code == 400 and api.json()["fields"]["volunteers"]
    assert GleaningSignup.objects.count() == 1

    # Moving the day tells the resident (e-mail) and the people with an account (notification).
    member_user = UserFactory()
    GleaningSignup.objects.create(slot=morning, user=member_user, name="Camille", volunteers=1, consent=True)
    client.force_login(organiser)
    mail.outbox.clear()
    new_date = day.date + dt.timedelta(days=1)
    moved = client.post(
        f"/logistique/glanage/{day.pk}/deplacer/",
        {"date": new_date.isoformat(), "starts_at": "10:00", "ends_at": "18:00"},
        follow=False,
    )
    assert moved.status_code == 302
    day.refresh_from_db()
    assert (day.date, day.starts_at) == (new_date, dt.time(10))
    assert Notification.objects.filter(user=member_user, kind="gleaning_moved").exists()


def test_moving_a_day_to_hours_ending_before_they_start_is_refused(client):
    day, _organiser = a_gleaning_day(client)
    page = client.post(
        f"/logistique/glanage/{day.pk}/deplacer/",
        {"date": day.date.isoformat(), "starts_at": "15:00", "ends_at": "09:00"},
    )
    assert page.status_code == 400 and "L'heure de fin doit être après l'heure de début." in text(page)
    day.refresh_from_db()
    assert day.starts_at == dt.time(9)


# --- Navigation ---------------------------------------------------------------------------------


def test_the_header_leads_the_roles_concerned_to_logistics(client):
    assert 'href="/logistique/glanage/"' in client.get("/").content.decode()
    territory = TerritoryFactory()
    client.force_login(make_officer(territory))
    html = client.get("/").content.decode()
    assert 'href="/logistique/tournees/"' in html and 'href="/logistique/vehicules/"' in html
    assert 'href="/logistique/tournees/calculer/"' in html
    client.force_login(make_member(farm("71007")))
    assert 'href="/logistique/tournees/"' in client.get("/").content.decode()


def test_the_insurance_may_be_a_pdf_uploaded_on_the_page_and_anything_else_is_refused(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    day, _organiser = a_gleaning_day(client)
    not_pdf = client.post(
        f"/logistique/glanage/{day.pk}/confirmer/",
        {
            "agreement_reference": "CONV-1",
            "insurance_document": SimpleUploadedFile("assurance.pdf", b"GIF89a...", "application/pdf"),
        },
    )
    assert not_pdf.status_code == 400 and "Le document doit être un PDF." in text(not_pdf)
    day.refresh_from_db()
    assert (day.status, day.agreement_reference, bool(day.insurance_document)) == ("draft", "", False)
    done = client.post(
        f"/logistique/glanage/{day.pk}/confirmer/",
        {
            "agreement_reference": "CONV-1",
            "insurance_document": SimpleUploadedFile("assurance.pdf", b"%PDF-1.4 attestation", "application/pdf"),
        },
    )
    assert done.status_code == 302
    day.refresh_from_db()
    assert day.status == "confirmed" and day.has_insurance and day.insurance_document.name.endswith(".pdf")
