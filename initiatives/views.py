"""Pages of the catalog and of the action plans; thin: services decide, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors.models import Territory
from actors.permissions import (
    can_manage_territory,
    officer_territory_ids,
    viewer_territory_ids,
)
from initiatives import exports as initiative_exports
from initiatives import selectors, services, typology
from initiatives.forms import (
    CatalogFilterForm,
    IndicatorForm,
    IndicatorValuesForm,
    PlanForm,
    PlannedActionForm,
    ShortlistForm,
    StepForm,
)
from initiatives.models import ActionPlan, ActionStep, Initiative, PlannedAction
from miam import exports
from miam.errors import DomainError
from miam.inputs import bound_errors
from miam.pages import apply_domain_error, breadcrumb

PAGE_SIZE = 20
BENEFICIARY_LABELS = dict(typology.BENEFICIARIES)


# --- Catalog -------------------------------------------------------------------------


def catalog(request):
    facets = selectors.catalog_facets()
    form = CatalogFilterForm(request.GET or None, facets=facets)
    filters = selectors.CatalogFilters.from_data(form.cleaned_data if form.is_valid() else {})
    qs = selectors.initiative_list(filters=filters)
    params = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        export = initiative_exports.catalog_export(
            qs,
            title=_("Initiatives inspirantes"),
            meta=[[str(form.fields[k].label if k in form.fields else k), v] for k, v in params.items()],
            url_of=lambda slug: request.build_absolute_uri(reverse("initiatives:detail", args=[slug])),
        )
        return exports.export_response(export, fmt=fmt, filename="initiatives")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "initiatives/list.html",
        {
            "title": _("Initiatives inspirantes"),
            "form": form,
            "page": page,
            "count": page.paginator.count,
            "filters": filters,
            "querystring": urlencode(params),
            "geojson": selectors.initiative_geojson(qs),
        },
    )


def catalog_map(request):
    """All initiatives on a map, and all of them listed below it (the map may fail to load)."""
    qs = selectors.initiative_list()
    initiatives = list(qs)
    return render(
        request,
        "initiatives/map.html",
        {
            "title": _("Carte des initiatives"),
            "initiatives": initiatives,
            "unplaced": [i for i in initiatives if i.latitude is None],
            "geojson": selectors.initiative_geojson(qs),
            "breadcrumb": breadcrumb(_("Carte"), (reverse("initiatives:list"), _("Initiatives"))),
        },
    )


def catalog_geojson(request):
    filters = selectors.CatalogFilters.from_data(request.GET)
    return JsonResponse(selectors.initiative_geojson(selectors.initiative_list(filters=filters)))


def _plans_for_shortlist(user, initiative: Initiative) -> list[dict]:
    """The plans of the officer's territories, each saying whether the initiative is already on it."""
    ids = officer_territory_ids(user)
    if not ids:
        return []
    territories = Territory.objects.filter(id__in=ids).order_by("name")
    on_plan = set(
        PlannedAction.objects.filter(initiative=initiative, plan__territory__in=territories).values_list(
            "plan__territory_id", flat=True
        )
    )
    return [{"territory": t, "is_on_plan": t.pk in on_plan} for t in territories]


def detail(request, slug):
    initiative = get_object_or_404(
        Initiative.objects.filter(is_published=True).prefetch_related("key_figures"), slug=slug
    )
    return render(
        request,
        "initiatives/detail.html",
        {
            "title": initiative.name,
            "initiative": initiative,
            "similar": selectors.initiative_similar(initiative),
            "plans": _plans_for_shortlist(request.user, initiative),
            "beneficiary_labels": [BENEFICIARY_LABELS.get(code, code) for code in initiative.beneficiaries or []],
            "breadcrumb": breadcrumb(initiative.name, (reverse("initiatives:list"), _("Initiatives"))),
        },
    )


# --- Action plans --------------------------------------------------------------------


def plan_index(request):
    return render(
        request,
        "initiatives/plan_index.html",
        {
            "title": _("Plans d'action des territoires"),
            "territories": Territory.objects.order_by("name").select_related("action_plan"),
            "breadcrumb": breadcrumb(_("Plans d'action"), (reverse("initiatives:list"), _("Initiatives"))),
        },
    )


def _plan_context(request, territory: Territory) -> dict:
    plan = selectors.action_plan_of(territory)
    actions = list(selectors.plan_actions(plan)) if plan else []
    is_officer = can_manage_territory(request.user, territory)
    return {
        "territory": territory,
        "plan": plan,
        "selected": [a for a in actions if a.state == PlannedAction.State.SELECTED],
        "shortlisted": [a for a in actions if a.state == PlannedAction.State.SHORTLISTED],
        "dropped": [a for a in actions if a.state == PlannedAction.State.DROPPED],
        "periods": selectors.plan_periods(plan) if plan else [],
        "is_officer": is_officer,
        "is_team": territory.pk in viewer_territory_ids(request.user),
    }


def plan_detail(request, territory_slug):
    if request.GET.get("format") in exports.FORMATS:  # as every list: the page's address + ?format=
        return plan_export(request, territory_slug, fmt=request.GET["format"])
    territory = get_object_or_404(Territory, slug=territory_slug)
    context = _plan_context(request, territory)
    context.update(
        title=context["plan"].title if context["plan"] else _("Plan d'action – %(name)s") % {"name": territory.name},
        breadcrumb=breadcrumb(
            _("Plan d'action"), (reverse("actors:territory_detail", args=[territory.slug]), territory.name)
        ),
    )
    if context["is_officer"]:
        context["shortlist_form"] = ShortlistForm()
        context["plan_form"] = PlanForm(instance=context["plan"]) if context["plan"] else None
    return render(request, "initiatives/plan_detail.html", context)


def plan_print(request, territory_slug):
    territory = get_object_or_404(Territory, slug=territory_slug)
    context = _plan_context(request, territory)
    if context["plan"] is None:
        return redirect("initiatives:plan", territory_slug=territory.slug)
    context["title"] = context["plan"].title
    return render(request, "initiatives/plan_print.html", context)


def plan_export(request, territory_slug, fmt: str = "csv"):
    territory = get_object_or_404(Territory, slug=territory_slug)
    plan = get_object_or_404(ActionPlan, territory=territory)
    private = territory.pk in viewer_territory_ids(request.user)
    export = selectors.action_plan_export(plan, include_private=private)
    return exports.export_response(export, fmt=fmt, filename=f"plan-action-{territory.slug}")


def _back_to_plan(territory: Territory, anchor: str = ""):
    url = reverse("initiatives:plan", kwargs={"territory_slug": territory.slug})
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_POST
def plan_create(request, territory_slug):
    territory = get_object_or_404(Territory, slug=territory_slug)
    try:
        services.action_plan_get_or_create(territory=territory, by=request.user)
    except DomainError as error:
        apply_domain_error(error, request=request)
    return _back_to_plan(territory)


@login_required
@require_POST
def plan_update(request, territory_slug):
    territory = get_object_or_404(Territory, slug=territory_slug)
    plan = get_object_or_404(ActionPlan, territory=territory)
    form = PlanForm(request.POST, instance=ActionPlan.objects.get(pk=plan.pk))
    if form.is_valid():
        try:
            services.action_plan_update(plan=plan, by=request.user, **form.cleaned_data)
            messages.success(request, _("Plan enregistré."))
        except DomainError as error:
            apply_domain_error(error, request=request)
    else:
        messages.error(request, _("Le plan n'a pas été enregistré : vérifiez le titre et le statut."))
    return _back_to_plan(territory)


@login_required
@require_POST
def plan_shortlist(request, territory_slug):
    """Shortlist a catalog initiative (from its page or the plan page) or a new action."""
    territory = get_object_or_404(Territory, slug=territory_slug)
    form = ShortlistForm(request.POST)
    if not form.is_valid():  # the input's messages, as the API answers them
        for field_messages in bound_errors(form).fields.values():
            for message in field_messages:
                messages.error(request, message)
        return _back_to_plan(territory)
    try:
        plan = services.action_plan_get_or_create(territory=territory, by=request.user)
        action = services.planned_action_shortlist(plan=plan, by=request.user, **form.cleaned_data)
    except DomainError as error:
        apply_domain_error(error, request=request)
        initiative = form.cleaned_data.get("initiative")
        if initiative and request.POST.get("from") == "detail":
            return redirect(initiative.get_absolute_url())
        return _back_to_plan(territory)
    messages.success(request, _("« %(title)s » ajoutée à la présélection du plan.") % {"title": action.title})
    return _back_to_plan(territory, f"action-{action.pk}")


def _action_or_404(territory_slug: str, pk: int) -> PlannedAction:
    return get_object_or_404(
        PlannedAction.objects.select_related("plan__territory"), pk=pk, plan__territory__slug=territory_slug
    )


_STATE_SERVICES = {
    "select": (services.planned_action_select, _("« %(title)s » est retenue.")),
    "unselect": (services.planned_action_unselect, _("« %(title)s » revient dans la présélection.")),
    "drop": (services.planned_action_drop, _("« %(title)s » est écartée.")),
    "restore": (services.planned_action_restore, _("« %(title)s » revient dans la présélection.")),
}


@login_required
@require_POST
def action_transition(request, territory_slug, pk, transition):
    if transition not in _STATE_SERVICES:
        raise Http404
    action = _action_or_404(territory_slug, pk)
    service, message = _STATE_SERVICES[transition]
    try:
        action = service(action=action, by=request.user)
        messages.success(request, message % {"title": action.title})
    except DomainError as error:
        apply_domain_error(error, request=request)
    return _back_to_plan(action.plan.territory, f"action-{action.pk}")


@login_required
@require_POST
def action_move(request, territory_slug, pk, direction):
    """Move a selected action one rank up or down."""
    if direction not in {"up", "down"}:
        raise Http404
    action = _action_or_404(territory_slug, pk)
    ids = list(
        PlannedAction.objects.filter(plan=action.plan, state=PlannedAction.State.SELECTED)
        .order_by("priority")
        .values_list("id", flat=True)
    )
    if action.pk in ids:
        index = ids.index(action.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
            try:
                services.action_plan_reorder(plan=action.plan, by=request.user, ordered_ids=ids)
            except DomainError as error:
                apply_domain_error(error, request=request)
    return _back_to_plan(action.plan.territory, f"action-{action.pk}")


@login_required
def action_edit(request, territory_slug, pk):
    """Follow an action: owner, partners, budget, timeline, status, steps, indicators and their values."""
    action = _action_or_404(territory_slug, pk)
    territory = action.plan.territory
    if not can_manage_territory(request.user, territory):
        messages.error(request, _("Seul·e un·e chargé·e de mission de ce territoire peut modifier ce plan."))
        return _back_to_plan(territory)
    organizations = selectors.action_organization_choices(action)
    indicators = list(action.indicators.prefetch_related("values"))
    form = PlannedActionForm(instance=action, organizations=organizations)
    step_form = StepForm(prefix="step")
    indicator_form = IndicatorForm(prefix="indicator")
    values_form = IndicatorValuesForm(prefix="values", indicators=indicators)
    if request.method == "POST":
        which = request.POST.get("form")
        target = None
        try:
            if which == "action":
                form = PlannedActionForm(request.POST, organizations=organizations)
                target = form
                if form.is_valid():
                    services.planned_action_update(action=action, by=request.user, **form.cleaned_data)
                    messages.success(request, _("Action enregistrée."))
                    return redirect(request.path)
            elif which == "step":
                step_form = target = StepForm(request.POST, prefix="step")
                if step_form.is_valid():
                    services.action_step_add(action=action, by=request.user, **step_form.cleaned_data)
                    return redirect(f"{request.path}#steps")
            elif which == "step_done":
                step = get_object_or_404(ActionStep, pk=request.POST.get("step"), action=action)
                services.action_step_set_done(step=step, by=request.user, is_done=request.POST.get("is_done") == "1")
                return redirect(f"{request.path}#steps")
            elif which == "indicator":
                indicator_form = target = IndicatorForm(request.POST, prefix="indicator")
                if indicator_form.is_valid():
                    services.action_indicator_add(action=action, by=request.user, **indicator_form.cleaned_data)
                    messages.success(request, _("Indicateur ajouté."))
                    return redirect(f"{request.path}#indicators")
            elif which == "values":
                values_form = target = IndicatorValuesForm(request.POST, prefix="values", indicators=indicators)
                if values_form.is_valid():
                    services.indicator_values_record(
                        action=action,
                        by=request.user,
                        period_label=values_form.cleaned_data["period_label"],
                        values=values_form.values(),
                    )
                    messages.success(request, _("Valeurs enregistrées."))
                    return redirect(f"{request.path}#indicators")
        except DomainError as error:
            apply_domain_error(error, form=target, request=request)
    return render(
        request,
        "initiatives/action_edit.html",
        {
            "title": action.title,
            "action": action,
            "territory": territory,
            "form": form,
            "step_form": step_form,
            "indicator_form": indicator_form,
            "values_form": values_form,
            "indicators": indicators,
            "steps": list(action.steps.all()),
            "breadcrumb": breadcrumb(
                action.title,
                (reverse("actors:territory_detail", args=[territory.slug]), territory.name),
                (reverse("initiatives:plan", kwargs={"territory_slug": territory.slug}), _("Plan d'action")),
            ),
        },
    )
