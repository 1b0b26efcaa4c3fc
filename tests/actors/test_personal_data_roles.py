"""The rights to export and erasure work for every role: farmer, structure member, officer, staff."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.sessions.models import Session

from actors import services
from actors.models import Invitation, User
from meetings.models import Action, ActionNote, CalendarToken, DiagnosticInterview, MeetingInvitation, Registration
from offers.models import Delivery, Match, Need, Offer
from tests.factories import (
    FarmFactory,
    MeetingFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    make_member,
    make_officer,
)

TODAY = dt.date.today()


@pytest.fixture
def world(geo):
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    farm, structure = FarmFactory(name="Ferme du Moulin"), StructureFactory(name="Épicerie de Cluny")
    meeting = MeetingFactory(territory=territory, title="Réunion des acteurs")
    return {"territory": territory, "farm": farm, "structure": structure, "meeting": meeting}


def _delivered(farm, structure, *, received_by=None, offer_by=None, need_by=None) -> Delivery:
    offer = Offer.objects.create(
        organization=farm,
        category=_sample_category(),
        product_name="Pommes",
        quantity=50,
        unit="kg",
        window_start=TODAY - dt.timedelta(days=5),
        window_end=TODAY,
        status="fully_matched",
        created_by=offer_by,
    )
    need = Need.objects.create(
        organization=structure,
        title="Fruits",
        quantity=50,
        window_start=TODAY - dt.timedelta(days=5),
        window_end=TODAY,
        status="fully_matched",
        created_by=need_by,
    )
    match = Match.objects.create(offer=offer, need=need, quantity=50, quantity_kg=50, status="closed")
    return Delivery.objects.create(
        match=match, delivered_on=TODAY, mode="delivery", quantity_received=50, unit="kg", received_by=received_by
    )


def _export(client, user) -> dict:
    client.force_login(user)
    response = client.get("/profil/export/")
    assert response.status_code == 200
    return json.loads(response.content)


def _delete_through_the_page(client, user):
    client.force_login(user)
    response = client.post("/profil/supprimer/")
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert Session.objects.count() == 0  # logged out too


def _sample_category():
    from products.models import ProductCategory

    return ProductCategory.objects.get(code="potatoes")


def test_a_farmer_exports_offers_and_registrations_then_erases_the_account(world, client):
    farmer = make_member(world["farm"], email="ferme@example.org")
    delivery = _delivered(world["farm"], world["structure"], offer_by=farmer)
    registration = Registration.objects.create(
        meeting=world["meeting"], user=farmer, actor_kind="farm", note="Fauteuil roulant", attended=True
    )
    Invitation.objects.create(
        email="FERME@example.org", token_hash="x" * 64, organization=world["farm"], expires_at=world["meeting"].ends_at
    )
    data = _export(client, farmer)
    assert [o["product_name"] for o in data["offers_created"]] == ["Pommes"]
    assert data["meeting_registrations"][0]["note"] == "Fauteuil roulant"
    assert data["invitations"][0]["organization"] == "Ferme du Moulin"
    _delete_through_the_page(client, farmer)
    registration.refresh_from_db()
    # The attendance still counts one participant, who is no longer anyone.
    assert (registration.user_id, registration.attended, registration.note) == (None, True, "")
    assert registration.guest_email == "" and "supprimé" in registration.guest_name
    assert Offer.objects.get(pk=delivery.match.offer_id).created_by is None
    assert not Invitation.objects.filter(email__iexact="ferme@example.org").exists()


def test_a_structure_member_exports_needs_and_deliveries_received_then_erases(world, client):
    member = make_member(world["structure"], email="benevole@example.org")
    delivery = _delivered(world["farm"], world["structure"], received_by=member, need_by=member)
    Registration.objects.create(
        meeting=world["meeting"], organization=world["structure"], user=member, actor_kind="structure", note="2 pers."
    )
    # A guest registration and an invitation made with the same e-mail, before the account existed.
    other = MeetingFactory(territory=world["territory"])
    Registration.objects.create(
        meeting=other, guest_name="Line", guest_email="Benevole@example.org", guest_consent=True, actor_kind="person"
    )
    MeetingInvitation.objects.create(meeting=other, email="benevole@example.org")
    data = _export(client, member)
    assert [d["quantity_received"] for d in data["deliveries_received"]] == ["50.000"]
    assert [n["title"] for n in data["needs_created"]] == ["Fruits"]
    assert len(data["meeting_registrations"]) == 2 and len(data["meeting_invitations"]) == 1
    _delete_through_the_page(client, member)
    delivery.refresh_from_db()
    assert delivery.received_by is None and delivery.quantity_received == 50  # the indicators keep it
    org_registration = Registration.objects.get(meeting=world["meeting"])
    assert org_registration.organization_id == world["structure"].pk and org_registration.user_id is None
    assert not Registration.objects.filter(guest_email__iexact="benevole@example.org").exists()
    assert not MeetingInvitation.objects.filter(email__iexact="benevole@example.org").exists()


def test_an_officer_who_owns_actions_can_erase_the_account_and_the_actions_pass_on(world, client):
    territory = world["territory"]
    officer = make_officer(territory, email="cm@pat.example.org")
    colleague = make_officer(territory, email="cm2@pat.example.org")
    action = Action.objects.create(meeting=world["meeting"], title="Relancer les fermes", owner_user=officer)
    ActionNote.objects.create(action=action, author=officer, text="Trois appels faits")
    DiagnosticInterview.objects.create(
        territory=territory, organization=world["structure"], interviewer=officer, held_on=TODAY, current_actions="Rien"
    )
    CalendarToken.objects.create(user=officer, territory=territory)
    data = _export(client, officer)
    assert data["actions_owned"] == [
        {
            "title": "Relancer les fermes",
            "meeting": "Réunion des acteurs",
            "status": "todo",
            "due_date": None,
            "notes": [{"text": "Trois appels faits", "created_at": data["actions_owned"][0]["notes"][0]["created_at"]}],
        }
    ]
    assert data["action_notes_written"][0]["text"] == "Trois appels faits"
    assert data["diagnostic_interviews"][0]["current_actions"] == "Rien"
    assert data["calendar_feeds"][0]["territory"] == "PAT du Clunisois"
    assert "token" not in data["calendar_feeds"][0]
    _delete_through_the_page(client, officer)  # was a 500 (protected foreign key)
    action.refresh_from_db()
    assert (action.owner_user_id, action.owner_organization_id) == (colleague.pk, None)
    assert ActionNote.objects.get().author is None
    assert DiagnosticInterview.objects.get().interviewer is None
    assert not CalendarToken.objects.exists()


def test_an_action_passes_to_the_territory_carrier_first(world):
    territory = world["territory"]
    territory.carrier = world["structure"]
    territory.save()
    officer = make_officer(territory)
    action = Action.objects.create(meeting=world["meeting"], title="Écrire le bilan", owner_user=officer)
    services.user_delete(user=officer, by=officer)
    action.refresh_from_db()
    assert (action.owner_organization_id, action.owner_user_id) == (world["structure"].pk, None)


def test_staff_erase_an_account_and_take_the_actions_nobody_else_can(world):
    staff = UserFactory(is_staff=True, email="equipe@miam.example.org")
    lone = UserFactory(email="seul@example.org")
    meeting = MeetingFactory(territory=TerritoryFactory(slug="autre", epci_codes=["200071595"]))
    action = Action.objects.create(meeting=meeting, title="Une action orpheline", owner_user=lone)
    services.user_delete(user=lone, by=staff)
    action.refresh_from_db()
    assert action.owner_user_id == staff.pk


def test_a_staff_member_erases_their_own_account(world, client):
    staff = UserFactory(is_staff=True, is_superuser=True, email="admin@miam.example.org")
    data = _export(client, staff)
    assert data["account"]["email"] == "admin@miam.example.org"
    _delete_through_the_page(client, staff)
