"""The territory's indicators page, and its steering-committee report as PDF or XLSX. Thin: the
query string goes through ``indicators.inputs``, the figures come from ``indicators.selectors``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import report, selectors
from indicators.inputs import indicators_input
from indicators.periods import period_resolve
from miam import exports
from miam.errors import DomainError, NotAllowed

#: The picker's fields, to say which one an error is about.
FIELD_LABELS = {
    "territory": gettext_lazy("Territoire"),
    "period": gettext_lazy("Période"),
    "start": gettext_lazy("Du"),
    "end": gettext_lazy("Au"),
}


def _picked(query) -> dict:
    """What the picker asked. Its form always sends the dates (filled with the period shown), so a
    period chosen in its list wins over them; the API, which has no such form, refuses both."""
    values = {key: query.get(key, "") for key in ("territory", "period", "start", "end")}
    if values["period"].strip():
        values["start"] = values["end"] = ""
    return values


def error_text(error: DomainError) -> str:
    """The error and, for each field, its label and reason: « Du : Date invalide (format AAAA-MM-JJ). »"""
    reasons = [
        f"{FIELD_LABELS.get(field, field)} : {message}"
        for field, messages_ in error.fields.items()
        for message in messages_
    ]
    return " ".join([error.message, *reasons])


def _asked(request):
    """(territory, period, error) from the query string; a bad period falls back to the year to
    date with its error shown."""
    error = None
    try:
        territory_id, period = indicators_input(_picked(request.GET))
    except DomainError as exc:
        error = exc
        territory_id = None
        raw = request.GET.get("territory", "")
        if raw.isdecimal():
            territory_id = int(raw)
        period = period_resolve(period=None, start=None, end=None, today=timezone.localdate())
    try:
        territory = selectors.territory_get(request.user, territory_id)
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as exc:
        raise PermissionDenied from exc
    return territory, period, error


def period_choices(today: dt.date) -> list[tuple[str, str]]:
    """The periods offered by the picker: this year and the last, their quarters, this year's months."""
    choices = []
    for year in (today.year, today.year - 1):
        choices.append((str(year), _("Année %(year)s") % {"year": year}))
        for quarter in range(4, 0, -1):
            if year == today.year and 3 * (quarter - 1) + 1 > today.month:
                continue
            choices.append(
                (f"{year}-Q{quarter}", _("%(quarter)se trimestre %(year)s") % {"quarter": quarter, "year": year})
            )
    for month in range(today.month, 0, -1):
        day = dt.date(today.year, month, 1)
        choices.append((f"{today.year}-{month:02d}", formats.date_format(day, "F Y").capitalize()))
    return choices


@login_required
def territory_indicators(request):
    territory, period, error = _asked(request)
    if error is not None:
        messages.error(request, error_text(error))
    data = selectors.territory_indicators(principal=request.user, territory=territory, period=period)
    readable = list(selectors.readable_territories(request.user))
    compare = selectors.territories_compare(principal=request.user, period=period) if len(readable) > 1 else []
    query = f"territory={territory.pk}&start={period.start.isoformat()}&end={period.end.isoformat()}"
    context = {
        **report.context(data),
        "title": _("Indicateurs — %(name)s") % {"name": territory.name},
        "territory": territory,
        "territories": readable,
        "choices": period_choices(timezone.localdate()),
        "asked_period": request.GET.get("period", ""),
        "typed": _picked(request.GET),  # shown again beside its error, as typed
        "error_fields": sorted(error.fields) if error is not None else [],
        "compare": compare,
        "compared": selectors.COMPARED,
        "query": query,
        "breadcrumb": {
            "links": [{"url": reverse("offers:dashboard"), "title": _("Tableau de bord")}],
            "current": _("Indicateurs"),
        },
    }
    return render(request, "indicators/territory.html", context, status=400 if error else 200)


@login_required
def report_pdf(request):
    territory, period, error = _asked(request)
    if error is not None:
        return HttpResponse(
            error_text(error),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = selectors.territory_indicators(principal=request.user, territory=territory, period=period)
    pdf = report.report_pdf(data, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="rapport-copil-{territory.slug}-{period.label.replace("/", "_")}.pdf"'
    )
    return response


@login_required
def report_spreadsheet(request, fmt: str = "xlsx"):
    territory, period, error = _asked(request)
    if error is not None:
        return HttpResponse(
            error_text(error),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = selectors.territory_indicators(principal=request.user, territory=territory, period=period)
    return exports.export_response(
        report.report_export(data), fmt=fmt, filename=f"rapport-copil-{territory.slug}-{period.label.replace('/', '_')}"
    )
