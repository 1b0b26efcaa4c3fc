"""A territory's indicators: what MIAM changed on the ground, from the deliveries actually received.

- kilos delivered (``Delivery.quantity_kg``: the kg equivalent of what was received),
- euros paid to farmers (``Delivery.amount_paid_eur``),
- kilometres travelled (``Delivery.distance_km``),
- needs covered: covered quantity over asked quantity, on the needs published in the period,
- matches by status, and deliveries by month.

One function per figure set, all filtered the same way (territory + optional period), and a
CSV export of the same figures so officers can put them in their reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from actors.models import Territory
from offers.models import Delivery, Match, MatchingRun, Need, Offer, Status

ZERO = Decimal(0)


def _deliveries(*, territory: Territory, date_from: dt.date | None = None, date_to: dt.date | None = None):
    qs = Delivery.objects.filter(match__need__organization__commune__territories=territory)
    if date_from:
        qs = qs.filter(delivered_on__gte=date_from)
    if date_to:
        qs = qs.filter(delivered_on__lte=date_to)
    return qs


def delivery_totals(*, territory: Territory, date_from=None, date_to=None) -> dict:
    totals = _deliveries(territory=territory, date_from=date_from, date_to=date_to).aggregate(
        deliveries=Count("id"),
        kg=Sum("quantity_kg"),
        eur=Sum("amount_paid_eur"),
        km=Sum("distance_km"),
    )
    return {
        "deliveries": totals["deliveries"] or 0,
        "kg": totals["kg"] or ZERO,
        "eur": totals["eur"] or ZERO,
        "km": totals["km"] or ZERO,
    }


def needs_coverage(*, territory: Territory, date_from=None, date_to=None) -> dict:
    """Share of the asked quantity that was covered, over published needs (not drafts nor withdrawn)."""
    qs = Need.objects.filter(organization__commune__territories=territory).exclude(
        status__in=[Status.DRAFT, Status.WITHDRAWN]
    )
    if date_from:
        qs = qs.filter(window_end__gte=date_from)
    if date_to:
        qs = qs.filter(window_start__lte=date_to)
    rows = qs.aggregate(
        asked=Sum("quantity"),
        covered=Sum("quantity_covered"),
        count=Count("id"),
        fully=Count("id", filter=Q(status=Status.FULLY_MATCHED)),
    )
    asked, covered = rows["asked"] or ZERO, rows["covered"] or ZERO
    percent = int(round(100 * min(covered, asked) / asked)) if asked else 0
    return {"needs": rows["count"], "fully_covered": rows["fully"], "percent": percent}


def matches_by_status(*, territory: Territory) -> dict[str, int]:
    rows = (
        Match.objects.filter(need__organization__commune__territories=territory)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = dict.fromkeys(Match.MatchStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def deliveries_by_month(*, territory: Territory, date_from=None, date_to=None) -> list[dict]:
    rows = (
        _deliveries(territory=territory, date_from=date_from, date_to=date_to)
        .annotate(month=TruncMonth("delivered_on"))
        .values("month")
        .annotate(deliveries=Count("id"), kg=Sum("quantity_kg"), eur=Sum("amount_paid_eur"), km=Sum("distance_km"))
        .order_by("month")
    )
    return [
        {
            "month": row["month"] if isinstance(row["month"], dt.date) else row["month"],
            "deliveries": row["deliveries"],
            "kg": row["kg"] or ZERO,
            "eur": row["eur"] or ZERO,
            "km": row["km"] or ZERO,
        }
        for row in rows
    ]


def open_listing_counts(*, territory: Territory) -> dict[str, int]:
    open_statuses = [Status.PUBLISHED, Status.PARTLY_MATCHED]
    return {
        "offers": Offer.objects.filter(organization__commune__territories=territory, status__in=open_statuses).count(),
        "needs": Need.objects.filter(organization__commune__territories=territory, status__in=open_statuses).count(),
    }


def recent_runs(*, territory: Territory, limit: int = 5):
    return list(MatchingRun.objects.filter(territory=territory).order_by("-created_at", "-id")[:limit])


def territory_indicators(*, territory: Territory, date_from=None, date_to=None) -> dict:
    """Everything the dashboard shows about results, in one dict."""
    return {
        "totals": delivery_totals(territory=territory, date_from=date_from, date_to=date_to),
        "coverage": needs_coverage(territory=territory, date_from=date_from, date_to=date_to),
        "matches": matches_by_status(territory=territory),
        "by_month": deliveries_by_month(territory=territory, date_from=date_from, date_to=date_to),
    }


def _num(value) -> str:
    if isinstance(value, Decimal):
        value = value.quantize(Decimal("0.01"))
    return str(value)


def indicators_csv(*, territory: Territory, date_from=None, date_to=None) -> str:
    """The indicators as CSV (semicolon-separated, as French spreadsheets expect)."""
    data = territory_indicators(territory=territory, date_from=date_from, date_to=date_to)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Territoire"), territory.name])
    writer.writerow([_("Période"), date_from.isoformat() if date_from else "", date_to.isoformat() if date_to else ""])
    writer.writerow([])
    writer.writerow([_("Indicateur"), _("Valeur")])
    totals = data["totals"]
    writer.writerow([_("Livraisons"), totals["deliveries"]])
    writer.writerow([_("Kilos livrés"), _num(totals["kg"])])
    writer.writerow([_("Euros payés aux producteurs"), _num(totals["eur"])])
    writer.writerow([_("Kilomètres parcourus"), _num(totals["km"])])
    writer.writerow([_("Besoins couverts (%)"), data["coverage"]["percent"]])
    writer.writerow([])
    writer.writerow([_("Mises en relation par statut"), _("Nombre")])
    labels = dict(Match.MatchStatus.choices)
    for status, count in data["matches"].items():
        writer.writerow([str(labels[status]), count])
    writer.writerow([])
    writer.writerow([_("Mois"), _("Livraisons"), _("Kilos"), _("Euros"), _("Kilomètres")])
    for row in data["by_month"]:
        month = row["month"]
        writer.writerow(
            [
                month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)[:7],
                row["deliveries"],
                _num(row["kg"]),
                _num(row["eur"]),
                _num(row["km"]),
            ]
        )
    return out.getvalue()
