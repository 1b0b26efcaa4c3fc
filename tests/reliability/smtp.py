"""The one thing mocked here: the SMTP server. ``SmtpDown`` is an e-mail backend that refuses
like a server that is down while ``SmtpDown.down`` is set, refuses the addresses in
``SmtpDown.refused`` as a server refuses a recipient, and delivers to Django's locmem outbox
otherwise."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class SmtpDown(EmailBackend):
    down = False
    refused: set[str] = set()

    def send_messages(self, messages):
        if SmtpDown.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        for message in messages:
            bad = {to: (550, b"5.1.1 User unknown") for to in message.to if to in SmtpDown.refused}
            if bad:
                raise smtplib.SMTPRecipientsRefused(bad)
        return super().send_messages(messages)
