"""Pages of logistics (DSFR, phone first): the rounds one follows, a round's stops with the
time slot of each farm and structure, its printable sheet (PDF, WeasyPrint), claiming it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors import permissions
from logistics import inputs, papers, selectors
from logistics.forms import (
    GleaningForm,
    HarvestForm,
    HubForm,
    MoveForm,
    PapersForm,
    RoundForm,
    RoundPlanForm,
    SignupForm,
    VehicleForm,
    WeekHoursForm,
)
from logistics.models import GleaningDay, Round
from logistics.services import gleaning, resources, rounds
from miam.errors import DomainError
from miam.pages import apply_domain_error

GS = GleaningDay.GleaningStatus

PAGE_SIZE = 20


def _crumbs(current: str, *links: tuple[str, str]) -> dict:
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


def _round_or_404(request, pk: int):
    found = selectors.rounds_visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
def round_list(request):
    page = Paginator(selectors.rounds_visible(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "can_plan": bool(permissions.officer_territory_ids(request.user)),
        "can_compose": rounds.round_territories(request.user).exists(),
        "title": _("Tournées"),
        "breadcrumb": _crumbs(_("Tournées")),
    }
    return render(request, "logistics/round_list.html", context)


def _stops(round_):
    return list(
        round_.stops.select_related("organization", "organization__commune", "hub__commune", "match__offer").order_by(
            "position"
        )
    )


def _links(round_) -> dict:
    """Cross-docking: the rounds before and after this one at the hub."""
    return {
        "after": list(round_.after.select_related("vehicle").order_by("ends_at", "id")),
        "before": list(round_.before.select_related("vehicle").order_by("starts_at", "id")),
    }


@login_required
def round_detail(request, pk: int):
    round_ = _round_or_404(request, pk)
    context = {
        "round": round_,
        "stops": _stops(round_),
        **_links(round_),
        "contacts": selectors.sees_contacts(request.user, round_),
        "can_claim": round_.driver_id is None
        and round_.status == Round.RoundStatus.PLANNED
        and rounds.can_drive(request.user, round_.vehicle),
        "can_change": rounds.can_change_round(request.user, round_),
        "title": _("Tournée du %(day)s") % {"day": round_.day.strftime("%d/%m/%Y")},
        "breadcrumb": _crumbs(_("Tournée"), (reverse("logistics:round_list"), _("Tournées"))),
    }
    return render(request, "logistics/round_detail.html", context)


@login_required
def round_sheet(request, pk: int):
    """The round sheet to print: stops in order, times, contacts, quantities."""
    from weasyprint import HTML

    round_ = _round_or_404(request, pk)
    html = render_to_string(
        "logistics/round_sheet.html",
        {
            "round": round_,
            "stops": _stops(round_),
            **_links(round_),
            "contacts": selectors.sees_contacts(request.user, round_),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tournee-{round_.day:%Y-%m-%d}-{round_.pk}.pdf"'
    return response


@login_required
@require_POST
def round_claim(request, pk: int):
    round_ = _round_or_404(request, pk)
    try:
        rounds.round_claim(round_=round_, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Vous conduisez cette tournée."))
    return redirect("logistics:round_detail", pk=round_.pk)


@login_required
def round_list_export(request, fmt: str = "csv"):
    """The rounds one follows, one row per stop (``miam.exports``: CSV or XLSX)."""
    from miam import exports

    rows = []
    for r in selectors.rounds_visible(request.user).prefetch_related("stops__organization")[:2000]:
        for s in r.stops.all():
            rows.append(
                [
                    r.day,
                    r.vehicle.name,
                    str(r.driver) if r.driver_id else "",
                    s.position,
                    s.get_kind_display(),
                    s.organization.name if s.organization else "",
                    s.arrives_at.strftime("%H:%M"),
                    s.quantity_kg,
                    s.load_kg,
                    s.distance_km,
                ]
            )
    table = exports.Table(
        columns=[
            _("Jour"),
            _("Véhicule"),
            _("Chauffeur·e"),
            _("Ordre"),
            _("Arrêt"),
            _("Organisation"),
            _("Heure"),
            _("Quantité (kg)"),
            _("À bord après (kg)"),
            _("Km depuis le départ"),
        ],
        rows=rows,
    )
    export = exports.Export(title=_("Tournées"), tables=[table])
    return exports.export_response(export, fmt=fmt, filename="tournees")


# --- A round by hand (logistics coordinators, the territory's officers) ------------------------


def _scope(values, territories, round_=None):
    """The territory and the day whose matches the builder lists (what was typed, else the
    round's, else the first territory one organises)."""
    from miam.inputs import DayField

    territory = round_.territory if round_ is not None else None
    if territory is None:
        raw = str(values.get("territory", "")).strip()
        territory = territories.filter(pk=int(raw)).first() if raw.isdecimal() else None
        territory = territory or territories.first()
    try:
        day = DayField(required=False).clean(values.get("day")) or (round_.day if round_ is not None else None)
    except ValidationError:
        day = round_.day if round_ is not None else None
    return territory, day


@login_required
def round_compose(request, pk: int | None = None):
    """Build a round by hand: a vehicle, a day, stops among the day's confirmed matches; the
    planner orders them (« Calculer l'ordre »: km, load against payload, out-of-fridge check),
    then « Enregistrer ». Editing a round before it runs is the same page."""
    round_ = _round_or_404(request, pk) if pk else None
    if round_ is not None and not rounds.can_change_round(request.user, round_):
        raise PermissionDenied
    territories = rounds.round_territories(request.user)
    if round_ is None and not territories.exists():
        raise PermissionDenied
    if round_ is not None:
        territories = territories.filter(pk=round_.territory_id)
    action = request.POST.get("step", "preview")
    values = request.POST if request.method == "POST" else request.GET
    territory, day = _scope(values, territories, round_)
    initial = {"territory": territory.pk if territory else None, "day": day}
    if round_ is not None:
        initial.update(
            vehicle=round_.vehicle_id,
            matches=list(round_.stops.filter(kind="pickup").values_list("match_id", flat=True)),
        )
    bound = request.method == "POST" and action != "refresh"
    form = RoundForm(
        request.POST if bound else None,
        initial=initial,
        territories=territories,
        territory=territory,
        day=day,
        editing=round_,
    )
    draft, status = None, 200
    if bound:
        status = 400
        if form.is_valid():
            cleaned = form.data_for_service()
            chosen = cleaned.pop("territory", None)
            scope = round_.territory if round_ is not None else chosen
            try:
                if action == "save" and round_ is None:
                    made = rounds.round_create(by=request.user, territory=scope, **cleaned)
                elif action == "save":
                    made = rounds.round_update(by=request.user, round_=round_, **cleaned)
                else:
                    draft = rounds.round_draft(by=request.user, territory=scope, editing=round_, **cleaned)
                    status = 200
            except DomainError as error:
                apply_domain_error(error, form=form, request=request)
                status = 403 if error.status_code == 403 else 400
            else:
                if action == "save":
                    messages.success(request, _("Tournée enregistrée."))
                    return redirect("logistics:round_detail", pk=made.pk)
    title = _("Modifier la tournée") if round_ else _("Composer une tournée")
    context = {
        "form": form,
        "draft": draft,
        "round": round_,
        "title": title,
        "breadcrumb": _crumbs(title, (reverse("logistics:round_list"), _("Tournées"))),
    }
    return render(request, "logistics/round_form.html", context, status=status)


@login_required
@require_POST
def round_cancel(request, pk: int):
    round_ = _round_or_404(request, pk)
    try:
        rounds.round_cancel(by=request.user, round_=round_)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tournée annulée : ses mises en relation peuvent partir dans une autre tournée."))
    return redirect("logistics:round_detail", pk=round_.pk)


# --- Vehicles, hubs and cold rooms -----------------------------------------------------------


def _save_page(request, form, save, *, success: str, field_of=None):
    """Run a page's form: its input fields first, then the service (the API's rules and
    permissions); a refusal goes next to its fields, nothing written. Returns what was saved."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        made = save(form.data_for_service())
    except DomainError as error:
        if field_of is not None:
            error.fields = {field_of(k): v for k, v in error.fields.items()}
        apply_domain_error(error, form=form, request=request)
        return None
    messages.success(request, success)
    return made


def _form_page(request, template: str, context: dict, form):
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **context}, status=status)


@login_required
def vehicle_list(request):
    page = Paginator(selectors.vehicles_visible(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "logistics/vehicle_list.html",
        {"page": page, "title": _("Véhicules"), "breadcrumb": _crumbs(_("Véhicules"))},
    )


def _vehicle_or_404(request, pk: int):
    found = selectors.vehicles_visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
def vehicle_edit(request, pk: int | None = None):
    vehicle = _vehicle_or_404(request, pk) if pk else None
    initial = VehicleForm.initial_from(vehicle) if vehicle else None
    form = VehicleForm(request.POST or None, principal=request.user, initial=initial)
    if vehicle is None:
        made = _save_page(
            request,
            form,
            lambda data: resources.vehicle_create(by=request.user, data=data),
            success=_("Véhicule enregistré."),
        )
    else:
        made = _save_page(
            request,
            form,
            lambda data: resources.vehicle_update(vehicle=vehicle, by=request.user, data=data),
            success=_("Véhicule modifié."),
        )
    if made is not None:
        return redirect("logistics:vehicle_list")
    title = _("Modifier le véhicule") if vehicle else _("Nouveau véhicule")
    crumbs = _crumbs(title, (reverse("logistics:vehicle_list"), _("Véhicules")))
    return _form_page(request, "logistics/form.html", {"title": title, "breadcrumb": crumbs}, form)


def hub_list(request):
    page = Paginator(selectors.hubs_public(), PAGE_SIZE).get_page(request.GET.get("page"))
    editable = set()
    if request.user.is_authenticated:
        org_ids = {h.organization_id for h in page}
        mine = set(permissions.editable_organizations(request.user).filter(pk__in=org_ids).values_list("pk", flat=True))
        editable = {h.pk for h in page if h.organization_id in mine}
    return render(
        request,
        "logistics/hub_list.html",
        {
            "page": page,
            "editable": editable,
            "title": _("Hubs et chambres froides"),
            "breadcrumb": _crumbs(_("Hubs et chambres froides")),
        },
    )


@login_required
def hub_edit(request, pk: int | None = None):
    hub = get_object_or_404(selectors.hubs_public(), pk=pk) if pk else None
    if hub is not None and not permissions.can_edit_organization(request.user, hub.organization):
        raise Http404
    form = HubForm(request.POST or None, principal=request.user, initial=HubForm.initial_from(hub) if hub else None)
    if hub is None:
        made = _save_page(
            request,
            form,
            lambda data: resources.hub_create(by=request.user, data=data),
            success=_("Hub enregistré."),
        )
    else:
        made = _save_page(
            request,
            form,
            lambda data: resources.hub_update(hub=hub, by=request.user, data=data),
            success=_("Hub modifié."),
        )
    if made is not None:
        return redirect("logistics:hub_list")
    title = _("Modifier le hub") if hub else _("Nouveau hub ou chambre froide")
    crumbs = _crumbs(title, (reverse("logistics:hub_list"), _("Hubs et chambres froides")))
    return _form_page(request, "logistics/form.html", {"title": title, "breadcrumb": crumbs}, form)


# --- Opening hours (farms' pick-up hours, structures' reception hours) ------------------------


@login_required
def hours_list(request):
    """The organizations one acts for, with the hours a round may stop there each weekday."""
    from django.utils.dates import WEEKDAYS

    page = Paginator(selectors.organizations_with_hours(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for organization in page:
        week: dict[int, list] = {}
        for row in organization.opening_hours.all():
            week.setdefault(row.weekday, []).append(f"{row.opens_at:%H:%M}–{row.closes_at:%H:%M}")
        organization.week = [(WEEKDAYS[d], ", ".join(w)) for d, w in sorted(week.items())]
    return render(
        request,
        "logistics/hours_list.html",
        {"page": page, "title": _("Horaires d'accueil"), "breadcrumb": _crumbs(_("Horaires d'accueil"))},
    )


@login_required
def hours_edit(request, pk: int):
    organization = selectors.organizations_with_hours(request.user).filter(pk=pk).first()
    if organization is None:
        raise Http404
    form = WeekHoursForm(
        request.POST if request.method == "POST" else None, recorded=list(organization.opening_hours.all())
    )
    if request.method == "POST" and form.is_valid():
        try:
            resources.opening_hours_set(by=request.user, organization=organization, data=form.data_for_service())
        except DomainError as error:
            error.fields = {form.field_of(k): v for k, v in error.fields.items()}
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Horaires d'accueil enregistrés."))
            return redirect("logistics:hours_list")
    profile = getattr(organization, "structure_profile", None)
    title = _("Horaires d'accueil de %(name)s") % {"name": organization.name}
    context = {
        "form": form,
        "organization": organization,
        "profile_hours": rounds.hours_from_text(profile.distribution_hours) if profile else [],
        "profile": profile,
        "title": title,
        "breadcrumb": _crumbs(title, (reverse("logistics:hours_list"), _("Horaires d'accueil"))),
    }
    return render(request, "logistics/hours_form.html", context, status=400 if request.method == "POST" else 200)


# --- Planning a day (officers) ----------------------------------------------------------------


@login_required
def round_plan(request):
    """An officer asks for the rounds of a day (optionally through a hub, cross-docking)."""
    form = RoundPlanForm(request.POST or None, principal=request.user)
    made = _save_page(
        request,
        form,
        lambda cleaned: rounds.round_plan_request(by=request.user, **cleaned),
        success=_("Calcul des tournées demandé : elles apparaissent dans la liste dès qu'il est terminé."),
    )
    if made is not None:
        return redirect("logistics:round_list")
    title = _("Calculer les tournées d'un jour")
    crumbs = _crumbs(title, (reverse("logistics:round_list"), _("Tournées")))
    return _form_page(request, "logistics/form.html", {"title": title, "breadcrumb": crumbs}, form)


# --- Gleaning days ---------------------------------------------------------------------------


def gleaning_list(request):
    page = Paginator(selectors.gleanings_visible(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    can_create = request.user.is_authenticated and bool(
        GleaningForm(principal=request.user).fields["offer"].widget.choices[1:]
    )
    return render(
        request,
        "logistics/gleaning_list.html",
        {
            "page": page,
            "can_create": can_create,
            "title": _("Journées de glanage"),
            "breadcrumb": _crumbs(_("Journées de glanage")),
        },
    )


@login_required
def gleaning_create(request):
    form = GleaningForm(request.POST or None, principal=request.user)
    made = _save_page(
        request,
        form,
        lambda data: gleaning.gleaning_create(by=request.user, data=data),
        success=_("Journée enregistrée en brouillon : annoncez-la pour prévenir les structures."),
        field_of=GleaningForm.field_of,
    )
    if made is not None:
        return redirect("logistics:gleaning_detail", made.pk)
    title = _("Nouvelle journée de glanage")
    crumbs = _crumbs(title, (reverse("logistics:gleaning_list"), _("Journées de glanage")))
    return _form_page(request, "logistics/form.html", {"title": title, "breadcrumb": crumbs}, form)


def _gleaning_or_404(request, pk: int):
    return get_object_or_404(selectors.gleanings_visible(request.user), pk=pk)


def gleaning_detail(request, pk: int, forms_in: dict | None = None):
    day = _gleaning_or_404(request, pk)
    organiser = request.user.is_authenticated and permissions.can_edit_organization(
        request.user, day.offer.organization
    )
    slots = selectors.gleaning_slots(day)
    forms_in = forms_in or {}
    context = {
        "day": day,
        "slots": slots,
        "organiser": organiser,
        "open": day.status in (GS.POSTED, GS.CONFIRMED),
        "signup_form": forms_in.get("signup") or SignupForm(slots=slots, principal=request.user),
        "title": _("Glanage à %(commune)s le %(date)s") % {"commune": day.commune.name, "date": f"{day.date:%d/%m/%Y}"},
        "breadcrumb": _crumbs(_("Journée de glanage"), (reverse("logistics:gleaning_list"), _("Journées de glanage"))),
    }
    if organiser:
        context.update(
            papers_form=forms_in.get("papers")
            or PapersForm(
                initial={
                    "agreement_reference": day.agreement_reference,
                    "insurance_reference": day.insurance_reference,
                }
            ),
            move_form=forms_in.get("move")
            or MoveForm(initial={"date": day.date, "starts_at": day.starts_at, "ends_at": day.ends_at}),
            harvest_form=forms_in.get("harvest") or HarvestForm(structures=_signed_up_structures(day)),
            signups=[s for slot in slots for s in slot.signups.all()],
            harvests=list(day.harvests.select_related("structure")),
        )
    context["papers"] = selectors.sees_gleaning_papers(request.user, day)
    status = 400 if request.method == "POST" else 200
    return render(request, "logistics/gleaning_detail.html", context, status=status)


def _gleaning_papers_or_403(request, pk: int) -> GleaningDay:
    day = selectors.gleaning_day_for_papers(pk)
    if day is None:
        raise Http404
    if not selectors.sees_gleaning_papers(request.user, day):
        raise PermissionDenied(papers.papers_refused())
    return day


@login_required
def gleaning_sheet(request, pk: int):
    """The day's sheet to print (PDF), for the organiser and the territory's officers."""
    return papers.gleaning_sheet_response(_gleaning_papers_or_403(request, pk), request=request)


@login_required
def gleaning_document(request, pk: int, kind: str):
    """A paper uploaded for the day (the gleaning agreement, the insurance), as it was stored."""
    response = papers.gleaning_document_response(_gleaning_papers_or_403(request, pk), kind)
    if response is None:
        raise Http404
    return response


def _signed_up_structures(day):
    from actors.models import Organization

    ids = {s.structure_id for slot in day.slots.all() for s in slot.signups.all() if s.structure_id}
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


@require_POST
def gleaning_signup(request, pk: int):
    """Sign up to a slot: a resident without an account (name and consent), or a structure's volunteers."""
    day = _gleaning_or_404(request, pk)
    slots = selectors.gleaning_slots(day)
    form = SignupForm(request.POST, slots=slots, principal=request.user)
    if form.is_valid():
        slot = next(s for s in slots if str(s.pk) == form.cleaned_data["slot"])
        try:
            data = inputs.signup_data(
                {k: v for k, v in form.cleaned_data.items() if k in inputs.SignupInput.base_fields and v is not None}
            )
            gleaning.gleaning_signup(slot=slot, by=request.user, data=data)
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Inscription enregistrée. Merci !"))
            return redirect("logistics:gleaning_detail", day.pk)
    return gleaning_detail(request, day.pk, {"signup": form})


@login_required
@require_POST
def gleaning_action(request, pk: int, action: str):
    """The organiser's actions: announce, record the papers and confirm, move, record a harvest."""
    day = _gleaning_or_404(request, pk)
    by = request.user
    form, done = None, ""
    try:
        if action == "annoncer":
            gleaning.gleaning_post(by=by, day=day)
            done = _("Journée annoncée : les structures proches qui ont des bénévoles sont prévenues.")
        elif action == "confirmer":
            form = PapersForm(request.POST, request.FILES)
            if form.is_valid():
                papers = {k: v for k, v in form.cleaned_data.items() if v is not None}
                gleaning.gleaning_record_papers(by=by, day=day, **papers)
                gleaning.gleaning_confirm(by=by, day=day)
                done = _("Journée confirmée.")
        elif action == "deplacer":
            form = MoveForm(request.POST)
            if form.is_valid():
                cleaned, errors = inputs.move_data(form.cleaned_data)
                errors.raise_if_any()
                gleaning.gleaning_move(by=by, day=day, **cleaned)
                done = _("Journée déplacée : les inscrit·es sont prévenu·es.")
        elif action == "recolte":
            form = HarvestForm(request.POST, structures=_signed_up_structures(day))
            if form.is_valid():
                gleaning.gleaning_record_harvest(by=by, day=day, **form.cleaned_data)
                done = _("Récolte enregistrée.")
        else:
            raise Http404
    except DomainError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("logistics:gleaning_detail", day.pk)
        apply_domain_error(error, form=form, request=request)
        done = ""
    if done:
        messages.success(request, done)
        return redirect("logistics:gleaning_detail", day.pk)
    key = {"confirmer": "papers", "deplacer": "move", "recolte": "harvest"}[action]
    return gleaning_detail(request, day.pk, {key: form})
