"""Follow-up actions decided in meetings, their notes, and the reminder job when overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Organization, User
from actors.permissions import (
    as_user,
    can_edit_organization,
    require_write,
)
from actors.services import notify
from meetings import selectors
from meetings.models import (
    Action,
    ActionNote,
    Decision,
    Meeting,
)
from meetings.services.shared import (
    mail_later,
    organization_in_territory,
    person_in_territory,
    require_manage_meeting,
    site_url,
)
from miam.errors import DomainError, NotAllowed, refused, validate_model

# Owners of an overdue action hear about it at most once a week (never twice the same day).
OVERDUE_REMINDER_EVERY_DAYS = 7


def _check_owner(meeting: Meeting, owner_organization: Organization | None, owner_user: User | None) -> None:
    if (owner_organization is None) == (owner_user is None):
        raise DomainError(
            "owner_required",
            _("Choisissez un porteur : une organisation ou une personne (pas les deux)."),
            fields={"owner_organization": [_("Une organisation ou une personne, pas les deux.")]},
        )
    if owner_organization is not None and not organization_in_territory(owner_organization, meeting.territory):
        raise refused(
            "owner_organization",
            _("%(org)s n'est pas sur le territoire %(t)s.") % {"org": owner_organization.name, "t": meeting.territory},
            "owner_outside_territory",
        )
    if owner_user is not None and not person_in_territory(owner_user, meeting.territory):
        raise refused(
            "owner_user",
            _("%(who)s n'est rattaché·e à aucune organisation ni à l'équipe du territoire %(t)s.")
            % {"who": owner_user, "t": meeting.territory},
            "owner_outside_territory",
        )


@transaction.atomic
def action_create(
    *,
    by,
    meeting: Meeting,
    title: str,
    owner_organization: Organization | None = None,
    owner_user: User | None = None,
    due_date: date | None = None,
    description: str = "",
    decision: Decision | None = None,
    status: str = Action.Status.TODO,
) -> Action:
    """A follow-up action, owned by an organization or a person of the meeting's territory."""
    require_manage_meeting(by, meeting)
    if not title:
        raise refused("title", _("Donnez un intitulé à l'action."), "empty_action")
    _check_owner(meeting, owner_organization, owner_user)
    if decision is not None and decision.meeting_id != meeting.pk:
        raise refused("decision", _("Cette décision a été prise dans une autre réunion."))
    action = Action(
        meeting=meeting,
        title=title,
        description=description,
        owner_organization=owner_organization,
        owner_user=owner_user,
        due_date=due_date,
        decision=decision,
        status=status,
        created_by=as_user(by),
    )
    validate_model(action, exclude=["meeting", "owner_organization", "owner_user", "decision"], constraints=False)
    action.save()
    users = [owner_user] if owner_user else [m.user for m in owner_organization.memberships.select_related("user")]
    notify(
        users=users,
        kind="meeting_action",
        title=lambda: _("Action à porter : %(title)s") % {"title": title},
        body=lambda: _("Décidée lors de « %(meeting)s ».") % {"meeting": meeting.title},
        url=reverse("meetings:action_detail", args=[action.pk]),
    )
    return action


def is_action_owner(principal, action: Action) -> bool:
    user = as_user(principal)
    if action.owner_user_id:
        return bool(user) and user.pk == action.owner_user_id
    return can_edit_organization(principal, action.owner_organization)


def can_follow_up_action(principal, action: Action) -> bool:
    return selectors.can_manage_meeting(principal, action.meeting) or is_action_owner(principal, action)


@transaction.atomic
def action_update(*, by, action: Action, **fields) -> Action:
    """The team changes anything; the owner may change the status."""
    require_write(by)
    action = Action.objects.select_for_update(of=("self",)).select_related("meeting__territory").get(pk=action.pk)
    manager = selectors.can_manage_meeting(by, action.meeting)
    if not manager:
        if not is_action_owner(by, action):
            raise NotAllowed(_("Seul·e le porteur de l'action ou l'équipe du territoire peut la modifier."))
        if set(fields) - {"status"}:
            raise NotAllowed(_("Le porteur d'une action peut seulement en changer le statut."))
    allowed = {"title", "description", "owner_organization", "owner_user", "due_date", "status", "decision"}
    unknown = set(fields) - allowed
    if unknown:
        raise refused(sorted(unknown)[0], _("Champ inconnu."))
    if "owner_organization" in fields or "owner_user" in fields:
        owner_org = fields.get("owner_organization", action.owner_organization)
        owner_user = fields.get("owner_user", action.owner_user)
        if "owner_organization" in fields and fields["owner_organization"] is not None and "owner_user" not in fields:
            owner_user = None
        if "owner_user" in fields and fields["owner_user"] is not None and "owner_organization" not in fields:
            owner_org = None
        _check_owner(action.meeting, owner_org, owner_user)
        fields["owner_organization"], fields["owner_user"] = owner_org, owner_user
    if fields.get("decision") is not None and fields["decision"].meeting_id != action.meeting_id:
        raise refused("decision", _("Cette décision a été prise dans une autre réunion."))
    if "title" in fields and not fields["title"]:
        raise refused("title", _("Donnez un intitulé à l'action."), "empty_action")
    for field, value in fields.items():
        setattr(action, field, value)
    validate_model(action, exclude=["meeting", "owner_organization", "owner_user", "decision"], constraints=False)
    action.save()
    return action


@transaction.atomic
def action_note_add(*, by, action: Action, text: str, status: str | None = None) -> ActionNote:
    """A dated progress note, optionally with a new status (owner or team)."""
    require_write(by)
    if not can_follow_up_action(by, action):
        raise NotAllowed(_("Seul·e le porteur de l'action ou l'équipe du territoire peut la suivre."))
    if not text:
        raise refused("text", _("Écrivez où en est l'action."), "empty_note")
    if status:
        action_update(by=by, action=action, status=status)
    return ActionNote.objects.create(action=action, author=as_user(by), text=text)


def actions_remind_overdue(*, now: datetime | None = None) -> int:
    """Tell owners of overdue open actions. Never twice the same day; then once a week."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    quiet_since = datetime.combine(today - timedelta(days=OVERDUE_REMINDER_EVERY_DAYS - 1), datetime.min.time(), tz)
    due = selectors.actions_overdue(today=today).filter(
        Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=quiet_since)
    )
    reminded = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            action = (
                Action.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("meeting", "owner_organization", "owner_user")
                .filter(pk=pk)
                .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=quiet_since))
                .first()
            )
            if action is None:
                continue
            action.last_reminded_at = now
            action.save(update_fields=["last_reminded_at"])
            if action.owner_user_id:
                users = [action.owner_user]
            else:
                users = [m.user for m in action.owner_organization.memberships.select_related("user")]

            def title(action=action):  # in each recipient's language
                return _("Action en retard : %(title)s") % {"title": action.title}

            def body(action=action):
                return _("Échéance dépassée le %(due)s (réunion « %(meeting)s »). Donnez-en des nouvelles.") % {
                    "due": action.due_date.strftime("%d/%m/%Y"),
                    "meeting": action.meeting.title,
                }

            url = reverse("meetings:action_detail", args=[action.pk])
            notify(users=users, kind="meeting_action_overdue", title=title, body=body, url=url)
            if not users and action.owner_organization and action.owner_organization.email:
                mail_later([action.owner_organization.email], title(), body() + "\n" + site_url(url) + "\n")
            reminded += 1
    return reminded
