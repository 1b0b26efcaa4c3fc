"""Where a webhook may be sent: never to a private, loopback or link-local address (an
endpoint typed by a partner must not reach into MIAM's own network), unless the setting
``WEBHOOKS_ALLOW_PRIVATE_TARGETS`` allows it (tests, a private deployment).

The name is resolved when the subscription is saved and again before each sending, so that a
name pointed at a private address later is refused too."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def target_check(url: str) -> None:
    """Raise a ``ValidationError`` (French, code ``private_target`` or ``invalid_url``) for a
    URL a webhook may not be sent to."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(_("Adresse invalide : une URL http ou https est attendue."), code="invalid_url")
    if parts.username or parts.password:
        raise ValidationError(_("L'adresse ne doit pas contenir d'identifiants."), code="invalid_url")
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False):
        return
    host = parts.hostname
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except (socket.gaierror, UnicodeError):
            raise ValidationError(
                _("Adresse introuvable : le nom « %(host)s » ne se résout pas.") % {"host": host}, code="unresolvable"
            )
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    if any(_refused(address) for address in addresses):
        raise ValidationError(
            _("Adresse refusée : les adresses privées, locales ou réservées ne peuvent pas recevoir de webhooks."),
            code="private_target",
        )
