"""Pages of season agreements, funding lines, statements and donation receipts: thin, each
write calls a service (which checks who may do what) and shows its error next to the field."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors import permissions
from actors.models import PRODUCER_KINDS, RECIPIENT_KINDS, Organization, Territory
from agreements import documents, inputs, selectors
from agreements.forms import AgreementForm, EndForm, FunderForm, FundingLineForm, OccurrenceForm, ReceiptForm
from agreements.models import DonationReceipt, Occurrence, SupplyAgreement
from agreements.services import agreements as svc
from agreements.services import funding, receipts
from miam.errors import DomainError
from miam.exports import export_response
from miam.pages import apply_domain_error

PAGE_SIZE = 20


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


def _my_organizations(user, kinds=None):
    rows = Organization.objects.filter(pk__in=permissions.member_organization_ids(user)).order_by("name")
    return rows.filter(kind__in=kinds) if kinds else rows


# --- Agreements ------------------------------------------------------------------------------


@login_required
def agreement_list(request):
    page = Paginator(selectors.agreements_visible(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/list.html", {"page": page, "title": _("Conventions d'approvisionnement")})


@login_required
def agreement_create(request):
    form = AgreementForm(request.POST or None, principal=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = svc.agreement_create(by=request.user, data=form.data_for_service())
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(
                request, _("Convention enregistrée en brouillon : relisez-la puis proposez-la à la signature.")
            )
            return redirect("agreements:detail", agreement.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "agreements/form.html", {"form": form, "title": _("Nouvelle convention")}, status=status)


@login_required
def agreement_edit(request, pk: int):
    """Change a draft, or a proposed agreement no one has signed yet (the same input as a new one)."""
    agreement = _visible(request, pk)
    if not svc.editable(agreement):
        messages.error(request, _("Une convention signée ne se modifie plus : suspendez-la ou terminez-la."))
        return redirect("agreements:detail", pk)
    initial = svc.agreement_initial(agreement)
    form = AgreementForm(request.POST or None, initial=initial, principal=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            svc.agreement_update(by=request.user, agreement=agreement, data=form.data_for_service())
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Convention modifiée."))
            return redirect("agreements:detail", agreement.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": _("Modifier la convention"), "agreement": agreement}
    return render(request, "agreements/form.html", context, status=status)


def _visible(request, pk) -> SupplyAgreement:
    agreement = get_object_or_404(SupplyAgreement.objects.select_related("farm__commune", "category"), pk=pk)
    if not svc.can_see(request.user, agreement):
        raise Http404
    return agreement


@login_required
def agreement_detail(request, pk: int):
    agreement = _visible(request, pk)
    today = timezone.localdate()
    occurrences = Paginator(
        agreement.occurrences.select_related("structure", "match__delivery").order_by("date", "id"), 30
    ).get_page(request.GET.get("page"))
    context = {
        "agreement": agreement,
        "title": str(agreement),
        "parties": agreement.parties.select_related("structure"),
        "events": agreement.events.select_related("by").order_by("-at", "-id")[:50],
        "totals": selectors.agreement_totals(agreement),
        "page": occurrences,
        "today": today,
        "end_form": EndForm(initial={"on": today}),
        "occurrence_form": OccurrenceForm(),
        "own": permissions.member_organization_ids(request.user),
        "editable": svc.editable(agreement),
    }
    return render(request, "agreements/detail.html", context)


ACTIONS = {
    "propose": (svc.agreement_propose, _("Convention proposée à la signature des parties.")),
    "sign": (svc.agreement_sign, _("Votre signature est enregistrée.")),
    "activate": (svc.agreement_activate, _("La convention est en cours : ses livraisons sont planifiées.")),
    "suspend": (svc.agreement_suspend, _("La convention est suspendue.")),
    "resume": (svc.agreement_resume, _("La convention reprend.")),
}


@login_required
@require_POST
def agreement_action(request, pk: int, action: str):
    agreement = _visible(request, pk)
    if action == "end":
        form = EndForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Indiquez la date de fin."))
            return redirect("agreements:detail", pk)
        call, kwargs, done = svc.agreement_end, {"on": form.cleaned_data["on"]}, _("La convention est terminée.")
    elif action in ACTIONS:
        (call, done), kwargs = ACTIONS[action], {}
    else:
        raise Http404
    try:
        call(by=request.user, agreement=agreement, **kwargs)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("agreements:detail", pk)


@login_required
@require_POST
def occurrence_action(request, pk: int, action: str):
    occurrence = get_object_or_404(Occurrence.objects.select_related("agreement"), pk=pk)
    if not svc.can_see(request.user, occurrence.agreement):
        raise Http404
    try:
        if action == "skip":
            svc.occurrence_skip(by=request.user, occurrence=occurrence)
            messages.success(request, _("Cette livraison est sautée ; les suivantes restent prévues."))
        elif action == "change":
            form = OccurrenceForm(request.POST)
            if not form.is_valid():
                raise DomainError("invalid", " ".join(m for ms in form.errors.values() for m in ms))
            svc.occurrence_change(
                by=request.user,
                occurrence=occurrence,
                date=form.cleaned_data["date"],
                quantity=form.cleaned_data["quantity"],
                household_price_per_unit=form.cleaned_data.get("household_price_per_unit"),
            )
            messages.success(request, _("Cette livraison est modifiée ; la série continue."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("agreements:detail", occurrence.agreement_id)


# --- Funding lines -------------------------------------------------------------------------


@login_required
def funding_line_list(request):
    lines = Paginator(funding.visible_lines(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    managed = Territory.objects.filter(pk__in=permissions.officer_territory_ids(request.user)).order_by("name")
    form = funder_form = None
    if managed:
        form = FundingLineForm(request.POST or None if "line" in request.POST else None, principal=request.user)
        funder_form = FunderForm(request.POST if "funder" in request.POST else None)
    status = 200
    if request.method == "POST" and managed:
        try:
            if "funder" in request.POST and funder_form.is_valid():
                funding.funder_create(
                    by=request.user,
                    territory=managed[0],
                    name=funder_form.cleaned_data["name"],
                    kind=funder_form.cleaned_data["kind"],
                )
                messages.success(request, _("Financeur ajouté."))
                return redirect("agreements:funding_lines")
            if "line" in request.POST and form.is_valid():
                funding.funding_line_create(by=request.user, data=form.data_for_service())
                messages.success(request, _("Ligne de financement ajoutée."))
                return redirect("agreements:funding_lines")
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        status = 400
    context = {"page": lines, "form": form, "funder_form": funder_form, "title": _("Lignes de financement")}
    return render(request, "agreements/funding_lines.html", context, status=status)


# --- Statements ----------------------------------------------------------------------------


@login_required
def statement(request):
    organizations = list(_my_organizations(request.user))
    if permissions.officer_territory_ids(request.user):
        organizations += list(
            permissions.organizations_in_territories(permissions.officer_territory_ids(request.user))
            .filter(kind__in=[*PRODUCER_KINDS, *RECIPIENT_KINDS])
            .exclude(pk__in=[o.pk for o in organizations])
            .order_by("name")
        )
    month = timezone.localdate().replace(day=1)
    chosen, result = None, None
    if request.GET.get("organization"):
        try:
            data = inputs.action_input(inputs.StatementInput, request.GET)
        except DomainError as error:
            messages.error(request, error.message)
            data = None
        if data:
            chosen = get_object_or_404(Organization, pk=data["organization"])
            if not selectors.can_read_statement(request.user, chosen):
                raise Http404
            month = data["month"]
            result = selectors.statement_for(organization=chosen, month=month)
            filename = f"releve-{chosen.pk}-{month:%Y-%m}"
            if request.GET.get("output") == "csv":
                return export_response(documents.statement_export(result), fmt="csv", filename=filename)
            if request.GET.get("output") == "pdf":
                return _pdf(documents.statement_pdf(result), filename)
    context = {
        "organizations": organizations,
        "chosen": chosen,
        "statement": result,
        "month": month,
        "title": _("Relevés mensuels"),
    }
    return render(request, "agreements/statement.html", context)


@login_required
def donor_statement(request):
    farms = list(_my_organizations(request.user, PRODUCER_KINDS))
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    rows = total_kg = total_value = chosen = None
    if request.GET.get("donor"):
        try:
            data = inputs.action_input(inputs.DonorStatementInput, request.GET)
        except DomainError as error:
            messages.error(request, error.message)
            data = None
        if data:
            chosen = get_object_or_404(Organization, pk=data["donor"])
            if not selectors.can_read_statement(request.user, chosen):
                raise Http404
            start, today = data["period_start"], data["period_end"]
            rows, total_kg, total_value = selectors.donor_statement(donor=chosen, start=start, end=today)
            if request.GET.get("output") == "csv":
                export = documents.donor_statement_export(donor=chosen, start=start, end=today, rows=rows)
                return export_response(export, fmt="csv", filename=f"dons-{chosen.pk}-{start}")
    context = {
        "farms": farms,
        "chosen": chosen,
        "rows": rows,
        "total_kg": total_kg,
        "total_value": total_value,
        "start": start,
        "end": today,
        "title": _("Relevé des dons"),
    }
    return render(request, "agreements/donations.html", context)


@login_required
def delivery_note(request, match_id: int):
    from offers.models import Delivery

    delivery = get_object_or_404(
        Delivery.objects.select_related("match__offer__organization__commune", "match__need__organization__commune"),
        match_id=match_id,
    )
    if not selectors.can_read_delivery(request.user, delivery):
        raise Http404
    return _pdf(documents.delivery_note_pdf(delivery), f"bon-de-livraison-{match_id}")


# --- Donation receipts --------------------------------------------------------------------


@login_required
def receipt_list(request):
    structures = list(_my_organizations(request.user, RECIPIENT_KINDS))
    form = None
    if structures:
        from offers.models import Delivery

        donor_ids = (
            Delivery.objects.filter(match__need__organization__in=structures, match__offer__pricing="donation")
            .values_list("match__offer__organization_id", flat=True)
            .distinct()
        )
        form = ReceiptForm(
            request.POST or None,
            structures=structures,
            donors=Organization.objects.filter(pk__in=donor_ids).order_by("name"),
            initial={"period_start": dt.date(timezone.localdate().year, 1, 1), "period_end": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                receipt = receipts.receipt_issue(by=request.user, **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(error, form=form, request=request)
            else:
                messages.success(request, _("Reçu n° %(number)s délivré.") % {"number": receipt.number})
                return redirect("agreements:receipts")
    page = Paginator(receipts.visible_receipts(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    context = {"page": page, "form": form, "title": _("Reçus de dons en nature")}
    return render(request, "agreements/receipts.html", context, status=status)


def _receipt(request, pk) -> DonationReceipt:
    receipt = receipts.visible_receipts(request.user).filter(pk=pk).first()
    if receipt is None:
        raise Http404
    return receipt


@login_required
def receipt_pdf(request, pk: int):
    receipt = _receipt(request, pk)
    return _pdf(documents.receipt_pdf(receipt), f"recu-{receipt.number}")


@login_required
@require_POST
def receipt_action(request, pk: int, action: str):
    receipt = _receipt(request, pk)
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "cancel":
            receipts.receipt_cancel(by=request.user, receipt=receipt, reason=reason)
            messages.success(request, _("Reçu annulé."))
        elif action == "reissue":
            new = receipts.receipt_reissue(by=request.user, receipt=receipt, reason=reason)
            messages.success(request, _("Reçu annulé et remplacé par le n° %(number)s.") % {"number": new.number})
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("agreements:receipts")


# --- Demand calendar ----------------------------------------------------------------------


@login_required
def demand(request):
    """The structures' expected needs by month against the supply committed by agreements; a
    structure states its needs, a farmer answers a gap with a commitment."""
    from agreements.forms import CommitmentForm, DemandForm, PreorderForm
    from agreements.services import demand as demand_svc
    from offers.models import Offer, Pricing

    structures = list(_my_organizations(request.user, RECIPIENT_KINDS))
    farms = list(_my_organizations(request.user, PRODUCER_KINDS))
    territory_ids = set(permissions.officer_territory_ids(request.user))
    for organization in [*structures, *farms]:
        territory_ids |= set(organization.commune.territories.values_list("id", flat=True))
    in_territory = permissions.organizations_in_territories(territory_ids).filter(kind__in=RECIPIENT_KINDS)
    structure_ids = {o.pk for o in in_territory} | {o.pk for o in structures}
    demand_form = DemandForm(request.POST if "demand" in request.POST else None, structures=structures)
    commitment_form = CommitmentForm(
        request.POST if "commitment" in request.POST else None,
        farms=farms,
        structures=list(Organization.objects.filter(pk__in=structure_ids).order_by("name")),
    )
    planned_offers = (
        Offer.objects.filter(
            status__in=demand_svc.PREORDERABLE,
            window_end__gte=timezone.localdate(),
            organization__commune__territories__in=territory_ids,
        )
        .exclude(pricing=Pricing.DONATION)
        .select_related("organization")
        .distinct()
        .order_by("window_start", "id")[:100]
        if structures
        else []
    )
    preorder_form = PreorderForm(
        request.POST if "preorder" in request.POST else None, offers=planned_offers, structures=structures
    )
    forms_by_kind = {"demand": demand_form, "commitment": commitment_form, "preorder": preorder_form}
    status = 200
    if request.method == "POST":
        try:
            if "preorder" in request.POST and preorder_form.is_valid():
                agreement = demand_svc.preorder_propose(by=request.user, **preorder_form.cleaned_data)
                messages.success(request, _("Votre pré-commande est proposée à la ferme comme convention."))
                return redirect("agreements:detail", agreement.pk)
            if "demand" in request.POST and demand_form.is_valid():
                demand_svc.demand_set(by=request.user, **demand_form.cleaned_data)
                messages.success(request, _("Besoin prévu enregistré."))
                return redirect("agreements:demand")
            if "commitment" in request.POST and commitment_form.is_valid():
                agreement = demand_svc.commitment_propose(by=request.user, **commitment_form.cleaned_data)
                messages.success(request, _("Votre engagement est proposé à la structure comme convention."))
                return redirect("agreements:detail", agreement.pk)
        except DomainError as error:
            posted = next((kind for kind in forms_by_kind if kind in request.POST), "commitment")
            apply_domain_error(error, form=forms_by_kind[posted], request=request)
        status = 400
    months, rows = selectors.demand_table(structure_ids=structure_ids, first_month=timezone.localdate())
    context = {
        "months": months,
        "rows": rows,
        "demand_form": demand_form if structures else None,
        "commitment_form": commitment_form if farms else None,
        "preorder_form": preorder_form if structures and planned_offers else None,
        "title": _("Calendrier des besoins"),
    }
    return render(request, "agreements/demand.html", context, status=status)
