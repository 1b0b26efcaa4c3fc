"""Reads on meetings: who sees which meeting, participants, attendance, calendars, diagnostics."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from actors.models import Membership, Organization, Territory, TerritoryRole
from actors.permissions import (
    as_user,
    is_staff,
    member_organization_ids,
    officer_territory_ids,
    viewer_territory_ids,
)
from meetings.models import (
    Action,
    Decision,
    DiagnosticInterview,
    Meeting,
    MeetingInvitation,
    Registration,
)


def _territory_ids_of_organizations(org_ids) -> QuerySet:
    return Territory.objects.filter(communes__organizations__id__in=org_ids).values("id")


def team_territory_ids(principal) -> set[int]:
    """Territories whose team (officer, elected, observer) the principal is in."""
    return set(viewer_territory_ids(principal)) | set(officer_territory_ids(principal))


def meetings_visible_to(principal) -> QuerySet[Meeting]:
    """Public meetings for everyone; territory meetings for that territory's actors and team;
    invitation-only meetings for the team, organizers, the invited and the registered."""
    qs = Meeting.objects.all()
    if is_staff(principal):
        return qs
    q = Q(visibility=Meeting.Visibility.PUBLIC)
    team = team_territory_ids(principal)
    if team:
        q |= Q(territory_id__in=team)
    org_ids = member_organization_ids(principal)
    if org_ids:
        q |= Q(visibility=Meeting.Visibility.TERRITORY, territory_id__in=_territory_ids_of_organizations(org_ids))
        q |= Q(id__in=MeetingInvitation.objects.filter(organization_id__in=org_ids).values("meeting_id"))
        q |= Q(id__in=Registration.objects.filter(organization_id__in=org_ids).values("meeting_id"))
    user = as_user(principal)
    if user:
        q |= Q(id__in=MeetingInvitation.objects.filter(Q(user=user) | Q(email__iexact=user.email)).values("meeting_id"))
        q |= Q(id__in=Registration.objects.filter(user=user).values("meeting_id"))
        q |= Q(id__in=Meeting.organizers.through.objects.filter(user_id=user.pk).values("meeting_id"))
    return qs.filter(q)


def can_view_meeting(principal, meeting: Meeting) -> bool:
    if meeting.visibility == Meeting.Visibility.PUBLIC or is_staff(principal):
        return True
    return meetings_visible_to(principal).filter(pk=meeting.pk).exists()


def can_manage_meeting(principal, meeting: Meeting) -> bool:
    """Officers of the meeting's territory (and territory-scoped keys, staff) and its organizers."""
    if meeting.territory_id in officer_territory_ids(principal):
        return True
    user = as_user(principal)
    return bool(user) and meeting.organizers.filter(pk=user.pk).exists()


def is_team_member(principal, territory_id: int) -> bool:
    return territory_id in team_territory_ids(principal)


def meeting_list(
    *,
    principal,
    territory: Territory | None = None,
    kind: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    include_cancelled: bool = True,
) -> QuerySet[Meeting]:
    qs = meetings_visible_to(principal).select_related("territory", "host_organization__commune", "commune")
    if territory is not None:
        qs = qs.filter(territory=territory)
    if kind:
        qs = qs.filter(kind=kind)
    if start is not None:
        qs = qs.filter(ends_at__gte=start)
    if end is not None:
        qs = qs.filter(starts_at__lt=end)
    if not include_cancelled:
        qs = qs.filter(cancelled_at__isnull=True)
    seats = Count(
        "registrations",
        filter=Q(registrations__status=Registration.Status.CONFIRMED, registrations__answer=Registration.Answer.YES),
    )
    return qs.annotate(seats_taken=seats).order_by("starts_at", "id")


def seats_taken(meeting: Meeting) -> int:
    return meeting.registrations.filter(status=Registration.Status.CONFIRMED, answer=Registration.Answer.YES).count()


def registrations_of(meeting: Meeting) -> QuerySet[Registration]:
    return (
        meeting.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("organization__commune", "user")
        .order_by("status", "waitlist_position", "created_at", "id")
    )


def registrations_visible_to(principal) -> QuerySet[Registration]:
    """The team sees every registration of its territories; others see their own and the
    organizations registered to meetings they can see (never residents' or people's names)."""
    qs = Registration.objects.select_related("meeting", "organization", "user")
    if is_staff(principal):
        return qs
    q = Q(meeting__territory_id__in=team_territory_ids(principal))
    user = as_user(principal)
    if user:
        q |= Q(user=user) | Q(registered_by=user)
        q |= Q(meeting__in=Meeting.objects.filter(organizers=user))
    org_ids = member_organization_ids(principal)
    if org_ids:
        q |= Q(organization_id__in=org_ids)
    q |= Q(
        organization__isnull=False,
        meeting__in=meetings_visible_to(principal),
    ) & ~Q(status=Registration.Status.CANCELLED)
    return qs.filter(q)


def my_registration(principal, meeting: Meeting) -> Registration | None:
    user = as_user(principal)
    if not user:
        return None
    return (
        meeting.registrations.filter(user=user, organization__isnull=True)
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def my_organization_registrations(principal, meeting: Meeting) -> list[Registration]:
    org_ids = member_organization_ids(principal)
    if not org_ids:
        return []
    return list(
        meeting.registrations.filter(organization_id__in=org_ids)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("organization")
    )


def organizations_invited_ids(meeting: Meeting) -> set[int]:
    return set(meeting.invitations.filter(organization__isnull=False).values_list("organization_id", flat=True))


def is_invited(meeting: Meeting, *, user=None, organization: Organization | None = None) -> bool:
    if organization is not None:
        return meeting.invitations.filter(organization=organization).exists()
    if user is not None:
        return meeting.invitations.filter(Q(user=user) | Q(email__iexact=user.email)).exists()
    return False


def attendance_stats(meeting: Meeting) -> dict:
    """Registered and present, by kind of actor: did farmers and structures both come?"""
    rows = (
        meeting.registrations.exclude(status=Registration.Status.CANCELLED)
        .exclude(answer=Registration.Answer.NO)
        .values("actor_kind", "attended", "status")
    )
    registered: Counter = Counter()
    present: Counter = Counter()
    waitlisted = 0
    for row in rows:
        if row["status"] == Registration.Status.WAITLISTED:
            waitlisted += 1
            continue
        registered[row["actor_kind"]] += 1
        if row["attended"]:
            present[row["actor_kind"]] += 1
    labels = dict(Registration.ActorKind.choices)
    by_kind = [
        {"kind": kind, "label": labels.get(kind, kind), "registered": registered[kind], "present": present[kind]}
        for kind in Registration.ActorKind.values
        if registered[kind] or present[kind]
    ]
    return {
        "by_kind": by_kind,
        "registered": sum(registered.values()),
        "present": sum(present.values()),
        "waitlisted": waitlisted,
        "farms_present": present[Registration.ActorKind.FARM],
        "food_aid_present": present[Registration.ActorKind.FOOD_AID],
        "both_worlds_present": bool(present[Registration.ActorKind.FARM] and present[Registration.ActorKind.FOOD_AID]),
    }


def month_grid(*, year: int, month: int, meetings) -> list[list[dict]]:
    """Weeks (Monday first) of day cells, each with the meetings starting that local day."""
    by_day: dict[date, list] = {}
    for meeting in meetings:
        by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([{"day": d, "in_month": d.month == month, "meetings": by_day.get(d, [])} for d in week])
    return weeks


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    # Whole weeks shown on the grid: from the Monday before to the Sunday after.
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=7 - last.weekday())
    return datetime.combine(start, time.min, tz), datetime.combine(end, time.min, tz)


def meetings_for_person(user) -> QuerySet[Meeting]:
    """A person's own calendar: meetings they or their organizations registered to, organize or manage."""
    org_ids = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    officer_ids = set(
        TerritoryRole.objects.filter(user=user, role=TerritoryRole.Role.OFFICER).values_list("territory_id", flat=True)
    )
    registered = (
        Registration.objects.filter(Q(user=user) | Q(organization_id__in=org_ids))
        .exclude(status=Registration.Status.CANCELLED)
        .exclude(answer=Registration.Answer.NO)
    )
    q = Q(id__in=registered.values("meeting_id")) | Q(territory_id__in=officer_ids)
    q |= Q(id__in=Meeting.organizers.through.objects.filter(user_id=user.pk).values("meeting_id"))
    return Meeting.objects.filter(q).select_related("territory", "host_organization__commune", "commune")


def actions_visible_to(principal) -> QuerySet[Action]:
    qs = Action.objects.select_related("meeting__territory", "owner_organization", "owner_user", "decision")
    if is_staff(principal):
        return qs
    q = Q(meeting__in=meetings_visible_to(principal))
    user = as_user(principal)
    if user:
        q |= Q(owner_user=user)
    org_ids = member_organization_ids(principal)
    if org_ids:
        q |= Q(owner_organization_id__in=org_ids)
    return qs.filter(q)


def actions_carried_by(user) -> QuerySet[Action]:
    """The actions a person carries, themselves or through one of their organizations: open
    ones first, then by due date (none last), then id (« Actions de suivi »)."""
    closed_last = Case(When(status__in=Action.OPEN_STATUSES, then=Value(0)), default=Value(1))
    return (
        actions_visible_to(user)
        .filter(Q(owner_user=user) | Q(owner_organization_id__in=member_organization_ids(user)))
        .order_by(closed_last, F("due_date").asc(nulls_last=True), "id")
    )


def team_actions_of(user) -> QuerySet[Action]:
    """The actions of the meetings of the territories a person is an officer of, by status,
    due date and id."""
    return (
        actions_visible_to(user)
        .filter(meeting__territory_id__in=officer_territory_ids(user))
        .order_by("status", "due_date", "id")
    )


def actions_overdue(*, today: date) -> QuerySet[Action]:
    return Action.objects.filter(
        status__in=Action.OPEN_STATUSES, due_date__lt=today, meeting__cancelled_at__isnull=True
    )


def interviews_visible_to(principal) -> QuerySet[DiagnosticInterview]:
    """The territory's team, and the interviewed organization's own members."""
    qs = DiagnosticInterview.objects.select_related("territory", "organization__commune", "interviewer")
    if is_staff(principal):
        return qs
    q = Q(territory_id__in=team_territory_ids(principal))
    org_ids = member_organization_ids(principal)
    if org_ids:
        q |= Q(organization_id__in=org_ids)
    return qs.filter(q)


def interviews_of_organization(principal, organization: Organization) -> QuerySet[DiagnosticInterview]:
    return interviews_visible_to(principal).filter(organization=organization)


def territory_diagnostic(*, territory: Territory) -> dict:
    """The territory's diagnostic page: interviews by kind of actor and the answers, question by question."""
    interviews = list(
        DiagnosticInterview.objects.filter(territory=territory)
        .select_related("organization__commune", "interviewer")
        .order_by("organization__kind", "organization__name", "-held_on")
    )
    kinds = Counter(i.organization.kind for i in interviews)
    labels = dict(Organization.Kind.choices)
    questions = []
    for field in DiagnosticInterview.QUESTION_FIELDS:
        model_field = DiagnosticInterview._meta.get_field(field)
        answers = [
            {"organization": i.organization, "interview": i, "text": getattr(i, field)}
            for i in interviews
            if getattr(i, field).strip()
        ]
        questions.append(
            {"field": field, "label": model_field.verbose_name, "help": model_field.help_text, "answers": answers}
        )
    farms = kinds[Organization.Kind.FARM]
    return {
        "interviews": interviews,
        "count": len(interviews),
        "organizations_count": len({i.organization_id for i in interviews}),
        "by_kind": [{"kind": k, "label": labels.get(k, k), "count": n} for k, n in kinds.most_common()],
        "farms": farms,
        "food_aid": kinds[Organization.Kind.FOOD_AID],
        # The MIAM method aims for 10 to 15 interviews with at least five farmers.
        "method_target_met": len(interviews) >= 10 and farms >= 5,
        "questions": questions,
    }


def prefetch_meeting_detail(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.select_related("territory", "host_organization__commune", "commune", "minutes").prefetch_related(
        "organizers",
        "discussed_actions",
        Prefetch("decisions", queryset=Decision.objects.select_related("planned_action", "initiative")),
        Prefetch("actions", queryset=Action.objects.select_related("owner_organization", "owner_user")),
    )
