"""Meetings: create, update (the waiting list moves up when seats open), cancel, the actions
discussed, and the reminder job two days before."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Territory, User
from actors.permissions import (
    as_user,
    require_manage_territory,
)
from actors.services import notify
from meetings.models import (
    Meeting,
    Registration,
)
from meetings.services.registrations import waitlist_promote
from meetings.services.shared import (
    local_label,
    mail_later,
    meeting_path,
    recipients,
    require_manage_meeting,
    site_url,
)
from miam.errors import DomainError, refused, validate_model

logger = logging.getLogger(__name__)


MEETING_FIELDS = (
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "host_organization",
    "address",
    "commune",
    "online_url",
    "agenda",
    "capacity",
    "visibility",
)


REMINDER_BEFORE = timedelta(days=2)


def _check_meeting(meeting: Meeting) -> None:
    errors: dict[str, list[str]] = {}
    if not meeting.title:
        errors["title"] = [_("Donnez un titre à la réunion.")]
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        errors["ends_at"] = [_("La fin doit être après le début.")]
    if meeting.capacity is not None and meeting.capacity < 1:
        errors["capacity"] = [_("Le nombre de places doit être d'au moins 1 (laissez vide pour ne pas limiter).")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError("invalid_meeting", first, fields=errors)
    validate_model(meeting, exclude=["territory", "organizers"], constraints=False)


@transaction.atomic
def meeting_create(
    *,
    by,
    territory: Territory,
    title: str,
    starts_at,
    ends_at,
    kind: str = Meeting.Kind.COLLECTIVE,
    organizers: Iterable[User] = (),
    **fields,
) -> Meeting:
    """Schedule a meeting. Only the territory's officers may."""
    require_manage_territory(by, territory)
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise refused(sorted(unknown)[0], _("Champ inconnu."))
    meeting = Meeting(
        territory=territory,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=as_user(by),
        **fields,
    )
    _check_meeting(meeting)
    meeting.save()
    organizer_list = list(organizers)
    if not organizer_list and as_user(by):
        organizer_list = [as_user(by)]
    meeting.organizers.set(organizer_list)
    logger.info("meeting %s created in territory %s", meeting.pk, territory.pk)
    return meeting


@transaction.atomic
def meeting_update(*, by, meeting: Meeting, organizers: Iterable[User] | None = None, **fields) -> Meeting:
    require_manage_meeting(by, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise refused(sorted(unknown)[0], _("Champ inconnu."))
    for field, value in fields.items():
        setattr(meeting, field, value)
    _check_meeting(meeting)
    meeting.ical_sequence += 1
    if "starts_at" in fields:
        meeting.reminder_sent_at = None  # moved: the reminder is due again for the new date
    meeting.save()
    if organizers is not None:
        meeting.organizers.set(list(organizers))
    waitlist_promote(meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, by, meeting: Meeting) -> Meeting:
    """Cancel a meeting and tell everyone registered."""
    require_manage_meeting(by, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.is_cancelled:
        raise DomainError("already_cancelled", _("Cette réunion est déjà annulée."))
    meeting.cancelled_at = timezone.now()
    meeting.ical_sequence += 1
    meeting.save(update_fields=["cancelled_at", "ical_sequence", "updated_at"])
    registrations = list(
        meeting.registrations.exclude(status=Registration.Status.CANCELLED).exclude(answer=Registration.Answer.NO)
    )
    users, emails = recipients(registrations)

    def title():  # in each recipient's language (the current one for guests)
        return _("Réunion annulée : %(title)s") % {"title": meeting.title}

    def body():
        return _("La réunion du %(date)s est annulée.") % {"date": local_label(meeting.starts_at)}

    notify(users=users, kind="meeting_cancelled", title=title, body=body, url=meeting_path(meeting))
    mail_later(emails, title(), body() + "\n")
    return meeting


@transaction.atomic
def meeting_discussed_actions_set(*, by, meeting: Meeting, planned_actions: Iterable) -> Meeting:
    """Link the shortlisted actions of the territory's plan to the meeting where they were discussed."""
    require_manage_meeting(by, meeting)
    planned_actions = list(planned_actions)
    foreign = [a.title for a in planned_actions if a.plan.territory_id != meeting.territory_id]
    if foreign:
        raise refused(
            "discussed_actions",
            _("Ces actions appartiennent au plan d'un autre territoire : %(t)s.") % {"t": ", ".join(foreign)},
            "outside_territory",
        )
    meeting.discussed_actions.set(planned_actions)
    return meeting


def meetings_send_reminders(*, now: datetime | None = None) -> int:
    """Remind registrants two days before. Idempotent: a meeting is reminded once."""
    now = now or timezone.now()
    due = Meeting.objects.filter(
        cancelled_at__isnull=True,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_BEFORE,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, reminder_sent_at__isnull=True, cancelled_at__isnull=True)
                .first()
            )
            if meeting is None:
                continue
            meeting.reminder_sent_at = now
            meeting.save(update_fields=["reminder_sent_at"])
            registrations = list(
                meeting.registrations.filter(status=Registration.Status.CONFIRMED)
                .exclude(answer=Registration.Answer.NO)
                .select_related("organization", "user")
            )
            users, emails = recipients(registrations)

            def title(meeting=meeting):  # in each recipient's language (the current one for guests)
                return _("Rappel : %(title)s") % {"title": meeting.title}

            def body(meeting=meeting):
                return _("La réunion a lieu le %(date)s%(place)s.") % {
                    "date": local_label(meeting.starts_at),
                    "place": f" ({meeting.place_label()})" if meeting.place_label() else "",
                }

            notify(users=users, kind="meeting_reminder", title=title, body=body, url=meeting_path(meeting))
            mail_later(emails, title(), body() + "\n" + site_url(meeting_path(meeting)) + "\n")
            sent += 1
    return sent
