"""Every write and business rule on meetings: one function per use case, a transaction
inside, domain errors out. Pages, the API and Celery jobs all go through here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, Notification, Organization, Territory, TerritoryRole, User
from actors.permissions import (
    as_user,
    can_edit_organization,
    require_manage_territory,
    require_write,
)
from actors.services import notify
from meetings import ics, selectors
from meetings.models import (
    Action,
    ActionNote,
    CalendarToken,
    Decision,
    DiagnosticInterview,
    Meeting,
    MeetingInvitation,
    Minutes,
    Registration,
)
from miam.errors import DomainError, NotAllowed, validation_error_fields
from miam.formatting import long_date
from miam.text import normalize

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
# Owners of an overdue action hear about it at most once a week (never twice the same day).
OVERDUE_REMINDER_EVERY_DAYS = 7


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(code, message, fields={field: [message]})


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        raise DomainError(
            "invalid", _("Certaines données sont invalides."), fields=validation_error_fields(error)
        ) from error


def _aware(value, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise _invalid(field, _("Date et heure invalides."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _meeting_path(meeting: Meeting) -> str:
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


# --- Meetings ------------------------------------------------------------------------


def _check_meeting(meeting: Meeting) -> None:
    errors: dict[str, list[str]] = {}
    if not (meeting.title or "").strip():
        errors["title"] = [_("Donnez un titre à la réunion.")]
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        errors["ends_at"] = [_("La fin doit être après le début.")]
    if meeting.capacity is not None and meeting.capacity < 1:
        errors["capacity"] = [_("Le nombre de places doit être d'au moins 1 (laissez vide pour ne pas limiter).")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError("invalid_meeting", first, fields=errors)
    _full_clean(meeting, exclude=["territory", "organizers"])


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
        raise _invalid(sorted(unknown)[0], _("Champ inconnu."))
    meeting = Meeting(
        territory=territory,
        title=(title or "").strip(),
        kind=kind,
        starts_at=_aware(starts_at, "starts_at"),
        ends_at=_aware(ends_at, "ends_at"),
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
        raise _invalid(sorted(unknown)[0], _("Champ inconnu."))
    for field, value in fields.items():
        if field in ("starts_at", "ends_at"):
            value = _aware(value, field)
        setattr(meeting, field, value)
    _check_meeting(meeting)
    meeting.ical_sequence += 1
    if "starts_at" in fields:
        meeting.reminder_sent_at = None  # moved: the reminder is due again for the new date
    meeting.save()
    if organizers is not None:
        meeting.organizers.set(list(organizers))
    _promote_waitlist(meeting)
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
    users, emails = _recipients(registrations)
    title = _("Réunion annulée : %(title)s") % {"title": meeting.title}
    body = _("La réunion du %(date)s est annulée.") % {"date": _local_label(meeting.starts_at)}
    notify(users=users, kind="meeting_cancelled", title=title, body=body, url=_meeting_path(meeting))
    _mail_later(emails, title, body + "\n")
    return meeting


def _local_label(value: datetime) -> str:
    local = timezone.localtime(value)
    return local.strftime("%d/%m/%Y %H:%M")


# --- Invitations ---------------------------------------------------------------------


def _invitation_recipients(invitation: MeetingInvitation) -> list[str]:
    if invitation.organization_id:
        org = invitation.organization
        addresses = [org.email] if org.email else []
        addresses += [m.user.email for m in org.memberships.select_related("user") if m.user.is_active]
        return list(dict.fromkeys(a.lower() for a in addresses if a))
    if invitation.user_id:
        return [invitation.user.email]
    return [invitation.email]


def _send_invitation(invitation: MeetingInvitation, raw_token: str) -> None:
    meeting = invitation.meeting
    recipients = _invitation_recipients(invitation)
    if not recipients:
        return
    context = {
        "meeting": meeting,
        "invitation": invitation,
        "starts": timezone.localtime(meeting.starts_at),
        "ends": timezone.localtime(meeting.ends_at),
        "meeting_url": _site_url(_meeting_path(meeting)),
        "answer_url": _site_url(reverse("meetings:invitation_answer", args=[raw_token])),
    }
    subject = _("[MIAM] Invitation : %(title)s, le %(date)s") % {
        "title": meeting.title,
        "date": timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y"),
    }
    body = render_to_string("meetings/email/invitation.txt", context)
    attachment = ics.meeting_ics(meeting)
    for address in recipients:
        message = EmailMultiAlternatives(subject=subject, body=body, to=[address])
        message.attach("invitation.ics", attachment, "text/calendar; charset=utf-8; method=PUBLISH")
        message.send()


@transaction.atomic
def meeting_invite(
    *,
    by,
    meeting: Meeting,
    organizations: Iterable[Organization] = (),
    users: Iterable[User] = (),
    emails: Iterable[str] = (),
) -> list[MeetingInvitation]:
    """Invite organizations or people of the territory, or anyone by e-mail (with an .ics).

    Someone already invited is not invited twice; the created invitations are returned."""
    require_manage_meeting(by, meeting)
    if meeting.is_cancelled:
        raise DomainError("meeting_cancelled", _("Cette réunion est annulée."))
    organizations, users = list(organizations), list(users)
    clean_emails = []
    for raw in emails:
        address = (raw or "").strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise _invalid("emails", _("Adresse e-mail invalide : « %(e)s ».") % {"e": address}, "invalid_email")
        clean_emails.append(address)
    outside = [o.name for o in organizations if not organization_in_territory(o, meeting.territory)]
    if outside:
        raise _invalid(
            "organizations",
            _("Ces organisations ne sont pas sur le territoire : %(names)s.") % {"names": ", ".join(outside)},
            "outside_territory",
        )
    outside = [str(u) for u in users if not person_in_territory(u, meeting.territory)]
    if outside:
        raise _invalid(
            "users",
            _("Ces personnes ne sont pas rattachées au territoire : %(names)s.") % {"names": ", ".join(outside)},
            "outside_territory",
        )
    existing = meeting.invitations.all()
    known_orgs = {i.organization_id for i in existing if i.organization_id}
    known_users = {i.user_id for i in existing if i.user_id}
    known_emails = {i.email for i in existing if i.email}
    # An e-mail that belongs to an account is an invitation of that person.
    accounts = {u.email.lower(): u for u in User.objects.filter(email__in=clean_emails)}
    created: list[tuple[MeetingInvitation, str]] = []
    inviter = as_user(by)

    def add(**target):
        raw, digest = MeetingInvitation.new_token()
        invitation = MeetingInvitation.objects.create(meeting=meeting, token_hash=digest, invited_by=inviter, **target)
        created.append((invitation, raw))

    for org in dict.fromkeys(organizations):
        if org.pk not in known_orgs:
            known_orgs.add(org.pk)
            add(organization=org)
    for address in dict.fromkeys(clean_emails):
        account = accounts.get(address)
        if account is not None:
            users.append(account)
        elif address not in known_emails:
            known_emails.add(address)
            add(email=address)
    for user in users:
        if user.pk not in known_users:
            known_users.add(user.pk)
            add(user=user)

    def send():
        now = timezone.now()
        for invitation, raw in created:
            _send_invitation(invitation, raw)
            MeetingInvitation.objects.filter(pk=invitation.pk).update(sent_at=now)

    transaction.on_commit(send)
    _notify_invited([i for i, _raw in created], meeting)
    return [i for i, _raw in created]


def _notify_invited(invitations: list[MeetingInvitation], meeting: Meeting) -> None:
    """In-app notice for account holders; the e-mail with the .ics already went out."""
    users: dict[int, User] = {}
    for invitation in invitations:
        if invitation.user_id:
            users[invitation.user_id] = invitation.user
        elif invitation.organization_id:
            for membership in invitation.organization.memberships.select_related("user"):
                users[membership.user_id] = membership.user
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind="meeting_invitation",
                title=_("Invitation : %(title)s") % {"title": meeting.title},
                body=_("Le %(date)s.") % {"date": _local_label(meeting.starts_at)},
                url=_meeting_path(meeting),
                emailed_at=now,
            )
            for user in users.values()
        ]
    )


def invitation_get(*, token: str) -> MeetingInvitation:
    invitation = (
        MeetingInvitation.objects.select_related("meeting__territory", "organization", "user")
        .filter(token_hash=MeetingInvitation.hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise DomainError("invitation_unknown", _("Ce lien d'invitation n'est pas valable."), status_code=404)
    return invitation


@transaction.atomic
def invitation_answer(
    *,
    token: str,
    answer: str,
    note: str = "",
    guest_name: str = "",
    guest_consent: bool = False,
    by=None,
) -> Registration:
    """Answer through the e-mailed link: registers the invited organization, person or guest,
    or updates the answer already given (the link is an RSVP, answering again is not a duplicate)."""
    invitation = invitation_get(token=token)
    meeting = invitation.meeting
    if meeting.ends_at < timezone.now():
        raise DomainError("meeting_past", _("Cette réunion est passée : les inscriptions sont closes."))
    target: dict = {}
    if invitation.organization_id:
        target = {"organization": invitation.organization}
    elif invitation.user_id:
        target = {"user": invitation.user, "organization__isnull": True}
    existing = None
    if target:
        existing = meeting.registrations.filter(**target).first()
    else:
        existing = meeting.registrations.filter(invitation=invitation).first()
    if existing is not None and existing.status != Registration.Status.CANCELLED:
        return _registration_change(registration=existing, answer=answer, note=note)
    fields = {
        "guest_name": guest_name,
        "guest_consent": guest_consent,
        "guest_email": invitation.email,
    }
    if invitation.organization_id:
        fields = {"organization": invitation.organization}
    elif invitation.user_id:
        fields = {"user": invitation.user}
    return _registration_make(
        meeting=meeting,
        by=as_user(by),
        answer=answer,
        note=note,
        invitation=invitation,
        existing=existing,
        **fields,
    )


# --- Registrations -------------------------------------------------------------------


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


def _registrants_users(registration: Registration) -> list[User]:
    if registration.user_id:
        return [registration.user]
    if registration.organization_id:
        return [m.user for m in registration.organization.memberships.select_related("user")]
    return []


def _recipients(registrations: Iterable[Registration]) -> tuple[list[User], list[str]]:
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


def _mail_later(emails: list[str], subject: str, body: str) -> None:
    if not emails:
        return

    def send():
        for address in emails:
            send_mail(subject=f"[MIAM] {subject}", message=body, from_email=None, recipient_list=[address])

    transaction.on_commit(send)


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


def _promote_waitlist(meeting: Meeting) -> list[Registration]:
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
            users, emails = _recipients([registration])
            title = _("Une place s'est libérée : %(title)s") % {"title": meeting.title}
            body = _("Votre inscription à la réunion du %(date)s est confirmée.") % {
                "date": _local_label(meeting.starts_at)
            }
            notify(users=users, kind="meeting_promoted", title=title, body=body, url=_meeting_path(meeting))
            _mail_later(emails, title, body + "\n")
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


def _registration_make(
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
    if answer not in Registration.Answer.values:
        raise _invalid("answer", _("Réponse inconnue : oui, non ou peut-être."))
    guest_name = " ".join((guest_name or "").split())
    if organization is None and user is None:
        errors = {}
        if not guest_name:
            errors["guest_name"] = [_("Indiquez le nom de la personne.")]
        if not guest_consent:
            errors["guest_consent"] = [_("La personne doit accepter que son nom soit enregistré pour cette réunion.")]
        if errors:
            raise DomainError("guest_incomplete", next(iter(errors.values()))[0], fields=errors)
        if guest_email:
            try:
                validate_email(guest_email)
            except ValidationError:
                raise _invalid("guest_email", _("Adresse e-mail invalide."))
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
    registration.note = (note or "").strip()
    registration.actor_kind = _actor_kind(organization, user)
    registration.invitation = invitation or registration.invitation
    registration.registered_by = by
    registration.attended = True if walk_in else None
    _place(registration, meeting, force_seat=walk_in)
    _full_clean(registration, exclude=["meeting", "organization", "user", "invitation"])
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
    return _registration_make(
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


def _registration_change(*, registration: Registration, answer: str | None = None, note: str | None = None):
    meeting = Meeting.objects.select_for_update().get(pk=registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        raise DomainError("registration_cancelled", _("Cette inscription est annulée ; inscrivez-vous à nouveau."))
    if note is not None:
        registration.note = note.strip()
    if answer is not None and answer != registration.answer:
        if answer not in Registration.Answer.values:
            raise _invalid("answer", _("Réponse inconnue : oui, non ou peut-être."))
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
            _promote_waitlist(meeting)
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
    return _registration_change(registration=registration, answer=answer, note=note)


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
    _promote_waitlist(meeting)
    return registration


# --- Attendance ----------------------------------------------------------------------


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


def require_meeting_day(meeting: Meeting) -> None:
    """Who came is known from the day of the meeting on (local date), never before."""
    day = timezone.localdate(meeting.starts_at)
    if timezone.localdate() < day:
        raise DomainError(
            "meeting_not_started",
            _("La présence se note à partir du jour de la réunion (le %(day)s).") % {"day": long_date(day)},
        )


@transaction.atomic
def attendance_set(*, by, meeting: Meeting, present_ids: Iterable[int]) -> dict:
    """Take the roll in one go: the listed registrations came, the other expected ones did not."""
    require_manage_meeting(by, meeting)
    require_meeting_day(meeting)
    present = {int(pk) for pk in present_ids}
    rows = meeting.registrations.select_for_update().exclude(status=Registration.Status.CANCELLED)
    known = set(rows.values_list("id", flat=True))
    unknown = present - known
    if unknown:
        raise _invalid("present", _("Inscriptions inconnues pour cette réunion : %(ids)s.") % {"ids": sorted(unknown)})
    rows.filter(id__in=present).update(attended=True, updated_at=timezone.now())
    rows.exclude(id__in=present).update(attended=False, updated_at=timezone.now())
    return selectors.attendance_stats(meeting)


# --- Minutes, decisions, actions -----------------------------------------------------


@transaction.atomic
def minutes_save(*, by, meeting: Meeting, body: str, is_published: bool | None = None) -> Minutes:
    require_manage_meeting(by, meeting)
    minutes, _created = Minutes.objects.select_for_update().get_or_create(meeting=meeting)
    minutes.body = body or ""
    if is_published is not None:
        minutes.is_published = is_published
    minutes.updated_by = as_user(by)
    minutes.save()
    return minutes


def _check_decision_links(meeting: Meeting, initiative, planned_action) -> None:
    if planned_action is not None and planned_action.plan.territory_id != meeting.territory_id:
        raise _invalid(
            "planned_action",
            _("Cette action appartient au plan d'action d'un autre territoire."),
            "outside_territory",
        )


@transaction.atomic
def decision_create(*, by, meeting: Meeting, text: str, initiative=None, planned_action=None) -> Decision:
    require_manage_meeting(by, meeting)
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("Écrivez la décision."), "empty_decision")
    _check_decision_links(meeting, initiative, planned_action)
    decision = Decision(meeting=meeting, text=text, created_by=as_user(by))
    _set_decision_links(decision, initiative, planned_action)
    decision.save()
    return decision


def _set_decision_links(decision: Decision, initiative, planned_action) -> None:
    decision.initiative = initiative
    decision.planned_action = planned_action
    if planned_action is not None and initiative is None and planned_action.initiative_id:
        decision.initiative_id = planned_action.initiative_id


_UNSET = object()


@transaction.atomic
def decision_update(
    *, by, decision: Decision, text: str | None = None, initiative=_UNSET, planned_action=_UNSET
) -> Decision:
    require_manage_meeting(by, decision.meeting)
    if text is not None:
        text = text.strip()
        if not text:
            raise _invalid("text", _("Écrivez la décision."), "empty_decision")
        decision.text = text
    initiative = decision.initiative if initiative is _UNSET else initiative
    planned_action = decision.planned_action if planned_action is _UNSET else planned_action
    _check_decision_links(decision.meeting, initiative, planned_action)
    _set_decision_links(decision, initiative, planned_action)
    decision.save()
    return decision


@transaction.atomic
def decision_delete(*, by, decision: Decision) -> None:
    require_manage_meeting(by, decision.meeting)
    decision.delete()


def _check_owner(meeting: Meeting, owner_organization: Organization | None, owner_user: User | None) -> None:
    if (owner_organization is None) == (owner_user is None):
        raise DomainError(
            "owner_required",
            _("Choisissez un porteur : une organisation ou une personne (pas les deux)."),
            fields={"owner_organization": [_("Une organisation ou une personne, pas les deux.")]},
        )
    if owner_organization is not None and not organization_in_territory(owner_organization, meeting.territory):
        raise _invalid(
            "owner_organization",
            _("%(org)s n'est pas sur le territoire %(t)s.") % {"org": owner_organization.name, "t": meeting.territory},
            "owner_outside_territory",
        )
    if owner_user is not None and not person_in_territory(owner_user, meeting.territory):
        raise _invalid(
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
    title = (title or "").strip()
    if not title:
        raise _invalid("title", _("Donnez un intitulé à l'action."), "empty_action")
    _check_owner(meeting, owner_organization, owner_user)
    if decision is not None and decision.meeting_id != meeting.pk:
        raise _invalid("decision", _("Cette décision a été prise dans une autre réunion."))
    action = Action(
        meeting=meeting,
        title=title,
        description=description or "",
        owner_organization=owner_organization,
        owner_user=owner_user,
        due_date=due_date,
        decision=decision,
        status=status,
        created_by=as_user(by),
    )
    _full_clean(action, exclude=["meeting", "owner_organization", "owner_user", "decision"])
    action.save()
    users = [owner_user] if owner_user else [m.user for m in owner_organization.memberships.select_related("user")]
    notify(
        users=users,
        kind="meeting_action",
        title=_("Action à porter : %(title)s") % {"title": title},
        body=_("Décidée lors de « %(meeting)s ».") % {"meeting": meeting.title},
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
        raise _invalid(sorted(unknown)[0], _("Champ inconnu."))
    if "status" in fields and fields["status"] not in Action.Status.values:
        raise _invalid("status", _("Statut inconnu."))
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
        raise _invalid("decision", _("Cette décision a été prise dans une autre réunion."))
    if "title" in fields and not (fields["title"] or "").strip():
        raise _invalid("title", _("Donnez un intitulé à l'action."), "empty_action")
    for field, value in fields.items():
        setattr(action, field, value)
    _full_clean(action, exclude=["meeting", "owner_organization", "owner_user", "decision"])
    action.save()
    return action


@transaction.atomic
def action_note_add(*, by, action: Action, text: str, status: str | None = None) -> ActionNote:
    """A dated progress note, optionally with a new status (owner or team)."""
    require_write(by)
    if not can_follow_up_action(by, action):
        raise NotAllowed(_("Seul·e le porteur de l'action ou l'équipe du territoire peut la suivre."))
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("Écrivez où en est l'action."), "empty_note")
    if status:
        action_update(by=by, action=action, status=status)
    return ActionNote.objects.create(action=action, author=as_user(by), text=text)


@transaction.atomic
def meeting_discussed_actions_set(*, by, meeting: Meeting, planned_actions: Iterable) -> Meeting:
    """Link the shortlisted actions of the territory's plan to the meeting where they were discussed."""
    require_manage_meeting(by, meeting)
    planned_actions = list(planned_actions)
    foreign = [a.title for a in planned_actions if a.plan.territory_id != meeting.territory_id]
    if foreign:
        raise _invalid(
            "discussed_actions",
            _("Ces actions appartiennent au plan d'un autre territoire : %(t)s.") % {"t": ", ".join(foreign)},
            "outside_territory",
        )
    meeting.discussed_actions.set(planned_actions)
    return meeting


# --- Jobs: reminders -----------------------------------------------------------------


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
            users, emails = _recipients(registrations)
            title = _("Rappel : %(title)s") % {"title": meeting.title}
            body = _("La réunion a lieu le %(date)s%(place)s.") % {
                "date": _local_label(meeting.starts_at),
                "place": f" ({meeting.place_label()})" if meeting.place_label() else "",
            }
            notify(users=users, kind="meeting_reminder", title=title, body=body, url=_meeting_path(meeting))
            _mail_later(emails, title, body + "\n" + _site_url(_meeting_path(meeting)) + "\n")
            sent += 1
    return sent


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
            title = _("Action en retard : %(title)s") % {"title": action.title}
            body = _("Échéance dépassée le %(due)s (réunion « %(meeting)s »). Donnez-en des nouvelles.") % {
                "due": action.due_date.strftime("%d/%m/%Y"),
                "meeting": action.meeting.title,
            }
            url = reverse("meetings:action_detail", args=[action.pk])
            notify(users=users, kind="meeting_action_overdue", title=title, body=body, url=url)
            if not users and action.owner_organization and action.owner_organization.email:
                _mail_later([action.owner_organization.email], title, body + "\n" + _site_url(url) + "\n")
            reminded += 1
    return reminded


# --- Diagnostic interviews -----------------------------------------------------------

INTERVIEW_FIELDS = ("held_on", "interviewer", "meeting", *DiagnosticInterview.QUESTION_FIELDS)


def _check_interview(interview: DiagnosticInterview) -> None:
    if not organization_in_territory(interview.organization, interview.territory):
        raise _invalid(
            "organization",
            _("%(org)s n'est pas sur le territoire %(t)s.") % {"org": interview.organization, "t": interview.territory},
            "outside_territory",
        )
    if interview.meeting_id and interview.meeting.territory_id != interview.territory_id:
        raise _invalid("meeting", _("Ce rendez-vous est sur un autre territoire."), "outside_territory")
    if not any(getattr(interview, f).strip() for f in DiagnosticInterview.QUESTION_FIELDS):
        raise DomainError(
            "empty_interview",
            _("Renseignez au moins une des quatre questions de l'entretien."),
            fields={"links_other_world": [_("Renseignez au moins une des quatre questions.")]},
        )
    _full_clean(interview, exclude=["territory", "organization", "interviewer", "meeting"])


@transaction.atomic
def interview_create(
    *, by, territory: Territory, organization: Organization, held_on: date, **fields
) -> DiagnosticInterview:
    """Record a diagnostic interview (the team of the territory)."""
    require_manage_territory(by, territory)
    unknown = set(fields) - set(INTERVIEW_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Champ inconnu."))
    fields.setdefault("interviewer", as_user(by))
    for name in DiagnosticInterview.QUESTION_FIELDS:
        fields[name] = (fields.get(name) or "").strip()
    interview = DiagnosticInterview(
        territory=territory, organization=organization, held_on=held_on, created_by=as_user(by), **fields
    )
    _check_interview(interview)
    interview.save()
    return interview


@transaction.atomic
def interview_update(*, by, interview: DiagnosticInterview, **fields) -> DiagnosticInterview:
    require_manage_territory(by, interview.territory)
    unknown = set(fields) - set(INTERVIEW_FIELDS) - {"organization"}
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Champ inconnu."))
    for name, value in fields.items():
        if name in DiagnosticInterview.QUESTION_FIELDS:
            value = (value or "").strip()
        setattr(interview, name, value)
    _check_interview(interview)
    interview.save()
    return interview


@transaction.atomic
def interview_delete(*, by, interview: DiagnosticInterview) -> None:
    require_manage_territory(by, interview.territory)
    interview.delete()


# --- Calendar feeds ------------------------------------------------------------------


@transaction.atomic
def calendar_token_get(*, user: User, territory: Territory | None = None) -> CalendarToken:
    """The person's secret feed (or the territory's, for its team), created on first use."""
    if not getattr(user, "pk", None):
        raise NotAllowed()
    if territory is not None and not selectors.is_team_member(user, territory.pk):
        raise NotAllowed(_("Seule l'équipe du territoire a accès à son agenda complet."))
    token, _created = CalendarToken.objects.get_or_create(user=user, territory=territory)
    return token


@transaction.atomic
def calendar_token_reset(*, user: User, territory: Territory | None = None) -> CalendarToken:
    """A new secret address; the old one stops working at once."""
    CalendarToken.objects.filter(user=user, territory=territory).delete()
    return calendar_token_get(user=user, territory=territory)


def calendar_feed(*, token: str) -> tuple[CalendarToken, list[Meeting]]:
    feed = CalendarToken.objects.select_related("user", "territory").filter(token=token).first()
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
