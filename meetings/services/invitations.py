"""Invitations to a meeting (organizations, people, anyone by e-mail, with an ``.ics``) and
the answers to them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Notification, Organization, User
from actors.permissions import (
    as_user,
)
from meetings import ics
from meetings.models import (
    Meeting,
    MeetingInvitation,
    Registration,
)
from meetings.services.registrations import registration_change, registration_make
from meetings.services.shared import (
    local_label,
    meeting_path,
    organization_in_territory,
    person_in_territory,
    require_manage_meeting,
    site_url,
)
from miam import mail
from miam.errors import DomainError, refused


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
        "meeting_url": site_url(meeting_path(meeting)),
        "answer_url": site_url(reverse("meetings:invitation_answer", args=[raw_token])),
    }
    subject = _("[MIAM] Invitation : %(title)s, le %(date)s") % {
        "title": meeting.title,
        "date": timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y"),
    }
    body = render_to_string("meetings/email/invitation.txt", context)
    ics_file = {
        "filename": "invitation.ics",
        "content": ics.meeting_ics(meeting).decode(),
        "mimetype": "text/calendar; charset=utf-8; method=PUBLISH",
    }
    for address in recipients:  # after the commit, retried while SMTP refuses (miam.mail)
        mail.email_queue(to=address, subject=subject, body=body, attachments=[ics_file])


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
    # Addresses are checked by the input (meetings.inputs.email_addresses); an account is
    # found by its address whatever its case.
    clean_emails = [address.strip().lower() for address in emails if address.strip()]
    outside = [o.name for o in organizations if not organization_in_territory(o, meeting.territory)]
    if outside:
        raise refused(
            "organizations",
            _("Ces organisations ne sont pas sur le territoire : %(names)s.") % {"names": ", ".join(outside)},
            "outside_territory",
        )
    outside = [str(u) for u in users if not person_in_territory(u, meeting.territory)]
    if outside:
        raise refused(
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

    # Written to the outgoing-mail outbox with the invitations: sent after the commit, retried
    # while the SMTP server refuses (``sent_at``: handed to it).
    now = timezone.now()
    for invitation, raw in created:
        _send_invitation(invitation, raw)
    MeetingInvitation.objects.filter(pk__in=[i.pk for i, _raw in created]).update(sent_at=now)
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
                body=_("Le %(date)s.") % {"date": local_label(meeting.starts_at)},
                url=meeting_path(meeting),
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
        return registration_change(registration=existing, answer=answer, note=note)
    fields = {
        "guest_name": guest_name,
        "guest_consent": guest_consent,
        "guest_email": invitation.email,
    }
    if invitation.organization_id:
        fields = {"organization": invitation.organization}
    elif invitation.user_id:
        fields = {"user": invitation.user}
    return registration_make(
        meeting=meeting,
        by=as_user(by),
        answer=answer,
        note=note,
        invitation=invitation,
        existing=existing,
        **fields,
    )
