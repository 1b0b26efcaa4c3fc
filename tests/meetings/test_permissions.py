"""Who may do what: officers manage their territory's meetings, members act for their
organizations, people for themselves; the rules hold in services, so pages and API agree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from actors.models import TerritoryRole
from meetings import selectors
from meetings.models import Meeting
from meetings.services import actions as action_services
from meetings.services import interviews as interview_services
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services
from miam.errors import NotAllowed
from tests.factories import MeetingFactory, TerritoryFactory, UserFactory, make_officer
from tests.meetings.conftest import on_the_day


@pytest.fixture
def other_officer(geo):
    return make_officer(TerritoryFactory(epci_codes=["200071595"]))


@pytest.fixture
def elected(territory):
    user = UserFactory()
    TerritoryRole.objects.create(user=user, territory=territory, role=TerritoryRole.Role.ELECTED)
    return user


def test_an_officer_of_another_territory_cannot_schedule_here(territory, other_officer):
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(NotAllowed):
        meeting_services.meeting_create(
            by=other_officer,
            territory=territory,
            title="X",
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=1, hours=1),
        )
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize("who", ["farmer", "other_officer", "elected"])
def test_only_the_territory_s_officers_and_organizers_manage_a_meeting(request, meeting, farm, who):
    principal = request.getfixturevalue(who)
    for call in (
        lambda: meeting_services.meeting_update(by=principal, meeting=meeting, title="Nouveau titre"),
        lambda: invitation_services.meeting_invite(by=principal, meeting=meeting, organizations=[farm]),
        lambda: minutes_services.minutes_save(by=principal, meeting=meeting, body="x"),
        lambda: minutes_services.decision_create(by=principal, meeting=meeting, text="x"),
        lambda: action_services.action_create(by=principal, meeting=meeting, title="x", owner_organization=farm),
        lambda: registration_services.attendance_set(by=principal, meeting=meeting, present_ids=[]),
        lambda: meeting_services.meeting_cancel(by=principal, meeting=meeting),
    ):
        with pytest.raises(NotAllowed):
            call()
    meeting.refresh_from_db()
    assert meeting.title != "Nouveau titre" and not meeting.is_cancelled


def test_an_organizer_who_is_not_an_officer_may_take_attendance(meeting, farm, farmer):
    meeting.organizers.add(farmer)
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    on_the_day(meeting)
    registration_services.attendance_set(by=farmer, meeting=meeting, present_ids=[reg.pk])
    reg.refresh_from_db()
    assert reg.attended is True


def test_a_member_registers_only_their_own_organization(meeting, structure, farmer):
    with pytest.raises(NotAllowed, match="vos propres organisations"):
        registration_services.registration_create(by=farmer, meeting=meeting, organization=structure)


def test_an_officer_registers_any_organization_of_the_territory(meeting, officer, structure):
    assert registration_services.registration_create(by=officer, meeting=meeting, organization=structure).pk


def test_a_read_only_api_key_cannot_register(meeting, farm):
    from actors.models import ApiKey
    from actors.permissions import ApiKeyPrincipal

    _raw, prefix, digest = ApiKey.generate()
    key = ApiKey.objects.create(name="k", prefix=prefix, key_hash=digest, organization=farm, can_write=False)
    with pytest.raises(NotAllowed, match="lecture seule"):
        registration_services.registration_create(by=ApiKeyPrincipal(key), meeting=meeting, organization=farm)


def test_visibility_by_role(territory, meeting, farmer, elected, other_officer, outsider_org):
    invited_only = MeetingFactory(territory=territory, visibility="invited")
    public = MeetingFactory(territory=territory, visibility="public")
    from tests.factories import make_member

    stranger = make_member(outsider_org)

    def visible(who):
        return set(selectors.meetings_visible_to(who).values_list("pk", flat=True))

    assert visible(AnonymousUser()) == {public.pk}
    assert visible(stranger) == {public.pk}
    assert visible(farmer) == {meeting.pk, public.pk}
    assert visible(elected) == {meeting.pk, public.pk, invited_only.pk}
    assert visible(other_officer) == {public.pk}


def test_an_invited_person_sees_the_invitation_only_meeting(territory, officer, farmer):
    invited_only = MeetingFactory(territory=territory, visibility="invited")
    invitation_services.meeting_invite(by=officer, meeting=invited_only, users=[farmer])
    assert selectors.can_view_meeting(farmer, invited_only)


def test_an_action_owner_follows_up_but_others_do_not(meeting, officer, farm, farmer, volunteer):
    action = action_services.action_create(by=officer, meeting=meeting, title="x", owner_organization=farm)
    action_services.action_note_add(by=farmer, action=action, text="c'est parti", status="doing")
    with pytest.raises(NotAllowed):
        action_services.action_note_add(by=volunteer, action=action, text="pas moi")
    with pytest.raises(NotAllowed):
        action_services.action_update(by=volunteer, action=action, status="done")
    action.refresh_from_db()
    assert action.status == "doing" and action.notes.count() == 1


def test_interviews_are_written_by_officers_and_read_by_the_team_and_the_organization(
    territory, officer, farm, farmer, volunteer, elected
):
    from datetime import date

    interview = interview_services.interview_create(
        by=officer, territory=territory, organization=farm, held_on=date(2024, 3, 12), current_actions="Vente directe"
    )
    with pytest.raises(NotAllowed):
        interview_services.interview_create(
            by=farmer, territory=territory, organization=farm, held_on=date(2024, 3, 12), current_actions="x"
        )
    assert list(selectors.interviews_visible_to(farmer)) == [interview]
    assert list(selectors.interviews_visible_to(elected)) == [interview]
    assert list(selectors.interviews_visible_to(volunteer)) == []
