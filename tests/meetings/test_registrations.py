"""Registrations: seats, waiting list, answers, residents without an account, invitation links."""

import re

import pytest
from django.urls import reverse

from meetings.models import Meeting, Registration
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import registrations as registration_services
from miam.errors import DomainError
from tests.factories import FarmFactory, StructureFactory, make_member
from tests.meetings.conftest import on_the_day


@pytest.fixture
def small_meeting(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(capacity=2)
    meeting.refresh_from_db()
    return meeting


def _register_orgs(meeting, n):
    regs = []
    for i in range(n):
        org = FarmFactory(name=f"Ferme {i}") if i % 2 == 0 else StructureFactory(name=f"Structure {i}")
        member = make_member(org)
        regs.append((member, registration_services.registration_create(by=member, meeting=meeting, organization=org)))
    return regs


def test_the_waiting_list_keeps_its_order_and_the_first_is_promoted(small_meeting):
    regs = _register_orgs(small_meeting, 4)
    assert [r.status for _, r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.waitlist_position for _, r in regs] == [None, None, 1, 2]
    member, first = regs[0]
    registration_services.registration_cancel(by=member, registration=first)
    third, fourth = (Registration.objects.get(pk=regs[i][1].pk) for i in (2, 3))
    assert third.status == "confirmed" and third.waitlist_position is None
    assert fourth.status == "waitlisted" and fourth.waitlist_position == 1


def test_answering_no_frees_the_seat_for_the_waiting_list(small_meeting):
    regs = _register_orgs(small_meeting, 3)
    member, second = regs[1]
    registration_services.registration_update(by=member, registration=second, answer="no")
    assert Registration.objects.get(pk=regs[2][1].pk).status == "confirmed"
    second.refresh_from_db()
    assert second.status == "confirmed" and second.answer == "no" and not second.holds_seat


def test_maybe_takes_no_seat_and_a_later_yes_waits_if_full(small_meeting):
    org = FarmFactory()
    owner = make_member(org)
    reg = registration_services.registration_create(by=owner, meeting=small_meeting, organization=org, answer="maybe")
    assert reg.status == "confirmed" and not reg.holds_seat
    _register_orgs(small_meeting, 2)
    reg = registration_services.registration_update(by=owner, registration=reg, answer="yes")
    assert reg.status == "waitlisted" and reg.waitlist_position == 1


def test_raising_the_capacity_promotes_the_waiting_list(small_meeting, officer):
    regs = _register_orgs(small_meeting, 3)
    meeting_services.meeting_update(by=officer, meeting=small_meeting, capacity=3)
    assert Registration.objects.get(pk=regs[2][1].pk).status == "confirmed"


def test_a_cancelled_registration_can_register_again_without_a_duplicate(meeting, farm, farmer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    registration_services.registration_cancel(by=farmer, registration=reg)
    again = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm, answer="maybe")
    assert again.pk == reg.pk and again.status == "confirmed" and again.answer == "maybe"
    assert Registration.objects.count() == 1


def test_cancelling_twice_is_an_error(meeting, farm, farmer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    registration_services.registration_cancel(by=farmer, registration=reg)
    with pytest.raises(DomainError, match="déjà annulée"):
        registration_services.registration_cancel(by=farmer, registration=reg)


def test_a_resident_without_account_registers_to_a_public_meeting_with_name_and_consent(client, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="public")
    response = client.post(
        reverse("meetings:detail", args=[meeting.pk]),
        {
            "guest_name": "Nadia B.",
            "guest_email": "",
            "answer": "yes",
            "note": "fauteuil roulant",
            "guest_consent": "on",
        },
    )
    assert response.status_code == 302
    reg = Registration.objects.get()
    assert (reg.guest_name, reg.actor_kind, reg.note, reg.guest_consent) == (
        "Nadia B.",
        "resident",
        "fauteuil roulant",
        True,
    )


def test_a_resident_who_does_not_consent_keeps_what_they_typed(client, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="public")
    response = client.post(
        reverse("meetings:detail", args=[meeting.pk]), {"guest_name": "Nadia B.", "answer": "yes", "note": "à pied"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "accepter que son nom soit enregistré" in body
    assert 'value="Nadia B."' in body and 'value="à pied"' in body
    assert Registration.objects.count() == 0


def test_a_resident_cannot_self_register_to_a_territory_meeting(meeting):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(DomainError) as error:
        registration_services.registration_create(
            by=AnonymousUser(), meeting=meeting, guest_name="Paul", guest_consent=True
        )
    assert error.value.code == "not_invited"


def test_the_invitation_link_lets_an_invited_address_answer_and_change_its_answer(
    client, meeting, officer, outbox, django_capture_on_commit_callbacks
):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="invited")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_services.meeting_invite(by=officer, meeting=meeting, emails=["voisine@example.org"])
    link = re.search(r"https?://\S+/reunions/invitation/(\S+)/", outbox[0].body)
    token = link.group(1)
    url = reverse("meetings:invitation_answer", args=[token])
    assert client.get(url).status_code == 200
    assert client.get(url, {"format": "ics"})["Content-Type"].startswith("text/calendar")
    client.post(url, {"answer": "yes", "guest_name": "Voisine", "guest_consent": "on", "note": ""})
    reg = Registration.objects.get()
    assert (reg.guest_name, reg.guest_email, reg.answer) == ("Voisine", "voisine@example.org", "yes")
    client.post(url, {"answer": "no", "note": ""})
    reg.refresh_from_db()
    assert reg.answer == "no"
    assert Registration.objects.count() == 1


def test_an_unknown_invitation_link_is_a_404(client, geo):
    assert client.get(reverse("meetings:invitation_answer", args=["nope"])).status_code == 404


def test_an_invited_organization_member_can_register_it_to_an_invitation_only_meeting(meeting, officer, farm, farmer):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="invited")
    invitation_services.meeting_invite(by=officer, meeting=meeting, organizations=[farm])
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    assert reg.invitation.organization == farm


def test_inviting_an_address_of_an_existing_account_invites_that_person(meeting, officer, farmer):
    created = invitation_services.meeting_invite(by=officer, meeting=meeting, emails=["FARMER@example.org"])
    assert [(i.user, i.email) for i in created] == [(farmer, "")]
    assert invitation_services.meeting_invite(by=officer, meeting=meeting, users=[farmer]) == []


def test_a_walk_in_is_marked_present_even_over_capacity(small_meeting, officer):
    _register_orgs(small_meeting, 2)
    on_the_day(small_meeting)
    reg = registration_services.registration_create(
        by=officer, meeting=small_meeting, guest_name="Passant", guest_consent=True, walk_in=True
    )
    assert reg.status == "confirmed" and reg.attended is True
