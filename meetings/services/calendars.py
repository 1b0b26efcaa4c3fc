"""Calendar feeds (``.ics`` subscriptions), personal or per territory."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Territory, User
from meetings import selectors
from meetings.models import CalendarToken, Meeting, hash_calendar_token, new_calendar_token
from miam.errors import DomainError, NotAllowed


@transaction.atomic
def calendar_token_get(*, user: User, territory: Territory | None = None) -> CalendarToken:
    """The person's secret feed (or the territory's, for its team), created on first use.

    Only the secret's hash is stored (like API keys): ``token.raw`` holds the secret when the
    feed was just created, None otherwise (the address cannot be shown again; reset it)."""
    if not getattr(user, "pk", None):
        raise NotAllowed()
    if territory is not None and not selectors.is_team_member(user, territory.pk):
        raise NotAllowed(_("Seule l'équipe du territoire a accès à son agenda complet."))
    token = CalendarToken.objects.filter(user=user, territory=territory).first()
    if token is not None:
        token.raw = None
        return token
    raw = new_calendar_token()
    token = CalendarToken.objects.create(user=user, territory=territory, token_hash=hash_calendar_token(raw))
    token.raw = raw
    return token


@transaction.atomic
def calendar_token_reset(*, user: User, territory: Territory | None = None) -> CalendarToken:
    """A new secret address (in ``token.raw``); the old one stops working at once."""
    CalendarToken.objects.filter(user=user, territory=territory).delete()
    return calendar_token_get(user=user, territory=territory)


def calendar_feed(*, token: str) -> tuple[CalendarToken, list[Meeting]]:
    feed = (
        CalendarToken.objects.select_related("user", "territory")
        .filter(token_hash=hash_calendar_token(token or ""))
        .first()
    )
    if feed is None or not feed.user.is_active:
        raise DomainError("calendar_unknown", _("Cet agenda n'existe pas ou plus."), status_code=404)
    since = timezone.now() - timedelta(days=365)
    if feed.territory_id:
        if not selectors.is_team_member(feed.user, feed.territory_id):
            raise DomainError("calendar_unknown", _("Cet agenda n'existe pas ou plus."), status_code=404)
        meetings = selectors.meetings_visible_to(feed.user).filter(territory_id=feed.territory_id)
        meetings = meetings.select_related("territory", "host_organization__commune", "commune")
    else:
        meetings = selectors.meetings_for_person(feed.user)
    CalendarToken.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed, list(meetings.filter(ends_at__gte=since).order_by("starts_at"))
