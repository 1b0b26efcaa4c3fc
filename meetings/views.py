"""Meeting pages: thin views calling the services; a DomainError goes back to the form."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors.models import Organization, Territory
from actors.permissions import (
    can_see_private_fields,
    editable_organizations,
    member_organization_ids,
    officer_territory_ids,
)
from meetings import exports as meeting_exports
from meetings import ics, inputs, selectors
from meetings.forms import (
    ActionForm,
    ActionNoteForm,
    DecisionForm,
    DiscussedActionsForm,
    GuestRegistrationForm,
    InterviewForm,
    InvitationAnswerForm,
    InvitationGuestAnswerForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    RegistrationForm,
    WalkInForm,
)
from meetings.models import Decision, DiagnosticInterview, Meeting, Registration
from meetings.services import actions as action_services
from meetings.services import calendars as calendar_services
from meetings.services import interviews as interview_services
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services
from meetings.services.shared import meeting_path
from miam import exports
from miam.errors import DomainError
from miam.inputs import input_values
from miam.pages import apply_domain_error, breadcrumb


def _visible_meeting(request, pk: int) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("territory", "host_organization__commune", "commune"), pk=pk
    )
    if not selectors.can_view_meeting(request.user, meeting):
        raise Http404
    return meeting


def _managed_meeting(request, pk: int) -> Meeting:
    meeting = _visible_meeting(request, pk)
    if not selectors.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    return meeting


#: Meetings a page of the list shows.
PAGE_SIZE = 20
#: « Actions de suivi »: a page of each of its two lists.
ACTIONS_PAGE_SIZE = 50


def _list_crumb() -> tuple[str, str]:
    return reverse("meetings:list"), _("Réunions")


def _officer_territories(request):
    return Territory.objects.filter(id__in=officer_territory_ids(request.user)).order_by("name")


# --- Lists and calendar --------------------------------------------------------------


def meeting_list(request):
    territory = None
    if request.GET.get("territoire"):
        territory = get_object_or_404(Territory, slug=request.GET["territoire"])
    kind = request.GET.get("type", "")
    past = request.GET.get("passees") == "1"
    now = timezone.now()
    qs = selectors.meeting_list(principal=request.user, territory=territory, kind=kind)
    qs = qs.filter(ends_at__lt=now).order_by("-starts_at", "-id") if past else qs.filter(ends_at__gte=now)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        meta = [[_("Territoire"), territory.name if territory else _("Tous")]]
        if kind:
            meta.append([_("Type"), str(dict(Meeting.Kind.choices).get(kind, kind))])
        meta.append([_("Réunions"), _("passées") if past else _("à venir")])
        export = meeting_exports.meetings_export(qs, title=_("Réunions"), meta=meta)
        return exports.export_response(
            export, fmt=fmt, filename="reunions" + (f"-{territory.slug}" if territory else "")
        )
    params = {k: v for k, v in request.GET.items() if k in ("territoire", "type", "passees") and v}
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "querystring": urlencode(params),
        "title": _("Réunions"),
        "page": page,
        "meetings": page.object_list,
        "territory": territory,
        "territories": Territory.objects.order_by("name").only("id", "name", "slug"),
        "kinds": Meeting.Kind.choices,
        "kind": kind,
        "past": past,
        "can_create": bool(officer_territory_ids(request.user)),
        "today": timezone.localdate(),
    }
    return render(request, "meetings/list.html", context)


def meeting_calendar(request):
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("mois", "").split("-"))
        date(year, month, 1)
    except (TypeError, ValueError):
        year, month = today.year, today.month
    territory = None
    if request.GET.get("territoire"):
        territory = get_object_or_404(Territory, slug=request.GET["territoire"])
    start, end = selectors.month_bounds(year, month)
    meetings = selectors.meeting_list(principal=request.user, territory=territory, start=start, end=end)
    prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    context = {
        "title": _("Calendrier des réunions"),
        "weeks": selectors.month_grid(year=year, month=month, meetings=meetings),
        "month_label": date_format(date(year, month, 1), "F Y"),
        "prev": f"{prev_month[0]}-{prev_month[1]:02d}",
        "next": f"{next_month[0]}-{next_month[1]:02d}",
        "territory": territory,
        "today": today,
        "weekdays": [_("lun."), _("mar."), _("mer."), _("jeu."), _("ven."), _("sam."), _("dim.")],
        "breadcrumb": breadcrumb(_("Calendrier"), _list_crumb()),
    }
    return render(request, "meetings/calendar.html", context)


# --- Create, edit, cancel ------------------------------------------------------------


def _meeting_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("territory", None)
    data["commune"] = data.pop("commune", None)
    for key in ("address", "online_url", "agenda"):
        data[key] = data.get(key) or ""
    return data


@login_required
def meeting_create(request):
    territories = _officer_territories(request)
    if not territories:
        raise PermissionDenied
    form = MeetingForm(request.POST or None, territories=territories)
    if request.method == "POST" and form.is_valid():
        try:
            fields = _meeting_fields(form)
            meeting = meeting_services.meeting_create(
                by=request.user, territory=form.cleaned_data["territory"], **fields
            )
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Réunion créée. Invitez maintenant les participant·es."))
            return redirect("meetings:invitations", meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "title": _("Nouvelle réunion"),
            "breadcrumb": breadcrumb(_("Nouvelle réunion"), _list_crumb()),
        },
    )


@login_required
def meeting_edit(request, pk):
    meeting = _managed_meeting(request, pk)
    form = MeetingForm(request.POST or None, territory=meeting.territory, initial=MeetingForm.initial_from(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            meeting_services.meeting_update(by=request.user, meeting=meeting, **_meeting_fields(form))
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Réunion modifiée."))
            return redirect("meetings:detail", meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "meeting": meeting,
            "title": _("Modifier la réunion"),
            "breadcrumb": breadcrumb(_("Modifier"), _list_crumb(), (meeting_path(meeting), meeting.title)),
        },
    )


@login_required
@require_POST
def meeting_cancel(request, pk):
    meeting = _managed_meeting(request, pk)
    try:
        meeting_services.meeting_cancel(by=request.user, meeting=meeting)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("La réunion est annulée ; les inscrit·es sont prévenu·es."))
    return redirect("meetings:detail", meeting.pk)


# --- Detail and registration ---------------------------------------------------------


def _participant_choices(request, meeting: Meeting) -> list[tuple[str, str]]:
    choices = []
    if not selectors.my_registration(request.user, meeting):
        choices.append(("me", _("Moi-même (%(name)s)") % {"name": request.user}))
    registered_orgs = {r.organization_id for r in selectors.my_organization_registrations(request.user, meeting)}
    orgs = Organization.objects.filter(id__in=member_organization_ids(request.user)).order_by("name")
    for org in orgs:
        if org.pk not in registered_orgs:
            choices.append((f"org-{org.pk}", org.name))
    return choices


def meeting_detail(request, pk):
    meeting = _visible_meeting(request, pk)
    manager = selectors.can_manage_meeting(request.user, meeting)
    form = guest_form = None
    is_open = not meeting.is_cancelled and meeting.ends_at >= timezone.now()
    if request.user.is_authenticated:
        choices = _participant_choices(request, meeting)
        if choices and is_open:
            form = RegistrationForm(request.POST or None, choices=choices)
    elif meeting.visibility == Meeting.Visibility.PUBLIC and is_open:
        guest_form = GuestRegistrationForm(request.POST or None)
    if request.method == "POST":
        target = form or guest_form
        if target is None:
            raise PermissionDenied
        if target.is_valid():
            data = target.cleaned_data
            try:
                if form is not None:
                    participant = data["participant"]
                    kwargs = {"user": request.user}
                    if participant.startswith("org-"):
                        org = get_object_or_404(editable_organizations(request.user), pk=int(participant[4:]))
                        kwargs = {"organization": org}
                    registration = registration_services.registration_create(
                        by=request.user, meeting=meeting, answer=data["answer"], note=data["note"], **kwargs
                    )
                else:
                    registration = registration_services.registration_create(
                        by=request.user,
                        meeting=meeting,
                        guest_name=data["guest_name"],
                        guest_email=data["guest_email"],
                        guest_consent=data["guest_consent"],
                        answer=data["answer"],
                        note=data["note"],
                    )
            except DomainError as error:
                apply_domain_error(error, form=target, request=request)
            else:
                if registration.status == Registration.Status.WAITLISTED:
                    messages.warning(
                        request,
                        _("La réunion est complète : vous êtes en liste d'attente (rang %(n)s).")
                        % {"n": registration.waitlist_position},
                    )
                else:
                    messages.success(request, _("Réponse enregistrée."))
                return redirect("meetings:detail", meeting.pk)
    meeting = selectors.prefetch_meeting_detail(Meeting.objects.filter(pk=meeting.pk)).get()
    minutes = getattr(meeting, "minutes", None)
    team = manager or selectors.is_team_member(request.user, meeting.territory_id)
    own = []
    if request.user.is_authenticated:
        mine = selectors.my_registration(request.user, meeting)
        own = ([mine] if mine else []) + selectors.my_organization_registrations(request.user, meeting)
    context = {
        "meeting": meeting,
        "title": meeting.title,
        "manager": manager,
        "team": team,
        "form": form,
        "guest_form": guest_form,
        "own_registrations": own,
        "registrations": list(selectors.registrations_of(meeting)) if team else None,
        "registered_organizations": [
            r
            for r in selectors.registrations_of(meeting).filter(organization__isnull=False)
            if r.status == Registration.Status.CONFIRMED and r.answer != Registration.Answer.NO
        ]
        if not team
        else None,
        "seats_taken": selectors.seats_taken(meeting),
        "stats": selectors.attendance_stats(meeting) if team else None,
        "minutes": minutes if minutes and (minutes.is_published or manager) else None,
        "is_open": is_open,
        "answers": Registration.Answer.choices,
        "breadcrumb": breadcrumb(meeting.title, _list_crumb()),
    }
    return render(request, "meetings/detail.html", context)


@login_required
@require_POST
def registration_update(request, pk):
    registration = get_object_or_404(Registration.objects.select_related("meeting"), pk=pk)
    meeting = _visible_meeting(request, registration.meeting_id)
    try:
        if request.POST.get("cancel"):
            registration_services.registration_cancel(by=request.user, registration=registration)
            messages.success(request, _("Inscription annulée."))
        else:
            registration = registration_services.registration_update(
                by=request.user, registration=registration, answer=request.POST.get("answer")
            )
            messages.success(request, _("Réponse modifiée."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(request.POST.get("next") or meeting_path(meeting))


def invitation_answer(request, token):
    try:
        invitation = invitation_services.invitation_get(token=token)
    except DomainError as error:
        return render(
            request, "meetings/invitation_invalid.html", {"error": error, "title": _("Invitation")}, status=404
        )
    meeting = invitation.meeting
    if request.GET.get("format") == "ics":  # the link holder may add it to their calendar
        return _ics_response(ics.meeting_ics(meeting), f"reunion-{meeting.pk}.ics")
    form_class = InvitationGuestAnswerForm if invitation.email else InvitationAnswerForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_services.invitation_answer(token=token, by=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Merci, votre réponse est enregistrée."))
            return redirect("meetings:invitation_answer", token)
    context = {
        "invitation": invitation,
        "meeting": meeting,
        "form": form,
        "title": _("Invitation : %(title)s") % {"title": meeting.title},
        "registration": meeting.registrations.filter(invitation=invitation)
        .exclude(status=Registration.Status.CANCELLED)
        .first(),
    }
    return render(request, "meetings/invitation_answer.html", context)


# --- Invitations ---------------------------------------------------------------------


@login_required
def meeting_invitations(request, pk):
    meeting = _managed_meeting(request, pk)
    already = selectors.organizations_invited_ids(meeting)
    form = InviteForm(request.POST or None, territory=meeting.territory, already=already)
    if request.method == "POST" and form.is_valid():
        try:
            created = invitation_services.meeting_invite(
                by=request.user,
                meeting=meeting,
                organizations=form.cleaned_data["organizations"],
                emails=inputs.email_addresses(form.email_list()),
            )
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("%(n)s invitation(s) envoyée(s).") % {"n": len(created)})
            return redirect("meetings:invitations", meeting.pk)
    invitations = meeting.invitations.select_related("organization", "user").prefetch_related("registrations")
    context = {
        "meeting": meeting,
        "form": form,
        "invitations": invitations,
        "title": _("Invitations"),
        "breadcrumb": breadcrumb(_("Invitations"), _list_crumb(), (meeting_path(meeting), meeting.title)),
    }
    return render(request, "meetings/invitations.html", context)


# --- Attendance ----------------------------------------------------------------------


@login_required
def attendance(request, pk):
    meeting = _managed_meeting(request, pk)
    walk_in = WalkInForm(request.POST if request.POST.get("walk_in") else None, territory=meeting.territory)
    if request.method == "POST":
        try:
            if request.POST.get("walk_in"):
                if walk_in.is_valid():
                    data = walk_in.cleaned_data
                    registration_services.registration_create(
                        by=request.user,
                        meeting=meeting,
                        organization=data["organization"],
                        guest_name="" if data["organization"] else data["guest_name"],
                        guest_consent=data["guest_consent"],
                        walk_in=True,
                    )
                    messages.success(request, _("Participant·e ajouté·e et marqué·e présent·e."))
                    return redirect("meetings:attendance", meeting.pk)
            else:
                # Nobody ticked: nobody came (the API asks for the list, even empty).
                roll = request.POST if "present" in request.POST else {"present": []}
                registration_services.attendance_set(
                    by=request.user, meeting=meeting, present_ids=input_values(inputs.AttendanceInput, roll)["present"]
                )
                messages.success(request, _("Feuille de présence enregistrée."))
                return redirect("meetings:attendance", meeting.pk)
        except DomainError as error:
            apply_domain_error(error, form=walk_in if request.POST.get("walk_in") else None, request=request)
    rows = [
        r
        for r in selectors.registrations_of(meeting)
        if r.status == Registration.Status.CONFIRMED and r.answer != Registration.Answer.NO
    ]
    context = {
        "meeting": meeting,
        "rows": rows,
        "walk_in": walk_in,
        "stats": selectors.attendance_stats(meeting),
        "not_yet": timezone.localdate() < timezone.localdate(meeting.starts_at),
        "title": _("Feuille de présence"),
        "breadcrumb": breadcrumb(_("Présences"), _list_crumb(), (meeting_path(meeting), meeting.title)),
    }
    return render(request, "meetings/attendance.html", context)


@login_required
@require_POST
def attendance_mark(request, pk):
    """One tap on the phone sheet (htmx): present or not, saved at once."""
    registration = get_object_or_404(Registration.objects.select_related("meeting"), pk=pk)
    _managed_meeting(request, registration.meeting_id)
    # The checkbox sends itself (« present ») when it is checked, nothing when unchecked.
    sent = request.POST.get("attended", request.POST.get("present") and "1")
    attended = sent in {"1", "true", "on"}
    try:
        registration = registration_services.attendance_mark(
            by=request.user, registration=registration, attended=attended
        )
    except DomainError as error:
        return HttpResponse(error.message, status=400)
    if request.htmx:
        return render(request, "meetings/_attendance_row.html", {"r": registration})
    return redirect("meetings:attendance", registration.meeting_id)


# --- Minutes, decisions, actions -----------------------------------------------------


@login_required
@require_POST
def minutes_preview(request, pk):
    """The minutes as they will read once saved (the same Markdown rendering, sanitised)."""
    from meetings.templatetags.meetings_tags import render_markdown

    _managed_meeting(request, pk)
    html = render_markdown(request.POST.get("body", ""))
    if not html.strip():
        html = format_html("<p>{}</p>", _("Rien à afficher : le compte rendu est vide."))
    return HttpResponse(html)


@login_required
def followup(request, pk):
    meeting = _managed_meeting(request, pk)
    minutes = getattr(meeting, "minutes", None)
    which = request.POST.get("form") if request.method == "POST" else None
    minutes_form = MinutesForm(
        request.POST if which == "minutes" else None,
        initial={"body": minutes.body if minutes else "", "is_published": minutes.is_published if minutes else False},
    )
    decision_form = DecisionForm(request.POST if which == "decision" else None, territory=meeting.territory)
    action_form = ActionForm(request.POST if which == "action" else None, territory=meeting.territory)
    discussed_form = DiscussedActionsForm(
        request.POST if which == "discussed" else None,
        territory=meeting.territory,
        initial={"discussed_actions": list(meeting.discussed_actions.values_list("pk", flat=True))},
    )
    forms_by_name = {
        "minutes": minutes_form,
        "decision": decision_form,
        "action": action_form,
        "discussed": discussed_form,
    }
    if which == "delete_decision":
        decision = get_object_or_404(Decision, pk=request.POST.get("decision"), meeting=meeting)
        minutes_services.decision_delete(by=request.user, decision=decision)
        messages.success(request, _("Décision supprimée."))
        return redirect("meetings:followup", meeting.pk)
    form = forms_by_name.get(which)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if which == "minutes":
                minutes_services.minutes_save(
                    by=request.user, meeting=meeting, body=data["body"], is_published=data["is_published"]
                )
                messages.success(request, _("Compte rendu enregistré."))
            elif which == "discussed":
                meeting_services.meeting_discussed_actions_set(
                    by=request.user, meeting=meeting, planned_actions=data["discussed_actions"]
                )
                messages.success(request, _("Actions discutées enregistrées."))
            elif which == "decision":
                minutes_services.decision_create(
                    by=request.user, meeting=meeting, text=data["text"], planned_action=data.get("planned_action")
                )
                messages.success(request, _("Décision ajoutée."))
            else:
                action_services.action_create(by=request.user, meeting=meeting, **data)
                messages.success(request, _("Action ajoutée ; son porteur est prévenu."))
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            return redirect("meetings:followup", meeting.pk)
    meeting = selectors.prefetch_meeting_detail(Meeting.objects.filter(pk=meeting.pk)).get()
    context = {
        "meeting": meeting,
        "minutes_form": minutes_form,
        "decision_form": decision_form,
        "action_form": action_form,
        "discussed_form": discussed_form,
        "title": _("Compte rendu, décisions et actions"),
        "breadcrumb": breadcrumb(_("Suivi"), _list_crumb(), (meeting_path(meeting), meeting.title)),
    }
    return render(request, "meetings/followup.html", context)


@login_required
def action_detail(request, pk):
    action = get_object_or_404(selectors.actions_visible_to(request.user), pk=pk)
    can_follow = action_services.can_follow_up_action(request.user, action)
    form = ActionNoteForm(request.POST or None, initial={"status": action.status}) if can_follow else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                action_services.action_note_add(by=request.user, action=action, **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(error, form=form, request=request)
            else:
                messages.success(request, _("Suivi enregistré."))
                return redirect("meetings:action_detail", action.pk)
    context = {
        "action": action,
        "notes": action.notes.select_related("author"),
        "form": form,
        "overdue": action.is_open and action.due_date and action.due_date < timezone.localdate(),
        "title": action.title,
        "breadcrumb": breadcrumb(action.title, _list_crumb(), (meeting_path(action.meeting), action.meeting.title)),
    }
    return render(request, "meetings/action_detail.html", context)


@login_required
def my_actions(request):
    """The person's own actions (open ones first) and their territories' team actions, each
    list paged on its own: ``?page=`` for the first, ``?equipe=`` for the second."""
    page = Paginator(selectors.actions_carried_by(request.user), ACTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    team_page = Paginator(selectors.team_actions_of(request.user), ACTIONS_PAGE_SIZE).get_page(
        request.GET.get("equipe")
    )
    return render(
        request,
        "meetings/my_actions.html",
        {
            "title": _("Actions de suivi"),
            "page": page,
            "team_page": team_page,
            # Each pagination's links keep the other list on its current page.
            "querystring": urlencode({"equipe": team_page.number} if team_page.number > 1 else {}),
            "team_querystring": urlencode({"page": page.number} if page.number > 1 else {}),
            "today": timezone.localdate(),
            "breadcrumb": breadcrumb(_("Actions de suivi"), _list_crumb()),
        },
    )


# --- Exports and calendars -----------------------------------------------------------


@login_required
def participants_export(request, pk, fmt: str = "csv"):
    """Participants; e-mails of people only for the meeting's managers."""
    meeting = _visible_meeting(request, pk)
    manager = selectors.can_manage_meeting(request.user, meeting)
    if not manager and not selectors.is_team_member(request.user, meeting.territory_id):
        raise PermissionDenied
    rows = []
    for r in selectors.registrations_of(meeting):
        if r.organization_id:
            email = r.organization.email if can_see_private_fields(request.user, r.organization) else ""
            commune = r.organization.commune.name
        else:
            email = (r.user.email if r.user_id else r.guest_email) if manager else ""
            commune = ""
        rows.append(
            [
                r.participant_label,
                r.get_actor_kind_display(),
                commune,
                r.get_answer_display(),
                r.get_status_display(),
                r.waitlist_position or None,
                r.attended,
                r.note if manager else "",
                email,
            ]
        )
    export = exports.Export(
        title=_("Participants"),
        meta=[
            [_("Réunion"), meeting.title],
            [_("Date"), timezone.localtime(meeting.starts_at)],
            [_("Territoire"), meeting.territory.name],
        ],
        tables=[
            exports.Table(
                columns=[
                    _("Participant·e"),
                    _("Type d'acteur"),
                    _("Commune"),
                    _("Réponse"),
                    _("Statut"),
                    _("Rang en liste d'attente"),
                    _("Présent·e"),
                    _("Remarque"),
                    _("E-mail"),
                ],
                rows=rows,
            )
        ],
    )
    return exports.export_response(export, fmt=fmt, filename=f"participants-reunion-{meeting.pk}")


def _ics_response(payload: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(payload, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def meeting_ics(request, pk):
    meeting = _visible_meeting(request, pk)
    return _ics_response(ics.meeting_ics(meeting), f"reunion-{meeting.pk}.ics")


def territory_ics(request, slug):
    """The territory's meetings that the visitor may see (public ones for everyone)."""
    territory = get_object_or_404(Territory, slug=slug)
    since = timezone.now() - timedelta(days=365)
    meetings = selectors.meeting_list(principal=request.user, territory=territory, start=since)
    return _ics_response(
        ics.calendar_bytes(meetings, name=f"MIAM — {territory.name}"), f"reunions-{territory.slug}.ics"
    )


def calendar_feed(request, token):
    try:
        feed, meetings = calendar_services.calendar_feed(token=token)
    except DomainError:
        raise Http404
    name = f"MIAM — {feed.territory.name}" if feed.territory_id else _("MIAM — mes réunions")
    return _ics_response(ics.calendar_bytes(meetings, name=name), "miam.ics")


@login_required
def my_calendars(request):
    territories = list(Territory.objects.filter(id__in=selectors.team_territory_ids(request.user)).order_by("name"))
    fresh: dict = {}  # territory id (0: personal) -> the address, shown once, when just made
    if request.method == "POST":
        territory = None
        if request.POST.get("territory"):
            territory = get_object_or_404(Territory, pk=request.POST["territory"], id__in=[t.pk for t in territories])
        token = calendar_services.calendar_token_reset(user=request.user, territory=territory)
        fresh[territory.pk if territory else 0] = token.raw
        messages.success(request, _("Nouvelle adresse créée ; l'ancienne ne fonctionne plus."))
    personal = calendar_services.calendar_token_get(user=request.user)
    feeds = [{"label": _("Mes réunions"), "token": personal, "territory": None}]
    for territory in territories:
        feeds.append(
            {
                "label": _("Toutes les réunions — %(t)s") % {"t": territory.name},
                "token": calendar_services.calendar_token_get(user=request.user, territory=territory),
                "territory": territory,
            }
        )
    for feed in feeds:
        raw = feed["token"].raw or fresh.get(feed["territory"].pk if feed["territory"] else 0)
        feed["url"] = request.build_absolute_uri(reverse("meetings:feed", args=[raw])) if raw else ""
    return render(
        request,
        "meetings/calendars.html",
        {
            "title": _("Mes agendas"),
            "feeds": feeds,
            "breadcrumb": breadcrumb(_("Mes agendas"), _list_crumb()),
        },
    )


# --- Diagnostic interviews -----------------------------------------------------------


def _team_territory(request, slug) -> Territory:
    territory = get_object_or_404(Territory, slug=slug)
    if not selectors.is_team_member(request.user, territory.pk):
        raise PermissionDenied
    return territory


@login_required
def territory_diagnostic(request, slug):
    territory = _team_territory(request, slug)
    context = {
        "territory": territory,
        "diagnostic": selectors.territory_diagnostic(territory=territory),
        "can_edit": territory.pk in officer_territory_ids(request.user),
        "title": _("Diagnostic — %(t)s") % {"t": territory.name},
        "breadcrumb": breadcrumb(_("Diagnostic"), _list_crumb()),
    }
    return render(request, "meetings/diagnostic.html", context)


def _interview_fields(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("organization", "held_on")}


@login_required
def interview_create(request, slug):
    territory = _team_territory(request, slug)
    if territory.pk not in officer_territory_ids(request.user):
        raise PermissionDenied
    initial = {"held_on": timezone.localdate(), "organization": request.GET.get("organisation")}
    form = InterviewForm(request.POST or None, territory=territory, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interview_services.interview_create(
                by=request.user,
                territory=territory,
                organization=form.cleaned_data["organization"],
                held_on=form.cleaned_data["held_on"],
                **_interview_fields(form.cleaned_data),
            )
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Entretien enregistré."))
            return redirect("meetings:diagnostic", territory.slug)
    return render(
        request,
        "meetings/interview_form.html",
        {
            "form": form,
            "territory": territory,
            "title": _("Nouvel entretien de diagnostic"),
            "breadcrumb": breadcrumb(
                _("Entretien"), (reverse("meetings:diagnostic", args=[territory.slug]), _("Diagnostic"))
            ),
        },
    )


@login_required
def interview_edit(request, pk):
    interview = get_object_or_404(selectors.interviews_visible_to(request.user), pk=pk)
    territory = interview.territory
    can_edit = territory.pk in officer_territory_ids(request.user)
    initial = {f: getattr(interview, f) for f in DiagnosticInterview.QUESTION_FIELDS}
    initial.update(organization=interview.organization_id, held_on=interview.held_on)
    form = InterviewForm(request.POST or None, territory=territory, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                interview_services.interview_update(
                    by=request.user,
                    interview=interview,
                    organization=form.cleaned_data["organization"],
                    held_on=form.cleaned_data["held_on"],
                    **_interview_fields(form.cleaned_data),
                )
            except DomainError as error:
                apply_domain_error(error, form=form, request=request)
            else:
                messages.success(request, _("Entretien modifié."))
                return redirect("meetings:diagnostic", territory.slug)
    return render(
        request,
        "meetings/interview_form.html",
        {
            "form": form if can_edit else None,
            "interview": interview,
            "territory": territory,
            "title": _("Entretien avec %(org)s") % {"org": interview.organization.name},
            "breadcrumb": breadcrumb(
                _("Entretien"), (reverse("meetings:diagnostic", args=[territory.slug]), _("Diagnostic"))
            ),
        },
    )


@login_required
def organization_interviews(request, pk):
    """The diagnostic interviews of one organization (its members and its territory's team)."""
    organization = get_object_or_404(Organization.objects.select_related("commune"), pk=pk)
    interviews = selectors.interviews_of_organization(request.user, organization)
    if not interviews.exists() and not can_see_private_fields(request.user, organization):
        raise PermissionDenied
    return render(
        request,
        "meetings/organization_interviews.html",
        {
            "organization": organization,
            "interviews": interviews,
            "title": _("Entretiens de diagnostic — %(org)s") % {"org": organization.name},
        },
    )
