"""Registrations (seats, waiting list, who may register whom) and attendance."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, Q
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
    Meeting,
    MeetingInvitation,
    Registration,
)
from meetings.services.shared import (
    local_label,
    mail_later,
    meeting_path,
    organization_in_territory,
    recipients,
    require_manage_meeting,
)
from miam.errors import DomainError, NotAllowed, refused, validate_model
from miam.formatting import long_date
from miam.text import normalize


def _actor_kind(organization: Organization | None, user: User | None) -> str:
    if organization is not None:
        kind = organization.kind
        return kind if kind in Registration.ActorKind.values else Registration.ActorKind.OTHER
    if user is not None:
        return Registration.ActorKind.PERSON
    return Registration.ActorKind.RESIDENT


def _seats_taken(meeting: Meeting) -> int:
    return selectors.seats_taken(meeting)


def _next_waitlist_position(meeting: Meeting) -> int:
    top = meeting.registrations.filter(status=Registration.Status.WAITLISTED).aggregate(m=Max("waitlist_position"))
    return (top["m"] or 0) + 1


def _place(registration: Registration, meeting: Meeting, *, force_seat: bool = False) -> None:
    """Give a "yes" a seat if one is free, else a place on the waiting list."""
    if registration.answer != Registration.Answer.YES:
        registration.status = Registration.Status.CONFIRMED
        registration.waitlist_position = None
        return
    full = meeting.capacity is not None and _seats_taken(meeting) >= meeting.capacity
    if full and not force_seat:
        registration.status = Registration.Status.WAITLISTED
        registration.waitlist_position = _next_waitlist_position(meeting)
    else:
        registration.status = Registration.Status.CONFIRMED
        registration.waitlist_position = None


def _renumber_waitlist(meeting: Meeting) -> None:
    waiting = list(
        meeting.registrations.select_for_update()
        .filter(status=Registration.Status.WAITLISTED)
        .order_by("waitlist_position", "id")
    )
    for index, registration in enumerate(waiting, start=1):
        if registration.waitlist_position != index:
            registration.waitlist_position = index
            registration.save(update_fields=["waitlist_position", "updated_at"])


def waitlist_promote(meeting: Meeting) -> list[Registration]:
    """Seats freed: the first of the waiting list get them, in order. Caller holds the meeting lock."""
    promoted = []
    while meeting.capacity is None or _seats_taken(meeting) < meeting.capacity:
        first = (
            meeting.registrations.select_for_update()
            .filter(status=Registration.Status.WAITLISTED)
            .order_by("waitlist_position", "id")
            .first()
        )
        if first is None:
            break
        first.status = Registration.Status.CONFIRMED
        first.waitlist_position = None
        first.save(update_fields=["status", "waitlist_position", "updated_at"])
        promoted.append(first)
    if promoted:
        _renumber_waitlist(meeting)
        for registration in promoted:
            users, emails = recipients([registration])

            def title():  # in each recipient's language (the current one for guests)
                return _("Une place s'est libérée : %(title)s") % {"title": meeting.title}

            def body():
                return _("Votre inscription à la réunion du %(date)s est confirmée.") % {
                    "date": local_label(meeting.starts_at)
                }

            notify(users=users, kind="meeting_promoted", title=title, body=body, url=meeting_path(meeting))
            mail_later(emails, title(), body() + "\n")
    return promoted


def _check_registrant(
    *, by, meeting: Meeting, organization: Organization | None, user: User | None, invitation: MeetingInvitation | None
) -> None:
    """Who may register whom. Officers and organizers may register anyone of the territory."""
    if selectors.can_manage_meeting(by, meeting):
        require_write(by)
        return
    require_write(by)
    invited_only = meeting.visibility == Meeting.Visibility.INVITED
    if organization is not None:
        if invitation is not None and invitation.organization_id == organization.pk:
            return
        if not can_edit_organization(by, organization):
            raise NotAllowed(_("Vous ne pouvez inscrire que vos propres organisations."))
        if invited_only and not selectors.is_invited(meeting, organization=organization):
            raise DomainError(
                "not_invited",
                _("Cette réunion est sur invitation et %(org)s n'est pas invitée.") % {"org": organization.name},
            )
        if (
            meeting.visibility == Meeting.Visibility.TERRITORY
            and not organization_in_territory(organization, meeting.territory)
            and not selectors.is_invited(meeting, organization=organization)
        ):
            raise DomainError(
                "outside_territory",
                _("Cette réunion est réservée aux acteurs du territoire %(t)s.") % {"t": meeting.territory.name},
            )
        return
    if user is not None:
        if invitation is not None and invitation.user_id == user.pk:
            return
        me = as_user(by)
        if me is None or me.pk != user.pk:
            raise NotAllowed(_("Vous ne pouvez inscrire que vous-même."))
        if invited_only and not selectors.is_invited(meeting, user=user):
            raise DomainError("not_invited", _("Cette réunion est sur invitation et vous n'êtes pas invité·e."))
        if meeting.visibility == Meeting.Visibility.TERRITORY and not selectors.can_view_meeting(by, meeting):
            raise DomainError(
                "outside_territory",
                _("Cette réunion est réservée aux acteurs du territoire %(t)s.") % {"t": meeting.territory.name},
            )
        return
    # A resident without an account: public meetings, or with an e-mailed invitation.
    if invitation is not None and invitation.email:
        return
    if meeting.visibility != Meeting.Visibility.PUBLIC:
        raise DomainError(
            "not_invited",
            _("Seule l'équipe du territoire peut inscrire une personne sans compte à cette réunion."),
        )


def _find_registration(
    meeting: Meeting, *, organization: Organization | None, user: User | None, guest_name: str
) -> Registration | None:
    """The participant's registration to this meeting, whatever its status (a resident by name)."""
    qs = meeting.registrations.all()
    if organization is not None:
        return qs.filter(organization=organization).first()
    if user is not None:
        return qs.filter(user=user, organization__isnull=True).first()
    wanted = normalize(guest_name)
    guests = qs.filter(organization__isnull=True, user__isnull=True).order_by("id")
    return next((r for r in guests if normalize(r.guest_name) == wanted), None)


def registration_make(
    *,
    meeting: Meeting,
    by: User | None,
    organization: Organization | None = None,
    user: User | None = None,
    guest_name: str = "",
    guest_email: str = "",
    guest_consent: bool = False,
    answer: str = Registration.Answer.YES,
    note: str = "",
    invitation: MeetingInvitation | None = None,
    existing: Registration | None = None,
    walk_in: bool = False,
) -> Registration:
    """Create (or bring back a cancelled) registration. Caller checked the rights."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.is_cancelled:
        raise DomainError("meeting_cancelled", _("Cette réunion est annulée."))
    guest_name = " ".join((guest_name or "").split())
    if organization is None and user is None:
        errors = {}
        if not guest_name:
            errors["guest_name"] = [_("Indiquez le nom de la personne.")]
        if not guest_consent:
            errors["guest_consent"] = [_("La personne doit accepter que son nom soit enregistré pour cette réunion.")]
        if errors:
            raise DomainError("guest_incomplete", next(iter(errors.values()))[0], fields=errors)
    if existing is None:
        existing = _find_registration(meeting, organization=organization, user=user, guest_name=guest_name)
        if existing is not None and existing.status != Registration.Status.CANCELLED:
            who = organization.name if organization is not None else (str(user) if user else guest_name)
            raise DomainError("already_registered", _("%(who)s est déjà inscrit·e à cette réunion.") % {"who": who})
    registration = existing or Registration(meeting=meeting)
    registration.organization = organization
    registration.user = user if organization is None else None
    registration.guest_name = guest_name if organization is None and user is None else ""
    registration.guest_email = (guest_email or "").strip().lower() if organization is None and user is None else ""
    registration.guest_consent = bool(guest_consent) if organization is None and user is None else False
    registration.answer = answer
    registration.note = note
    registration.actor_kind = _actor_kind(organization, user)
    registration.invitation = invitation or registration.invitation
    registration.registered_by = by
    registration.attended = True if walk_in else None
    _place(registration, meeting, force_seat=walk_in)
    validate_model(registration, exclude=["meeting", "organization", "user", "invitation"], constraints=False)
    registration.save()
    return registration


@transaction.atomic
def registration_create(
    *,
    by,
    meeting: Meeting,
    organization: Organization | None = None,
    user: User | None = None,
    guest_name: str = "",
    guest_email: str = "",
    guest_consent: bool = False,
    answer: str = Registration.Answer.YES,
    note: str = "",
    walk_in: bool = False,
) -> Registration:
    """Register an organization, oneself, or a resident without an account (name + consent).

    A "yes" takes a seat, or a place on the waiting list when the meeting is full. Registering
    the same participant twice is an error. ``walk_in`` (team only, on the day) marks the
    person present and gives a seat even over capacity."""
    if organization is not None and user is not None:
        user = None  # an organization's registration is recorded for the organization
    if walk_in and not selectors.can_manage_meeting(by, meeting):
        raise NotAllowed(_("Seule l'équipe de la réunion peut ajouter une personne présente."))
    if walk_in:
        require_meeting_day(meeting)
    _check_registrant(by=by, meeting=meeting, organization=organization, user=user, invitation=None)
    if not selectors.can_manage_meeting(by, meeting) and meeting.ends_at < timezone.now():
        raise DomainError("meeting_past", _("Cette réunion est passée : les inscriptions sont closes."))
    invitation = None
    if organization is not None:
        invitation = meeting.invitations.filter(organization=organization).first()
    elif user is not None:
        invitation = meeting.invitations.filter(Q(user=user) | Q(email__iexact=user.email)).first()
    return registration_make(
        meeting=meeting,
        by=as_user(by),
        organization=organization,
        user=user,
        guest_name=guest_name,
        guest_email=guest_email,
        guest_consent=guest_consent,
        answer=answer,
        note=note,
        invitation=invitation,
        walk_in=walk_in,
    )


def can_change_registration(principal, registration: Registration) -> bool:
    if selectors.can_manage_meeting(principal, registration.meeting):
        return True
    user = as_user(principal)
    if registration.organization_id:
        return can_edit_organization(principal, registration.organization)
    return bool(user) and (registration.user_id == user.pk or registration.registered_by_id == user.pk)


def registration_change(*, registration: Registration, answer: str | None = None, note: str | None = None):
    meeting = Meeting.objects.select_for_update().get(pk=registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        raise DomainError("registration_cancelled", _("Cette inscription est annulée ; inscrivez-vous à nouveau."))
    if note is not None:
        registration.note = note
    if answer is not None and answer != registration.answer:
        had_seat = registration.holds_seat
        registration.answer = answer
        if answer == Registration.Answer.YES:
            _place(registration, meeting)
        else:
            registration.status = Registration.Status.CONFIRMED
            registration.waitlist_position = None
        registration.save()
        if had_seat or registration.status == Registration.Status.CONFIRMED:
            _renumber_waitlist(meeting)
            waitlist_promote(meeting)
        registration.refresh_from_db()
        return registration
    registration.save()
    return registration


@transaction.atomic
def registration_update(
    *, by, registration: Registration, answer: str | None = None, note: str | None = None
) -> Registration:
    """Change the answer (yes / maybe / no) or the note. Giving up a seat promotes the waiting list."""
    require_write(by)
    if not can_change_registration(by, registration):
        raise NotAllowed(_("Vous ne pouvez modifier que vos propres inscriptions."))
    return registration_change(registration=registration, answer=answer, note=note)


@transaction.atomic
def registration_cancel(*, by, registration: Registration) -> Registration:
    """Cancel; the seat goes to the first of the waiting list (rows locked, in one transaction)."""
    require_write(by)
    if not can_change_registration(by, registration):
        raise NotAllowed(_("Vous ne pouvez annuler que vos propres inscriptions."))
    meeting = Meeting.objects.select_for_update().get(pk=registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        raise DomainError("already_cancelled", _("Cette inscription est déjà annulée."))
    registration.status = Registration.Status.CANCELLED
    registration.waitlist_position = None
    registration.save(update_fields=["status", "waitlist_position", "updated_at"])
    _renumber_waitlist(meeting)
    waitlist_promote(meeting)
    return registration


def require_meeting_day(meeting: Meeting) -> None:
    """Who came is known from the day of the meeting on (local date), never before."""
    day = timezone.localdate(meeting.starts_at)
    if timezone.localdate() < day:
        raise DomainError(
            "meeting_not_started",
            _("La présence se note à partir du jour de la réunion (le %(day)s).") % {"day": long_date(day)},
        )


@transaction.atomic
def attendance_mark(*, by, registration: Registration, attended: bool | None) -> Registration:
    require_manage_meeting(by, registration.meeting)
    if attended is not None:
        require_meeting_day(registration.meeting)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED and attended:
        raise DomainError("registration_cancelled", _("Cette inscription est annulée."))
    registration.attended = attended
    registration.save(update_fields=["attended", "updated_at"])
    return registration


@transaction.atomic
def attendance_set(*, by, meeting: Meeting, present_ids: Iterable[int]) -> dict:
    """Take the roll in one go: the listed registrations came, the other expected ones did not."""
    require_manage_meeting(by, meeting)
    require_meeting_day(meeting)
    present = set(present_ids)
    rows = meeting.registrations.select_for_update().exclude(status=Registration.Status.CANCELLED)
    known = set(rows.values_list("id", flat=True))
    unknown = present - known
    if unknown:
        raise refused("present", _("Inscriptions inconnues pour cette réunion : %(ids)s.") % {"ids": sorted(unknown)})
    rows.filter(id__in=present).update(attended=True, updated_at=timezone.now())
    rows.exclude(id__in=present).update(attended=False, updated_at=timezone.now())
    return selectors.attendance_stats(meeting)
