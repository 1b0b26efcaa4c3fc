"""The one thing mocked here: the SMTP server. ``SmtpDown`` is an e-mail backend that refuses
like a server that is down while ``SmtpDown.down`` is set, and delivers to Django's locmem
outbox otherwise."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class SmtpDown(EmailBackend):
    down = False

    def send_messages(self, messages):
        if SmtpDown.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
