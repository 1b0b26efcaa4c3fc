"""Bad input gets a clear error and writes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.inputs import invite_input
from meetings.models import Action, Meeting, MeetingInvitation, Registration
from meetings.services import actions as action_services
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import registrations as registration_services
from miam.errors import DomainError, NotAllowed
from tests.factories import UserFactory, make_member


def test_a_meeting_ending_before_it_starts_is_refused_and_not_created(territory, officer):
    starts = timezone.now() + timedelta(days=3)
    with pytest.raises(DomainError) as error:
        meeting_services.meeting_create(
            by=officer, territory=territory, title="Réunion", starts_at=starts, ends_at=starts - timedelta(hours=1)
        )
    assert error.value.code == "invalid_meeting"
    assert error.value.fields == {"ends_at": ["La fin doit être après le début."]}
    assert Meeting.objects.count() == 0


def test_moving_the_end_before_the_start_is_refused_and_the_meeting_unchanged(meeting, officer):
    before = (meeting.starts_at, meeting.ends_at, meeting.ical_sequence)
    with pytest.raises(DomainError) as error:
        meeting_services.meeting_update(by=officer, meeting=meeting, ends_at=meeting.starts_at - timedelta(minutes=1))
    assert "ends_at" in error.value.fields
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ends_at, meeting.ical_sequence) == before


def test_registering_the_same_organization_twice_is_an_error_not_a_duplicate(meeting, farm, farmer):
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    with pytest.raises(DomainError) as error:
        registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    assert error.value.code == "already_registered"
    assert "Ferme du Moulin est déjà inscrit·e" in error.value.message
    assert Registration.objects.filter(meeting=meeting).count() == 1


def test_registering_oneself_twice_is_an_error(meeting, farmer):
    registration_services.registration_create(by=farmer, meeting=meeting, user=farmer)
    with pytest.raises(DomainError, match="déjà inscrit"):
        registration_services.registration_create(by=farmer, meeting=meeting, user=farmer, answer="maybe")
    assert Registration.objects.get(meeting=meeting).answer == "yes"


def test_the_same_resident_is_not_registered_twice_even_with_other_accents_or_case(meeting, officer):
    registration_services.registration_create(
        by=officer, meeting=meeting, guest_name="Hélène Martin", guest_consent=True
    )
    with pytest.raises(DomainError, match="déjà inscrit"):
        registration_services.registration_create(
            by=officer, meeting=meeting, guest_name="helene  MARTIN", guest_consent=True
        )
    assert Registration.objects.count() == 1


def test_an_uninvited_organization_cannot_register_to_an_invitation_only_meeting(meeting, farm, farmer):
    Meeting.objects.filter(pk=meeting.pk).update(visibility=Meeting.Visibility.INVITED)
    meeting.refresh_from_db()
    with pytest.raises(DomainError) as error:
        registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    assert error.value.code == "not_invited"
    assert error.value.message == "Cette réunion est sur invitation et Ferme du Moulin n'est pas invitée."
    assert Registration.objects.count() == 0


def test_an_uninvited_person_cannot_register_to_an_invitation_only_meeting(meeting, farmer):
    Meeting.objects.filter(pk=meeting.pk).update(visibility=Meeting.Visibility.INVITED)
    meeting.refresh_from_db()
    with pytest.raises(DomainError) as error:
        registration_services.registration_create(by=farmer, meeting=meeting, user=farmer)
    assert error.value.code == "not_invited"
    assert Registration.objects.count() == 0


def test_the_api_says_not_invited_clearly_and_writes_nothing(client, meeting, farm, farmer):
    Meeting.objects.filter(pk=meeting.pk).update(visibility=Meeting.Visibility.INVITED)
    client.force_login(farmer)
    response = client.post(
        "/api/v1/meeting-registrations/",
        {"meeting": meeting.pk, "organization": farm.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_invited"
    assert Registration.objects.count() == 0


def test_an_action_owner_outside_the_territory_is_refused_and_nothing_is_written(meeting, officer, outsider_org):
    with pytest.raises(DomainError) as error:
        action_services.action_create(by=officer, meeting=meeting, title="Livrer", owner_organization=outsider_org)
    assert error.value.code == "owner_outside_territory"
    assert "Association de Pontarlier n'est pas sur le territoire PAT du Clunisois" in error.value.message
    assert Action.objects.count() == 0


def test_a_person_outside_the_territory_cannot_own_an_action(meeting, officer, outsider_org):
    stranger = make_member(outsider_org)
    with pytest.raises(DomainError) as error:
        action_services.action_create(by=officer, meeting=meeting, title="Livrer", owner_user=stranger)
    assert error.value.fields.keys() == {"owner_user"}
    assert Action.objects.count() == 0


def test_an_action_needs_exactly_one_owner(meeting, officer, farm):
    with pytest.raises(DomainError, match="organisation ou une personne"):
        action_services.action_create(by=officer, meeting=meeting, title="Livrer")
    with pytest.raises(DomainError):
        action_services.action_create(
            by=officer, meeting=meeting, title="Livrer", owner_organization=farm, owner_user=officer
        )
    assert Action.objects.count() == 0


def test_a_resident_without_consent_is_not_registered(meeting, officer):
    with pytest.raises(DomainError) as error:
        registration_services.registration_create(by=officer, meeting=meeting, guest_name="Paul", guest_consent=False)
    assert "guest_consent" in error.value.fields
    assert Registration.objects.count() == 0


def test_inviting_an_organization_outside_the_territory_is_refused_and_nothing_is_sent(
    meeting, officer, farm, outsider_org, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError, match="Pontarlier"):
        invitation_services.meeting_invite(by=officer, meeting=meeting, organizations=[farm, outsider_org])
    assert MeetingInvitation.objects.count() == 0
    assert outbox == []


def test_an_invalid_invitation_address_is_refused(meeting, officer):
    with pytest.raises(DomainError, match="pas-une-adresse") as error:
        invitation_services.meeting_invite(
            by=officer, meeting=meeting, **invite_input({"emails": ["ok@example.org", "pas-une-adresse"]})
        )
    assert error.value.code == "invalid_email"
    assert MeetingInvitation.objects.count() == 0


def test_the_create_page_keeps_what_was_typed_when_dates_are_in_the_wrong_order(client, officer, territory):
    client.force_login(officer)
    response = client.post(
        reverse("meetings:create"),
        {
            "territory": territory.pk,
            "title": "Atelier cuisine",
            "kind": "workshop",
            "starts_at": "2026-12-10T14:00",
            "ends_at": "2026-12-10T12:00",
            "agenda": "Recettes de saison",
            "visibility": "territory",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "La fin doit être après le début." in body
    assert 'value="Atelier cuisine"' in body and "Recettes de saison" in body
    assert Meeting.objects.count() == 0


def test_someone_else_cannot_register_a_person(meeting, farmer):
    with pytest.raises(NotAllowed):
        registration_services.registration_create(by=UserFactory(), meeting=meeting, user=farmer)
    assert Registration.objects.count() == 0


def test_a_cancelled_meeting_takes_no_more_registrations(meeting, officer, farm, farmer):
    meeting_services.meeting_cancel(by=officer, meeting=meeting)
    with pytest.raises(DomainError, match="annulée"):
        registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    assert Registration.objects.count() == 0
