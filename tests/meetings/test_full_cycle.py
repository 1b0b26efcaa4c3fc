"""The whole life of a collective meeting, from invitation to the reminder of an overdue action."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.utils import timezone

from actors.models import Notification
from meetings import tasks
from meetings.models import Action, Decision, Registration
from meetings.services import actions as action_services
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services
from tests.factories import FarmFactory, StructureFactory, make_member
from tests.meetings.conftest import on_the_day

PARIS = ZoneInfo("Europe/Paris")


def test_a_meeting_goes_from_invitations_to_a_reminded_overdue_action(
    territory, officer, outbox, django_capture_on_commit_callbacks
):
    # 1. The officer schedules the meeting: 8 seats, at a farm of the territory.
    farms = [FarmFactory(name=f"Ferme {i}", email=f"ferme{i}@example.org") for i in range(6)]
    structures = [StructureFactory(name=f"Structure {i}", email=f"structure{i}@example.org") for i in range(6)]
    members = {org.pk: make_member(org, email=f"member-{org.pk}@example.org") for org in farms + structures}
    starts = (timezone.now() + timedelta(days=20)).astimezone(PARIS).replace(hour=14, minute=0, second=0, microsecond=0)
    meeting = meeting_services.meeting_create(
        by=officer,
        territory=territory,
        title="Réunion 1 : se connaître",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        host_organization=farms[0],
        capacity=8,
        visibility="invited",
        agenda="Tour de table ; contraintes de chacun.",
    )

    # 2. Twelve organizations are invited, each e-mail carries the .ics.
    with django_capture_on_commit_callbacks(execute=True):
        invitations = invitation_services.meeting_invite(by=officer, meeting=meeting, organizations=farms + structures)
    assert len(invitations) == 12
    assert len(outbox) == 24  # the contact address and the member of each organization
    attachment = outbox[0].attachments[0]
    assert attachment[0] == "invitation.ics"
    event = icalendar.Calendar.from_ical(attachment[1]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == starts
    assert all(i.sent_at for i in meeting.invitations.all())

    # 3. Nine register (each by one of its members); the ninth is over capacity.
    registrants = farms[:5] + structures[:4]
    registrations = [
        registration_services.registration_create(by=members[org.pk], meeting=meeting, organization=org)
        for org in registrants
    ]
    assert [r.status for r in registrations].count(Registration.Status.CONFIRMED) == 8
    ninth = registrations[-1]
    assert ninth.status == Registration.Status.WAITLISTED
    assert ninth.waitlist_position == 1

    # ... and is promoted when someone cancels.
    registration_services.registration_cancel(by=members[farms[4].pk], registration=registrations[4])
    ninth.refresh_from_db()
    assert ninth.status == Registration.Status.CONFIRMED
    assert ninth.waitlist_position is None
    assert Notification.objects.filter(user=members[structures[3].pk], kind="meeting_promoted").exists()

    # 4. Attendance on the day: seven of the eight came, farms and structures both.
    expected = meeting.registrations.filter(status=Registration.Status.CONFIRMED)
    assert expected.count() == 8
    present = [r.pk for r in expected][:7]
    on_the_day(meeting)
    stats = registration_services.attendance_set(by=officer, meeting=meeting, present_ids=present)
    assert stats["present"] == 7
    assert stats["both_worlds_present"] is True
    assert stats["farms_present"] + stats["food_aid_present"] == 7

    # 5. Minutes, two decisions, three actions with their owners.
    minutes_services.minutes_save(
        by=officer, meeting=meeting, body="## Tour de table\n- besoins en **frais**", is_published=True
    )
    first = minutes_services.decision_create(
        by=officer, meeting=meeting, text="Organiser une journée de glanage en juin."
    )
    minutes_services.decision_create(by=officer, meeting=meeting, text="Regrouper les commandes des épiceries.")
    today = timezone.localdate()
    overdue = action_services.action_create(
        by=officer,
        meeting=meeting,
        title="Trouver une assurance pour le glanage",
        owner_organization=structures[0],
        due_date=today - timedelta(days=3),
        decision=first,
    )
    action_services.action_create(
        by=officer, meeting=meeting, title="Lister les parcelles à glaner", owner_organization=farms[1],
        due_date=today + timedelta(days=30),
    )  # fmt: skip
    action_services.action_create(
        by=officer, meeting=meeting, title="Proposer une date", owner_user=officer, due_date=today + timedelta(days=7)
    )
    assert Decision.objects.filter(meeting=meeting).count() == 2
    assert Action.objects.filter(meeting=meeting).count() == 3

    # 6. The beat job reminds the owner of the overdue action, once.
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.actions_remind_overdue.delay().get() == 1
    owner = members[structures[0].pk]
    reminders = Notification.objects.filter(user=owner, kind="meeting_action_overdue")
    assert reminders.count() == 1
    assert [m.to for m in outbox] == [[owner.email]]
    overdue.refresh_from_db()
    assert overdue.last_reminded_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.actions_remind_overdue.delay().get() == 0
    assert reminders.count() == 1


def test_the_reminder_two_days_before_goes_once_to_those_who_come(
    meeting, officer, farm, farmer, structure, volunteer, outbox, django_capture_on_commit_callbacks
):
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    declined = registration_services.registration_create(
        by=volunteer, meeting=meeting, organization=structure, answer="no"
    )
    guest = registration_services.registration_create(
        by=officer, meeting=meeting, guest_name="Anne Habitante", guest_email="anne@example.org", guest_consent=True
    )
    assert declined.status == Registration.Status.CONFIRMED and guest.pk
    too_early = meeting.starts_at - timedelta(days=3)
    assert meeting_services.meetings_send_reminders(now=too_early) == 0
    in_window = meeting.starts_at - timedelta(days=1, hours=23)
    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_services.meetings_send_reminders(now=in_window) == 1
    assert Notification.objects.filter(kind="meeting_reminder", user=farmer).count() == 1
    assert not Notification.objects.filter(kind="meeting_reminder", user=volunteer).exists()
    assert sorted(a for m in outbox for a in m.to) == ["anne@example.org", "farmer@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_services.meetings_send_reminders(now=in_window + timedelta(hours=1)) == 0
    assert Notification.objects.filter(kind="meeting_reminder").count() == 1


def test_moving_a_meeting_makes_the_reminder_due_again(meeting, officer):
    meeting_services.meetings_send_reminders(now=meeting.starts_at - timedelta(days=1))
    meeting.refresh_from_db()
    assert meeting.reminder_sent_at is not None
    later = meeting.starts_at + timedelta(days=7)
    meeting_services.meeting_update(by=officer, meeting=meeting, starts_at=later, ends_at=later + timedelta(hours=2))
    meeting.refresh_from_db()
    assert meeting.reminder_sent_at is None
    assert meeting.ical_sequence == 1


def test_an_overdue_action_is_reminded_again_after_a_week_not_the_next_day(meeting, officer, farm, farmer):
    action = action_services.action_create(
        by=officer,
        meeting=meeting,
        title="Action",
        owner_organization=farm,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    now = timezone.now()
    assert action_services.actions_remind_overdue(now=now) == 1
    assert action_services.actions_remind_overdue(now=now + timedelta(days=1)) == 0
    assert action_services.actions_remind_overdue(now=now + timedelta(days=7)) == 1
    action_services.action_update(by=farmer, action=action, status="done")
    assert action_services.actions_remind_overdue(now=now + timedelta(days=14)) == 0


def test_beat_schedule_runs_both_meeting_jobs():
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"meetings.tasks.meetings_remind", "meetings.tasks.actions_remind_overdue"} <= tasks_scheduled


def test_starts_at_is_stored_in_utc_and_shown_in_paris(meeting):
    local = datetime(2026, 7, 1, 14, 0, tzinfo=PARIS)
    meeting.starts_at, meeting.ends_at = local, local + timedelta(hours=2)
    meeting.save()
    meeting.refresh_from_db()
    assert meeting.starts_at.utcoffset() == timedelta(0)
    assert timezone.localtime(meeting.starts_at).hour == 14
