"""The outgoing-mail outbox: every e-mail MIAM sends but the notifications' own.

A service asks for an e-mail with ``email_queue`` in its own transaction: an ``OutgoingEmail``
row is written with the change, and sent once the transaction commits. A rolled-back change
sends nothing; an SMTP server that refuses or does not answer never turns into an error after
the save: the row stays due, with a backoff doubling from one minute to an hour, and beat's
``actors-notifications-email-retry`` job (every minute) sends it again, up to
``NOTIFICATION_EMAIL_MAX_ATTEMPTS`` attempts in all, then gives it up with a logged error.

The row is locked while its e-mail goes (``skip_locked``: a row another process is sending is
left to it) and marked sent in the same transaction: never sent twice; a process killed between
the send and the commit sends it again (at least once). Rows are deleted
``OUTGOING_EMAIL_KEEP_DAYS`` after they went (``emails_prune``, daily).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from miam.models import OutgoingEmail

logger = logging.getLogger(__name__)


def backoff(attempts: int) -> dt.timedelta:
    """How long an e-mail refused ``attempts`` times waits: 1 min, 2, 4… up to an hour."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def email_queue(
    *, to: str, subject: str, body: str, html: str = "", attachments: list[dict] | None = None
) -> OutgoingEmail:
    """Send this e-mail once the current transaction commits (at once outside one), and again
    later while the SMTP server refuses it. ``attachments``: ``{"filename", "content",
    "mimetype"}`` with a text content (an ``.ics``)."""
    email = OutgoingEmail.objects.create(
        to=to,
        subject=str(subject)[:255],
        body=str(body),
        html=str(html or ""),
        attachments=attachments or [],
        due_at=timezone.now(),
    )
    transaction.on_commit(lambda: email_send(email_id=email.pk), robust=True)
    return email


def _message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=email.subject, body=email.body, to=[email.to])
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
    return message


def email_send(*, email_id: int, now=None) -> bool:
    """Send one e-mail if it is still due; whether it went now."""
    now = now or timezone.now()
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True, due_at__isnull=False)
            .first()
        )
        if email is None:
            return False  # sent, given up, or being sent by another process
        attempts = email.attempts + 1
        try:
            _message(email).send()
        except (smtplib.SMTPException, OSError) as error:
            gave_up = attempts >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
            OutgoingEmail.objects.filter(pk=email.pk).update(
                attempts=attempts,
                due_at=None if gave_up else now + backoff(attempts),
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            (logger.error if gave_up else logger.warning)(
                "e-mail %s: refused (%s: %s), attempt %d%s",
                email.pk,
                type(error).__name__,
                error,
                attempts,
                ", given up" if gave_up else ", tried again later",
            )
            return False
        OutgoingEmail.objects.filter(pk=email.pk).update(sent_at=timezone.now(), due_at=None, attempts=attempts)
        return True


def emails_send_due(*, now=None, limit: int = 500) -> int:
    """Send the e-mails still due (the SMTP server refused them, or no commit sent them);
    how many went."""
    now = now or timezone.now()
    due = OutgoingEmail.objects.filter(sent_at__isnull=True, due_at__lte=now).order_by("due_at", "id")
    return sum(email_send(email_id=pk, now=now) for pk in due.values_list("pk", flat=True)[:limit])


def emails_prune(*, keep_days: int | None = None) -> int:
    """Delete the e-mails sent, or given up, more than ``keep_days`` ago (RGPD)."""
    keep_days = settings.OUTGOING_EMAIL_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - dt.timedelta(days=keep_days)
    sent, _m = OutgoingEmail.objects.filter(sent_at__lt=cutoff).delete()
    given_up, _m = OutgoingEmail.objects.filter(
        sent_at__isnull=True, due_at__isnull=True, created_at__lt=cutoff
    ).delete()
    return sent + given_up


def emails_for(address: str):
    """The e-mails kept for an address (the personal-data export and erasure)."""
    return OutgoingEmail.objects.filter(to__iexact=address)
