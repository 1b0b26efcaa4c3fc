"""Limits on the doors that can be hammered: the login (django-axes) and password-reset e-mails.

Login: django-axes counts failed logins per account and per address (``AXES_*`` settings) and
answers a locked-out login, on the site and the admin, with ``login_locked_out`` (429, French).

Password reset: a fixed-window counter in the cache, per submitted address and per client
address. The address counted is the one typed, whether or not an account has it, and the
answer for a counted request is the usual "e-mail sent" page, so the limit tells nothing
about which addresses have an account. Written here (a few lines over Django's cache) because
django-ratelimit would bring a second decorator vocabulary for two counters.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from miam.client_address import client_address

__all__ = ["client_address", "login_locked_out", "normalized_username", "password_reset_allowed"]


def normalized_username(request, credentials) -> str:
    """One account, however its e-mail is capitalised or padded."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = (credentials or {}).get(field) or getattr(request, "POST", {}).get(field) or ""
    return username.strip().lower()


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer: the login page with the reason, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "actors/login_locked_out.html", {"minutes": minutes}, status=429)


def _window_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{settings.ABUSE_CACHE_PREFIX}:reset:{kind}:{digest}"


def _hit(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def password_reset_allowed(*, email: str, ip: str | None) -> bool:
    """Count one reset request; False when the address or the client went past its limit."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS
    by_email = _hit(_window_key("email", email.strip().lower()), window)
    by_ip = _hit(_window_key("ip", ip or "unknown"), window)
    return by_email <= settings.PASSWORD_RESET_LIMIT_PER_EMAIL and by_ip <= settings.PASSWORD_RESET_LIMIT_PER_IP
