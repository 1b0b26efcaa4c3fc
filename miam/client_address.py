"""The client's address, the same for every limit: django-axes' lockouts, the password-reset
limits and the API's rate limits.

Without a proxy in front (``TRUSTED_PROXY_COUNT = 0``, the default) it is ``REMOTE_ADDR`` and
``X-Forwarded-For`` is ignored: anyone can write that header, and believing it would give each
forged value a fresh counter. Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the
address they saw (nginx's ``$proxy_add_x_forwarded_for``, Traefik, a load balancer), the client
is the n-th address from the right of ``X-Forwarded-For``: what our own proxies wrote, never
what the client sent before them. The same rule as DRF's ``NUM_PROXIES``, which is set from
the same setting.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The address to count a request against (``None`` when the server gives none)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded.strip():
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # garbage where our proxy should have written an address
        return remote
