"""The documents of agreements: monthly statements (CSV through ``miam.exports``, PDF) and
donation receipts (PDF). PDFs are HTML templates rendered by WeasyPrint (a maintained HTML/CSS
to PDF engine: the page layout stays a template anyone can read, no drawing code)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from miam.exports import Export, Table


def statement_export(statement) -> Export:
    """A statement as rows: one per delivery, then what each payer owes."""
    farm_side = statement.side == "farm"
    columns = [
        _("Date"),
        _("Ferme") if not farm_side else _("Structure"),
        _("SIRET"),
        _("Produit"),
        _("Lot"),
        _("DLC"),
        _("Quantité"),
        _("Unité"),
        _("kg"),
        _("Prix juste (€/unité)"),
        _("Montant au prix juste (€)"),
        _("Payé par la structure (€)"),
        _("Prix au ménage (€/unité)"),
        _("Payé par les ménages (€)"),
        _("Financeur"),
        _("Payé par le financeur (€)"),
        _("Écart non financé (€)"),
        _("Convention"),
        _("Code service (Chorus Pro)"),
        _("Numéro d'engagement"),
    ]
    rows = []
    for line in statement.lines:
        other = line.structure if farm_side else line.farm
        rows.append(
            [
                line.delivered_on,
                other.name,
                other.siret,
                line.product,
                line.lot_number,
                line.use_by,
                line.quantity,
                line.unit,
                line.kg,
                line.fair_price,
                line.fair_amount,
                line.paid_by_structure,
                line.household_price if line.household_price is not None else "",
                line.household_amount if line.household_amount is not None else "",
                line.funder.name if line.funder else "",
                line.funded,
                line.unfunded_gap,
                line.agreement_id,
                line.service_code,
                line.commitment_number,
            ]
        )
    payers = Table(
        columns=[_("Payeur") if farm_side else _("Bénéficiaire"), _("SIRET"), _("Montant (€)")],
        rows=[[str(payer), getattr(payer, "siret", ""), amount] for payer, amount in statement.due_by_payer],
        title=_("Dû par chaque payeur") if farm_side else _("Dû à chaque ferme et part des financeurs"),
    )
    organization = statement.organization
    return Export(
        title=_("Relevé %(month)s") % {"month": date_format(statement.month, "F Y")},
        meta=[
            [_("Relevé mensuel"), organization.name],
            [_("SIRET"), organization.siret],
            [_("Mois"), date_format(statement.month, "F Y")],
            [_("Total (kg)"), statement.total_kg],
            [_("Total dû (€)"), statement.total_due],
        ],
        tables=[Table(columns=columns, rows=rows, title=_("Livraisons")), payers],
    )


def pdf_from_template(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def statement_pdf(statement) -> bytes:
    return pdf_from_template("agreements/pdf/statement.html", {"statement": statement})


def receipt_pdf(receipt) -> bytes:
    """The receipt as the cerfa 2041-MEC asks: its number, the beneficiary and its entitlement,
    the donor company, the gifts in kind (nature, quantity, lot, value), the total, the date."""
    return pdf_from_template(
        "agreements/pdf/receipt.html", {"receipt": receipt, "items": list(receipt.items.order_by("delivered_on", "id"))}
    )


def donor_statement_export(*, donor, start, end, rows) -> Export:
    return Export(
        title=_("Dons"),
        meta=[[_("Relevé des dons"), donor.name], [_("SIRET"), donor.siret], [_("Période"), start, end]],
        tables=[
            Table(
                columns=[
                    _("Date"),
                    _("Structure"),
                    _("Produit"),
                    _("Quantité"),
                    _("Unité"),
                    _("kg"),
                    _("Lot"),
                    _("DLC"),
                    _("Valeur au prix habituel (€)"),
                ],
                rows=[
                    [
                        row.delivered_on,
                        row.match.need.organization.name,
                        row.match.offer.product_name,
                        row.quantity_received,
                        row.unit,
                        row.quantity_kg,
                        row.lot_number,
                        row.use_by,
                        row.value_eur,
                    ]
                    for row in rows
                ],
            )
        ],
    )


def delivery_note_pdf(delivery) -> bytes:
    """The delivery note: who gave what to whom, with the lot number and the use-by date."""
    return pdf_from_template("agreements/pdf/delivery_note.html", {"delivery": delivery, "match": delivery.match})
