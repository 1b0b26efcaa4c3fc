"""The initiatives catalog as a spreadsheet (``miam.exports``: CSV for French spreadsheets or XLSX,
formulas neutralised).

The catalog is public: the file holds what the cards and sheets show, with the page's filters and
order (ranked by relevance when there is a query), every row instead of one page. No person's
name or contact is in the catalog (docs/catalog-check.md), so none is in the file.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from initiatives import typology
from initiatives.models import DOMAIN_CHOICES, SCOPE_CHOICES, STATUS_CHOICES, TYPE_CHOICES
from miam import exports

FIELDS = (
    "slug",
    "name",
    "tagline",
    "domain",
    "type",
    "carrier_name",
    "commune_name",
    "departement_code",
    "region",
    "country",
    "scope",
    "start_year",
    "status",
    "beneficiaries",
    "budget_eur",
)


def catalog_export(queryset, *, title: str, meta: list | None = None, url_of=None) -> exports.Export:
    """``url_of(slug)``: the sheet's address, to link each row to its page (the view passes it)."""
    domains, types = (dict(c) for c in (DOMAIN_CHOICES, TYPE_CHOICES))
    scopes, statuses = (dict(c) for c in (SCOPE_CHOICES, STATUS_CHOICES))
    beneficiaries = dict(typology.BENEFICIARIES)
    rows = []
    for row in queryset.values(*FIELDS).iterator(chunk_size=2000):
        rows.append(
            [
                row["name"],
                row["tagline"],
                str(domains.get(row["domain"], row["domain"])),
                str(types.get(row["type"], row["type"])),
                row["carrier_name"],
                row["commune_name"],
                row["departement_code"],
                row["region"],
                row["country"],
                str(scopes.get(row["scope"], row["scope"])),
                row["start_year"],
                str(statuses.get(row["status"], row["status"])),
                ", ".join(str(beneficiaries.get(code, code)) for code in row["beneficiaries"] or []),
                row["budget_eur"],
                url_of(row["slug"]) if url_of else row["slug"],
            ]
        )
    columns = [
        _("Nom"),
        _("Accroche"),
        _("Domaine"),
        _("Type d'initiative"),
        _("Structure porteuse"),
        _("Commune"),
        _("Département"),
        _("Région"),
        _("Pays"),
        _("Échelle"),
        _("Année de début"),
        _("Statut"),
        _("Publics bénéficiaires"),
        _("Budget (€)"),
        _("Fiche"),
    ]
    return exports.Export(title=title, meta=meta or [], tables=[exports.Table(columns=columns, rows=rows)])
