"""Notification e-mails when the SMTP server is down: the save goes through, the e-mail stays
due and beat sends it once the server answers; at least once, never twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail as django_mail
from django.db import connection, transaction
from django.urls import reverse

from actors.models import Invitation, Notification
from actors.services import notification_email_send, notifications_email_retry, notifications_send_digest, notify
from miam import mail
from miam.beat import BEAT_SCHEDULE
from miam.models import OutgoingEmail
from tests.factories import MeetingFactory, TerritoryFactory, UserFactory, make_officer
from tests.reliability.smtp import SmtpDown

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "tests.reliability.smtp.SmtpDown"
    SmtpDown.down, SmtpDown.refused = False, set()
    yield SmtpDown
    SmtpDown.down, SmtpDown.refused = False, set()


def test_an_email_refused_by_smtp_is_sent_once_the_server_is_back_and_never_twice(
    db, smtp, django_capture_on_commit_callbacks, caplog
):
    person = UserFactory()
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (notification,) = notify(users=[person], kind="test", title="Nouvelle proposition")
    # The save went through (no error escaped the commit), the e-mail did not go, and is due later.
    notification.refresh_from_db()
    assert django_mail.outbox == [] and notification.emailed_at is None
    assert notification.email_attempts == 1 and notification.email_due_at > notification.created_at
    assert "e-mail refused (SMTPServerDisconnected" in caplog.text

    assert notifications_email_retry() == 0  # not due yet
    assert notifications_email_retry(now=notification.email_due_at) == 0  # the server still refuses
    notification.refresh_from_db()
    assert notification.email_attempts == 2 and django_mail.outbox == []

    smtp.down = False
    assert notifications_email_retry(now=notification.email_due_at) == 1
    assert [m.to for m in django_mail.outbox] == [[person.email]]
    assert django_mail.outbox[0].subject == "[MIAM] Nouvelle proposition"
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_due_at is None
    # Beat's next passes and a late first attempt send nothing more.
    assert notifications_email_retry(now=notification.created_at.replace(year=2100)) == 0
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(django_mail.outbox) == 1


def test_an_email_being_sent_by_another_process_is_not_sent_again(transactional_db, smtp):
    person = UserFactory()
    smtp.down = True
    (notification,) = notify(users=[person], kind="test", title="Rappel")  # autocommit: sent at once, refused
    smtp.down = False
    Notification.objects.filter(pk=notification.pk).update(email_due_at=notification.created_at)
    locked, release = threading.Event(), threading.Event()

    def other_process_sending():
        try:  # another connection holds the row, as a sender does while its e-mail goes
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=other_process_sending)
    other.start()
    try:
        assert locked.wait(10)
        assert notifications_email_retry() == 0
        assert django_mail.outbox == []
    finally:
        release.set()
        other.join(10)
    assert notifications_email_retry() == 1
    assert len(django_mail.outbox) == 1


def test_an_email_refused_too_many_times_is_given_up_with_an_error(db, smtp, settings, caplog):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 2
    person = UserFactory()
    smtp.down = True
    (notification,) = notify(users=[person], kind="test", title="Rappel")
    notification_email_send(notification_id=notification.pk)
    notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.email_due_at is None and notification.emailed_at is None
    assert "given up" in caplog.text


def test_beat_retries_due_emails_every_minute():
    import actors.tasks  # noqa: F401  (registers the job)
    from miam.celery import app

    entry = BEAT_SCHEDULE["actors-notifications-email-retry"]
    assert entry["task"] == "actors.tasks.notifications_email_retry" and entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


# --- The outgoing-mail outbox (miam.mail): invitations, meeting guests, digests, resets -----


def _outbox_retry(*, later: bool = False) -> int:
    """What beat's ``actors-notifications-email-retry`` job does every minute; ``later``: once
    the backoff of every e-mail still due has passed."""
    from django.utils import timezone

    import actors.tasks

    if later:
        OutgoingEmail.objects.filter(due_at__isnull=False).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    return actors.tasks.notifications_email_retry()


def test_an_invitation_saved_with_smtp_down_goes_out_once_the_server_is_back(
    geo, client, smtp, django_capture_on_commit_callbacks, caplog
):
    territory = TerritoryFactory()
    client.force_login(make_officer(territory))
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("actors:invitations", args=[territory.slug]),
            {"action": "team", "team-email": "nouvelle@example.org", "team-territory_role": "viewer"},
        )
    assert response.status_code == 302  # saved, not a 500
    assert Invitation.objects.filter(email="nouvelle@example.org").exists()
    (email,) = OutgoingEmail.objects.filter(to="nouvelle@example.org")
    assert django_mail.outbox == [] and email.sent_at is None and email.attempts == 1 and email.due_at
    assert "SMTPServerDisconnected" in email.last_error and "tried again later" in caplog.text

    assert _outbox_retry() == 0  # not due yet (backoff)
    smtp.down = False
    assert _outbox_retry(later=True) == 1
    assert [m.to for m in django_mail.outbox] == [["nouvelle@example.org"]]
    assert "/invitation/" in django_mail.outbox[0].body
    assert _outbox_retry(later=True) == 0  # never twice
    assert mail.email_send(email_id=email.pk) is False
    assert len(django_mail.outbox) == 1


def test_a_meeting_guest_invited_with_smtp_down_gets_the_invitation_once_the_server_is_back(
    geo, client, smtp, django_capture_on_commit_callbacks
):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    meeting = MeetingFactory(territory=territory, title="Rencontre des glaneurs")
    meeting.organizers.add(officer)
    client.force_login(officer)
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/meetings/{meeting.pk}/invite/", {"emails": ["nadia@example.org"]}, content_type="application/json"
        )
    assert response.status_code == 201 and response.json() == {"invited": 1}  # saved, not a 500
    assert django_mail.outbox == [] and OutgoingEmail.objects.get(to="nadia@example.org").sent_at is None

    smtp.down = False
    assert _outbox_retry(later=True) == 1
    (sent,) = django_mail.outbox
    assert sent.to == ["nadia@example.org"] and "Rencontre des glaneurs" in sent.subject
    assert sent.attachments[0][0] == "invitation.ics" and "BEGIN:VCALENDAR" in sent.attachments[0][1]
    assert _outbox_retry(later=True) == 0
    assert len(django_mail.outbox) == 1


def test_a_digest_refused_for_one_address_reaches_the_others_and_is_retried(
    db, smtp, django_capture_on_commit_callbacks
):
    people = [UserFactory(wants_daily_digest=True, email=f"p{n}@example.org") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=people, kind="test", title="Nouvelle proposition")
    smtp.refused = {"p1@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_send_digest() == 3
    assert sorted(m.to[0] for m in django_mail.outbox) == ["p0@example.org", "p2@example.org"]
    refused = OutgoingEmail.objects.get(to="p1@example.org")
    assert refused.sent_at is None and "SMTPRecipientsRefused" in refused.last_error
    # The next digest run sends nothing twice: the notifications went into today's digests.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_send_digest() == 0
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0

    smtp.refused = set()  # the mailbox works again
    assert _outbox_retry(later=True) == 1
    assert sorted(m.to[0] for m in django_mail.outbox) == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert _outbox_retry(later=True) == 0


def test_an_outgoing_email_refused_too_many_times_is_given_up_then_purged(
    db, smtp, settings, caplog, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 2
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True):
        email = mail.email_queue(to="a@example.org", subject="Objet", body="Texte")
    assert mail.email_send(email_id=email.pk) is False  # due or not, a direct send tries
    email.refresh_from_db()
    assert email.attempts == 2 and email.due_at is None and email.sent_at is None
    assert "given up" in caplog.text
    assert mail.emails_prune(keep_days=0) == 1
    assert not OutgoingEmail.objects.exists()


def test_sent_emails_are_purged_after_their_keeping_days(db, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = mail.email_queue(to="a@example.org", subject="Objet", body="Texte")
    email.refresh_from_db()
    assert email.sent_at is not None
    assert mail.emails_prune() == 0  # kept OUTGOING_EMAIL_KEEP_DAYS
    OutgoingEmail.objects.filter(pk=email.pk).update(sent_at=email.sent_at - dt.timedelta(days=8))
    assert mail.emails_prune() == 1
    entry = BEAT_SCHEDULE["miam-emails-prune"]
    assert entry["task"] == "miam.tasks.emails_prune"


def test_a_password_reset_with_smtp_down_answers_and_the_link_goes_later(
    db, client, smtp, django_capture_on_commit_callbacks
):
    person = UserFactory()
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": person.email})
    assert response.status_code == 302 and django_mail.outbox == []
    smtp.down = False
    assert _outbox_retry(later=True) == 1
    assert [m.to for m in django_mail.outbox] == [[person.email]]
    assert "/mot-de-passe/" in django_mail.outbox[0].body
