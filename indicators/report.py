"""The steering-committee (COPIL) report of a territory over a period: the page's figures, their
charts and factors, as a PDF (WeasyPrint) or a spreadsheet (``miam.exports``)."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _

from indicators.charts import bar_chart
from miam import exports
from miam.formatting import long_date


def month_label(day: dt.date) -> str:
    return formats.date_format(day, "F Y").capitalize()


def charts(data: dict) -> dict:
    """The charts of a set of figures (SVG), each drawn from the rows its data table shows."""
    return {
        "by_month": bar_chart(
            rows=[(month_label(row["month"]), row["kg"]) for row in data["by_month"]],
            title=_("Kilos livrés par mois"),
            unit="kg",
            chart_id="chart-kg-by-month",
        ),
        "by_family": bar_chart(
            rows=[(row["label"], row["kg"]) for row in data["by_family"]],
            title=_("Kilos livrés par famille de produits"),
            unit="kg",
            chart_id="chart-kg-by-family",
        ),
    }


def context(data: dict) -> dict:
    period = data["period"]
    return {
        "data": data,
        "charts": charts(data),
        "period": period,
        "period_text": _("du %(start)s au %(end)s") % {"start": long_date(period.start), "end": long_date(period.end)},
    }


def report_pdf(data: dict, *, base_url: str | None = None) -> bytes:
    """The COPIL report as a PDF (WeasyPrint renders the same HTML template)."""
    from weasyprint import HTML

    html = render_to_string("indicators/report_pdf.html", context(data))
    return HTML(string=html, base_url=base_url).write_pdf()


def report_export(data: dict) -> exports.Export:
    """The COPIL report's figures as tables (CSV or XLSX)."""
    period, totals, impact = data["period"], data["deliveries"], data["impact"]
    meal = impact["meal_factor"]
    key_rows = [
        [_("Livraisons"), totals["deliveries"], "", ""],
        [_("Kilos livrés"), totals["kg"], "kg", ""],
        [_("Euros payés aux producteurs"), totals["eur"], "€", ""],
        [_("Valeur des dons au prix habituel"), totals["donation_value_eur"], "€", ""],
        [_("Remises solidaires consenties par les producteurs"), totals["solidarity_discount_eur"], "€", ""],
        [_("Payés par les ménages (épiceries solidaires)"), totals["household_eur"], "€", ""],
        [_("Part des produits sous label"), totals["labelled_share"], "%", ""],
        [_("Kilomètres parcourus"), totals["km"], "km", ""],
        [
            _("Livraisons par une tournée mutualisée (chacune compte sa part des km de la tournée)"),
            totals["round_deliveries"],
            "",
            "",
        ],
        [_("Kilos glanés (compris dans les kilos livrés)"), totals["gleaned_kg"], "kg", ""],
        [
            _("Kilos glanés hors besoin publié de la structure (compris dans les kilos glanés)"),
            totals["gleaned_without_delivery_kg"],
            "kg",
            "",
        ],
        [_("Récoltes de glanage hors besoin publié"), totals["gleaned_without_delivery"], "", ""],
        [_("Fermes impliquées"), totals["farms_involved"], "", ""],
        [_("Personnes accueillies par les structures servies (par semaine)"), data["people_reached"], "", ""],
        [
            _("Équivalent repas"),
            impact["meals"],
            _("repas"),
            f"{meal['value']} {meal['unit']} — {meal['source']} ({meal['year']})" if meal else "",
        ],
        [
            _("Émissions du transport"),
            impact["co2e_kg"],
            "kgCO2e",
            " ; ".join(f"{f['value']} {f['unit']} — {f['source']} ({f['year']})" for f in impact["co2e_factors"]),
        ],
    ]
    activity = data["activity"]
    response = activity["response_days"]
    tables = [
        exports.Table(
            title=_("Chiffres clés"), columns=[_("Indicateur"), _("Valeur"), _("Unité"), _("Facteur")], rows=key_rows
        ),
        exports.Table(
            title=_("Activité"),
            columns=[_("Indicateur"), _("Valeur")],
            rows=[
                [_("Offres publiées"), activity["offers_posted"]],
                [_("Besoins publiés"), activity["needs_posted"]],
                [_("Mises en relation proposées"), activity["matches_proposed"]],
                [_("Mises en relation acceptées"), activity["matches_accepted"]],
                [_("Mises en relation livrées"), activity["matches_delivered"]],
                [_("Délai médian publication → première proposition (jours)"), response["posted_to_first_proposal"]],
                [_("Délai médian proposition → confirmation (jours)"), response["proposal_to_confirmed"]],
                [_("Délai médian confirmation → livraison (jours)"), response["confirmed_to_delivered"]],
            ],
        ),
        exports.Table(
            title=_("Acteurs"),
            columns=[_("Type d'acteur"), _("Inscrits"), _("Nouveaux"), _("Actifs")],
            rows=[[r["label"], r["registered"], r["new"], r["active"]] for r in data["organizations"]],
        ),
        exports.Table(
            title=_("Kilos livrés par mois"),
            columns=[_("Mois"), _("Livraisons"), _("Kilos"), _("Euros")],
            rows=[[r["month"], r["deliveries"], r["kg"], r["eur"]] for r in data["by_month"]],
        ),
        exports.Table(
            title=_("Kilos livrés par famille"),
            columns=[_("Famille"), _("Livraisons"), _("Kilos"), _("Structures servies"), _("Personnes atteintes")],
            rows=[
                [r["label"], r["deliveries"], r["kg"], r["structures_served"], r["people_reached"]]
                for r in data["by_family"]
            ],
        ),
        exports.Table(
            title=_("Besoins couverts par famille"),
            columns=[_("Famille"), _("Besoins"), _("Entièrement couverts"), "%"],
            rows=[[r["label"], r["needs"], r["covered"], r["percent"]] for r in data["needs_by_family"]],
        ),
        exports.Table(
            title=_("Taux de couverture des structures (les moins servies d'abord)"),
            columns=[_("Structure"), _("Personnes / semaine"), _("Reçu (éq. kg)"), _("Juste part (éq. kg)"), _("Taux")],
            rows=[
                [r.name, r.people_served_per_week, r.received_kg, r.entitlement_kg, r.fill_rate]
                for r in data["fill_rates"]
            ],
        ),
        exports.Table(
            title=_("Réunions tenues"),
            columns=[_("Type de réunion"), _("Nombre")],
            rows=[[r["label"], r["count"]] for r in data["meetings"]["by_kind"]],
        ),
        exports.Table(
            title=_("Participants présents par type d'acteur"),
            columns=[_("Type d'acteur"), _("Présents")],
            rows=[[r["label"], r["count"]] for r in data["meetings"]["participants_by_actor_kind"]],
        ),
        exports.Table(
            title=_("Décisions"),
            columns=[_("Date"), _("Réunion"), _("Décision")],
            rows=[[r["date"], r["meeting"], r["text"]] for r in data["meetings"]["decisions"]],
        ),
    ]
    plan = data["action_plan"]
    if plan:
        tables.append(
            exports.Table(
                title=_("Plan d'action"),
                columns=[
                    _("Action"),
                    _("Avancement"),
                    _("Étapes faites"),
                    _("Indicateur"),
                    _("Valeur"),
                    _("Cible"),
                    "%",
                ],
                rows=[
                    [
                        action["title"],
                        action["status_label"],
                        f"{action['steps_done']}/{action['steps']}",
                        f"{ind['name']} ({ind['unit']})",
                        ind["value"],
                        ind["target"],
                        ind["progress_percent"],
                    ]
                    for action in plan["actions"]
                    for ind in (
                        action["indicators"]
                        or [{"name": "", "unit": "", "value": None, "target": None, "progress_percent": None}]
                    )
                ],
            )
        )
    return exports.Export(
        title=_("Rapport COPIL"),
        meta=[[_("Territoire"), data["territory"]["name"]], exports.period_line(period.start, period.end)],
        tables=tables,
    )
