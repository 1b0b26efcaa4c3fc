"""What the meetings' services share: who belongs to a territory, who manages a meeting, how
dates read, who to tell about registrations and how (in-app and by e-mail after the commit)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, Organization, Territory, TerritoryRole, User
from actors.permissions import (
    require_write,
)
from meetings import selectors
from meetings.models import (
    Meeting,
    Registration,
)
from miam import mail
from miam.errors import NotAllowed


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def meeting_path(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def require_manage_meeting(principal, meeting: Meeting) -> None:
    require_write(principal)
    if not selectors.can_manage_meeting(principal, meeting):
        raise NotAllowed(_("Seul·e un·e chargé·e de mission du territoire ou un·e organisateur·rice peut faire cela."))


def organization_in_territory(organization: Organization, territory: Territory) -> bool:
    return territory.communes.filter(pk=organization.commune_id).exists()


def person_in_territory(user: User, territory: Territory) -> bool:
    """A person belongs to a territory through a role on it or an organization located in it."""
    if TerritoryRole.objects.filter(user=user, territory=territory).exists():
        return True
    return Membership.objects.filter(user=user, organization__commune__territories=territory).exists()


def local_label(value: datetime) -> str:
    local = timezone.localtime(value)
    return local.strftime("%d/%m/%Y %H:%M")


def _registrants_users(registration: Registration) -> list[User]:
    if registration.user_id:
        return [registration.user]
    if registration.organization_id:
        return [m.user for m in registration.organization.memberships.select_related("user")]
    return []


def recipients(registrations: Iterable[Registration]) -> tuple[list[User], list[str]]:
    """Who to tell about these registrations: accounts (in-app + e-mail) and plain addresses."""
    users: dict[int, User] = {}
    emails: list[str] = []
    for registration in registrations:
        found = _registrants_users(registration)
        for user in found:
            users[user.pk] = user
        if not found:
            if registration.guest_email:
                emails.append(registration.guest_email)
            elif registration.organization_id and registration.organization.email:
                emails.append(registration.organization.email)
    return list(users.values()), list(dict.fromkeys(emails))


def mail_later(emails: list[str], subject: str, body: str) -> None:
    """E-mail these addresses once the change commits, through the outgoing-mail outbox
    (``miam.mail``: retried while the SMTP server refuses, never sent twice)."""
    for address in emails:
        mail.email_queue(to=address, subject=f"[MIAM] {subject}", body=body)
