"""A territory's indicators: what MIAM changed on the ground, from the deliveries actually received.

- kilos delivered (``Delivery.quantity_kg``: the kg equivalent of what was received),
- euros paid to farmers (``Delivery.amount_paid_eur``),
- kilometres travelled, from the farm's and the structure's own points (``offers.distances``, as
  the territory's indicators count them: never 0 between two points of one commune; a delivery a
  pooled round carried counts its share of the round's km),
- needs covered: covered quantity over asked quantity, on the needs published in the period,
- matches by status, and deliveries by month.

One function per figure set, all filtered the same way (territory + optional period), and an
export of the same figures (CSV or XLSX) so officers can put them in their reports.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from actors.models import Territory
from offers import distances
from offers.models import Delivery, Match, MatchingRun, Need, Offer, Status

ZERO = Decimal(0)


def _deliveries(*, territory: Territory, date_from: dt.date | None = None, date_to: dt.date | None = None):
    qs = Delivery.objects.filter(match__need__organization__commune__territories=territory)
    if date_from:
        qs = qs.filter(delivered_on__gte=date_from)
    if date_to:
        qs = qs.filter(delivered_on__lte=date_to)
    return qs


_OFFER_SIDE, _NEED_SIDE = "match__offer__organization__", "match__need__organization__"


def _km_by_month(deliveries) -> dict[dt.date, float]:
    """Kilometres of the deliveries by month, from both sides' points (``offers.distances``); a
    delivery a pooled round carried counts its share of the round's km, as in the indicators."""
    rows = list(
        deliveries.order_by().values(
            "match_id", "delivered_on", *distances.place_fields(_OFFER_SIDE), *distances.place_fields(_NEED_SIDE)
        )
    )
    kms = distances.distances_km(
        [(distances.place_of(r, _OFFER_SIDE), distances.place_of(r, _NEED_SIDE)) for r in rows]
    )
    shares = distances.round_shares([r["match_id"] for r in rows]) if rows else {}
    months: dict[dt.date, float] = {}
    for row, (km, _estimated) in zip(rows, kms, strict=True):
        if row["match_id"] in shares:
            km = shares[row["match_id"]].km
        month = row["delivered_on"].replace(day=1)
        months[month] = months.get(month, 0.0) + km
    return months


def _tenth(km: float) -> Decimal:
    return Decimal(str(km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def delivery_totals(*, territory: Territory, date_from=None, date_to=None, km_of: dict | None = None) -> dict:
    """``km_of``: the kilometres by month when the caller already read them (``_km_by_month``)."""
    deliveries = _deliveries(territory=territory, date_from=date_from, date_to=date_to)
    totals = deliveries.aggregate(deliveries=Count("id"), kg=Sum("quantity_kg"), eur=Sum("amount_paid_eur"))
    if km_of is None:
        km_of = _km_by_month(deliveries) if totals["deliveries"] else {}
    km = _tenth(sum(km_of.values())) if km_of else ZERO
    return {
        "deliveries": totals["deliveries"] or 0,
        "kg": totals["kg"] or ZERO,
        "eur": totals["eur"] or ZERO,
        "km": km,
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


def deliveries_by_month(*, territory: Territory, date_from=None, date_to=None, km_of: dict | None = None) -> list[dict]:
    deliveries = _deliveries(territory=territory, date_from=date_from, date_to=date_to)
    rows = list(
        deliveries.annotate(month=TruncMonth("delivered_on"))
        .values("month")
        .annotate(deliveries=Count("id"), kg=Sum("quantity_kg"), eur=Sum("amount_paid_eur"))
        .order_by("month")
    )
    if km_of is None:
        km_of = _km_by_month(deliveries) if rows else {}
    return [
        {
            "month": row["month"] if isinstance(row["month"], dt.date) else row["month"],
            "deliveries": row["deliveries"],
            "kg": row["kg"] or ZERO,
            "eur": row["eur"] or ZERO,
            "km": _tenth(km_of.get(_first_day(row["month"]), 0.0)),
        }
        for row in rows
    ]


def _first_day(month) -> dt.date:
    day = month.date() if isinstance(month, dt.datetime) else month
    return day.replace(day=1)


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
    km_of = _km_by_month(_deliveries(territory=territory, date_from=date_from, date_to=date_to))
    return {
        "totals": delivery_totals(territory=territory, date_from=date_from, date_to=date_to, km_of=km_of),
        "coverage": needs_coverage(territory=territory, date_from=date_from, date_to=date_to),
        "matches": matches_by_status(territory=territory),
        "by_month": deliveries_by_month(territory=territory, date_from=date_from, date_to=date_to, km_of=km_of),
    }


def indicators_period(*, territory: Territory, date_from=None, date_to=None) -> tuple[dt.date | None, dt.date]:
    """The period the figures cover: as asked, else from the first delivery to today."""
    from django.db.models import Min
    from django.utils import timezone

    if date_from is None:
        date_from = _deliveries(territory=territory, date_to=date_to).aggregate(first=Min("delivered_on"))["first"]
    return date_from, date_to or timezone.localdate()


def indicators_export(*, territory: Territory, date_from=None, date_to=None):
    """The dashboard's figures as an export (CSV or XLSX through ``miam.exports``)."""
    from miam import exports

    data = territory_indicators(territory=territory, date_from=date_from, date_to=date_to)
    start, end = indicators_period(territory=territory, date_from=date_from, date_to=date_to)
    totals = data["totals"]
    labels = dict(Match.MatchStatus.choices)
    return exports.Export(
        title=_("Indicateurs"),
        meta=[[_("Territoire"), territory.name], exports.period_line(start, end)],
        tables=[
            exports.Table(
                columns=[_("Indicateur"), _("Valeur")],
                rows=[
                    [_("Livraisons"), totals["deliveries"]],
                    [_("Kilos livrés"), _cents(totals["kg"])],
                    [_("Euros payés aux producteurs"), _cents(totals["eur"])],
                    [_("Kilomètres parcourus"), _cents(totals["km"])],
                    [_("Besoins couverts (%)"), data["coverage"]["percent"]],
                ],
            ),
            exports.Table(
                columns=[_("Mises en relation par statut"), _("Nombre")],
                rows=[[str(labels[status]), count] for status, count in data["matches"].items()],
            ),
            exports.Table(
                columns=[_("Mois"), _("Livraisons"), _("Kilos"), _("Euros"), _("Kilomètres")],
                rows=[
                    [_month(row["month"]), row["deliveries"], _cents(row["kg"]), _cents(row["eur"]), _cents(row["km"])]
                    for row in data["by_month"]
                ],
            ),
        ],
    )


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _month(value) -> dt.date | str:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else str(value)[:7]
