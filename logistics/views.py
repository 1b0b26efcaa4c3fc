"""Pages of logistics (DSFR, phone first): the rounds one follows, a round's stops with the
time slot of each farm and structure, its printable sheet (PDF, WeasyPrint), claiming it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from logistics import selectors
from logistics.services import rounds
from miam.errors import DomainError

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
    context = {"page": page, "title": _("Tournées"), "breadcrumb": _crumbs(_("Tournées"))}
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
        "can_claim": round_.driver_id is None and rounds.can_drive(request.user, round_.vehicle),
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
