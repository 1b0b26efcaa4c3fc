"""A person's share of the meetings: registrations and their notes, invitations, actions they own
and their notes, diagnostic interviews, calendar feeds (``actors.personal_data``).

On erasure: a person's own registration stays as an anonymous participant (attendance counts and
waiting lists keep their numbers) without its note; guest registrations and invitations made
with the person's e-mail go; an action they owned passes to the territory's carrier organization,
else to another officer or organizer of the meeting, else to the staff member who erases the
account (an action without owner cannot exist); notes and interviews they wrote stay, unsigned.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from actors.models import TerritoryRole
from meetings.models import Action, ActionNote, CalendarToken, DiagnosticInterview, MeetingInvitation, Registration


def _iso(value):
    return value.isoformat() if value else None


def export(user) -> dict:
    email = user.email
    registrations = Registration.objects.filter(user=user) | Registration.objects.filter(guest_email__iexact=email)
    return {
        "meeting_registrations": [
            {
                "meeting": r.meeting.title,
                "starts_at": _iso(r.meeting.starts_at),
                "answer": r.answer,
                "status": r.status,
                "note": r.note,
                "attended": r.attended,
                "organization": r.organization.name if r.organization_id else None,
            }
            for r in registrations.select_related("meeting", "organization").distinct()
        ],
        "meeting_invitations": [
            {"meeting": i.meeting.title, "created_at": _iso(i.created_at)}
            for i in (
                MeetingInvitation.objects.filter(user=user) | MeetingInvitation.objects.filter(email__iexact=email)
            )
            .select_related("meeting")
            .distinct()
        ],
        "actions_owned": [
            {
                "title": a.title,
                "meeting": a.meeting.title,
                "status": a.status,
                "due_date": _iso(a.due_date),
                "notes": [{"text": n.text, "created_at": _iso(n.created_at)} for n in a.notes.all()],
            }
            for a in Action.objects.filter(owner_user=user).select_related("meeting").prefetch_related("notes")
        ],
        "action_notes_written": [
            {"action": n.action.title, "text": n.text, "created_at": _iso(n.created_at)}
            for n in ActionNote.objects.filter(author=user).select_related("action")
        ],
        "diagnostic_interviews": [
            {
                "organization": i.organization.name if i.organization_id else None,
                "held_on": _iso(i.held_on),
                "links_other_world": i.links_other_world,
                "possible_commitment": i.possible_commitment,
                "current_actions": i.current_actions,
                "needs_expectations": i.needs_expectations,
            }
            for i in DiagnosticInterview.objects.filter(interviewer=user).select_related("organization")
        ],
        "calendar_feeds": [
            {
                "territory": t.territory.name if t.territory_id else None,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
            }
            for t in CalendarToken.objects.filter(user=user).select_related("territory")
        ],
    }


def _new_owner(action: Action, user, by):
    """(organization, person) who takes over an action the erased person owned."""
    territory = action.meeting.territory
    if territory is not None and territory.carrier_id:
        return territory.carrier, None
    officers = TerritoryRole.objects.filter(territory=territory, role=TerritoryRole.Role.OFFICER).exclude(user=user)
    officer = officers.select_related("user").order_by("id").first() if territory is not None else None
    if officer is not None:
        return None, officer.user
    organizer = action.meeting.organizers.exclude(pk=user.pk).order_by("id").first()
    if organizer is not None:
        return None, organizer
    if by is not None and by.pk != user.pk:
        return None, by
    return None, None


def erase(user, by) -> None:
    for action in Action.objects.filter(owner_user=user).select_related("meeting__territory"):
        organization, person = _new_owner(action, user, by)
        if organization is None and person is None:
            action.delete()  # nobody left to carry it
            continue
        Action.objects.filter(pk=action.pk).update(owner_organization=organization, owner_user=person)
    anonymous = _("Participant·e (compte supprimé)")
    Registration.objects.filter(user=user, organization__isnull=True).update(
        user=None, guest_name=anonymous, guest_email="", guest_consent=True, note=""
    )
    Registration.objects.filter(user=user, organization__isnull=False).update(user=None, note="")
    Registration.objects.filter(guest_email__iexact=user.email).delete()
    MeetingInvitation.objects.filter(email__iexact=user.email).delete()
