"""Notification e-mails when the SMTP server is down: the save goes through, the e-mail stays
due and beat sends it once the server answers; at least once, never twice."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from actors.models import Notification
from actors.services import notification_email_send, notifications_email_retry, notify
from miam.beat import BEAT_SCHEDULE
from tests.factories import UserFactory
from tests.reliability.smtp import SmtpDown

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "tests.reliability.smtp.SmtpDown"
    SmtpDown.down = False
    yield SmtpDown
    SmtpDown.down = False


def test_an_email_refused_by_smtp_is_sent_once_the_server_is_back_and_never_twice(
    db, smtp, django_capture_on_commit_callbacks, caplog
):
    person = UserFactory()
    smtp.down = True
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (notification,) = notify(users=[person], kind="test", title="Nouvelle proposition")
    # The save went through (no error escaped the commit), the e-mail did not go, and is due later.
    notification.refresh_from_db()
    assert mail.outbox == [] and notification.emailed_at is None
    assert notification.email_attempts == 1 and notification.email_due_at > notification.created_at
    assert "e-mail refused (SMTPServerDisconnected" in caplog.text

    assert notifications_email_retry() == 0  # not due yet
    assert notifications_email_retry(now=notification.email_due_at) == 0  # the server still refuses
    notification.refresh_from_db()
    assert notification.email_attempts == 2 and mail.outbox == []

    smtp.down = False
    assert notifications_email_retry(now=notification.email_due_at) == 1
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert mail.outbox[0].subject == "[MIAM] Nouvelle proposition"
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_due_at is None
    # Beat's next passes and a late first attempt send nothing more.
    assert notifications_email_retry(now=notification.created_at.replace(year=2100)) == 0
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


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
        assert mail.outbox == []
    finally:
        release.set()
        other.join(10)
    assert notifications_email_retry() == 1
    assert len(mail.outbox) == 1


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
