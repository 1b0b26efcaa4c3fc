"""Reading one record of the catalog's data file into typed model values.

The data file (``initiatives/data/initiatives.json``) is written by hand from the source documents; this
module is the one place that checks it: every field's type and vocabulary, every entry's sources (a
known document and a section), and every claim's reference to one of those sources. A record that
breaks a rule raises ``DomainError`` naming the record and the field; ``services.initiatives_load``
turns the cleaned values into rows, all or nothing.

Lists of claims (objectives, results, lessons, partners...) hold strings, or ``{"text": ..., "ref": n}``
when the claim comes from the entry's n-th source rather than the first; the database keeps the text,
the data check (``manage.py catalog_check``) shows the reference.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from initiatives import sources, typology
from miam.errors import DomainError

SLUG_RE = re.compile(r"^[-a-z0-9]+$")
INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")

#: Lists of claims, each item a string or {"text", "ref"}.
CLAIM_LISTS = (
    "objectives",
    "results",
    "funding_sources",
    "partners",
    "levers",
    "difficulties",
    "solutions",
    "improvements",
    "source_notes",
)
#: Lists of plain strings.
TEXT_LISTS = ("links", "keywords")
#: Headcount keys of a record's carrier, and the model fields they fill.
HEADCOUNTS = {"employees": "employees_count", "volunteers": "volunteers_count", "members": "members_count"}


class _Record:
    def __init__(self, record, index: int):
        self.where = str(record.get("slug") or f"#{index}") if isinstance(record, dict) else f"#{index}"
        self.record = record

    def fail(self, field_name: str, message: str, code: str = "invalid_record"):
        raise DomainError(
            code,
            _("Initiative %(where)s : %(message)s") % {"where": self.where, "message": message},
            fields={f"{self.where}.{field_name}": message},
        )

    def as_list(self, key: str, container: dict | None = None, label: str | None = None) -> list:
        value = (self.record if container is None else container).get(key) or []
        if not isinstance(value, list):
            self.fail(label or key, _("une liste est attendue."))
        return value

    def text(self, key: str, limit: int | None = None, container: dict | None = None) -> str:
        value = (self.record if container is None else container).get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(key, _("un texte est attendu."))
        value = value.strip()
        if limit is not None and len(value) > limit:
            self.fail(key, _("%(n)d caractères au plus.") % {"n": limit})
        return value

    def year(self, value, label: str) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1900:
            self.fail(label, _("année invalide."))
        if value > timezone.localdate().year:
            self.fail(label, _("l'année %(y)s est dans le futur.") % {"y": value}, "future_year")
        return value

    def count(self, value, label: str) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(label, _("un nombre entier positif est attendu."))
        return value

    def number(self, value, label: str, *, required: bool) -> Decimal | None:
        if value is None or value == "":
            if required:
                self.fail(label, _("valeur absente ou non numérique."))
            return None
        if isinstance(value, bool):
            self.fail(label, _("valeur absente ou non numérique."))
        try:
            number = Decimal(str(value).replace(",", ".").replace("\u202f", "").replace(" ", ""))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            self.fail(label, _("valeur absente ou non numérique."))
        return number

    def codes(self, key: str, allowed: list[str], message: str, container: dict | None = None) -> list[str]:
        values = self.as_list(key, container)
        for code in values:
            if code not in allowed:
                self.fail(key, message % {"v": code})
        if len(set(values)) != len(values):
            self.fail(key, _("une valeur apparaît deux fois."))
        return list(values)

    def ref(self, item: dict, label: str, n_sources: int) -> int:
        """The claim's source (index in ``sources``): an integer, or a list of them for a claim drawn from several."""
        ref = item.get("ref", 0)
        refs = ref if isinstance(ref, list) and ref else [ref]
        for one in refs:
            if not isinstance(one, int) or isinstance(one, bool) or not 0 <= one < n_sources:
                self.fail(
                    label,
                    _("« ref » doit désigner une des sources de l'initiative (0 à %(n)d).") % {"n": n_sources - 1},
                )
        return refs[0]

    def claim(self, key: str, n_sources: int, limit: int | None = None) -> str:
        """A text field that is a single claim: a string, or ``{"text": ..., "ref": ...}``."""
        value = self.record.get(key)
        if isinstance(value, dict):
            self.ref(value, key, n_sources)
            value = value.get("text")
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(key, _("un texte est attendu."))
        value = value.strip()
        if limit is not None and len(value) > limit:
            self.fail(key, _("%(n)d caractères au plus.") % {"n": limit})
        return value

    def claims(self, key: str, n_sources: int) -> list[str]:
        texts = []
        for position, item in enumerate(self.as_list(key)):
            label = f"{key}.{position}"
            if isinstance(item, dict):
                self.ref(item, label, n_sources)
                item = item.get("text")
            if not isinstance(item, str) or not item.strip():
                self.fail(label, _("un texte est attendu."))
            texts.append(item.strip())
        return texts


def _sources(r: _Record) -> list[dict]:
    refs = r.as_list("sources")
    if r.record.get("source") is not None or not refs:
        r.fail("sources", _("chaque initiative cite au moins une source : un document connu et sa section."))
    cleaned = []
    for position, ref in enumerate(refs):
        label = f"sources.{position}"
        if not isinstance(ref, dict):
            r.fail(label, _("un objet est attendu."))
        document = ref.get("document")
        if document not in sources.DOCUMENTS:
            r.fail(f"{label}.document", _("document source inconnu « %(v)s ».") % {"v": document})
        section = ref.get("section")
        if not isinstance(section, str) or not section.strip():
            r.fail(f"{label}.section", _("la section du document source est obligatoire."))
        cleaned.append(
            {"document": document, "title": sources.DOCUMENTS[document].title, "section": section.strip()[:300]}
        )
    return cleaned


def _types(r: _Record) -> tuple[str, str, list[str]]:
    kinds = r.as_list("types")
    if not kinds:
        r.fail("types", _("au moins un type est obligatoire (le premier est le type principal)."))
    for code in kinds:
        if code not in typology.TYPE_CODES:
            r.fail("types", _("type inconnu « %(v)s ».") % {"v": code})
    if len(set(kinds)) != len(kinds):
        r.fail("types", _("un type apparaît deux fois."))
    domain = typology.TYPE_DOMAIN[kinds[0]]
    if r.record.get("domain") not in (None, domain):
        r.fail(
            "domain",
            _("le type « %(t)s » n'appartient pas au domaine « %(d)s ».")
            % {"t": kinds[0], "d": r.record.get("domain")},
        )
    return domain, kinds[0], list(kinds[1:])


def _carrier(r: _Record) -> dict:
    carrier = r.record.get("carrier") or {}
    if isinstance(carrier, str):
        carrier = {"name": carrier}
    if not isinstance(carrier, dict):
        r.fail("carrier", _("un objet est attendu."))
    fields = {
        "carrier_name": r.text("name", 300, carrier),
        "carrier_kinds": r.codes(
            "kinds", typology.CARRIER_KIND_CODES, _("type de structure inconnu « %(v)s »."), carrier
        ),
    }
    for key, field_name in HEADCOUNTS.items():
        fields[field_name] = r.count(carrier.get(key), f"carrier.{key}")
    return fields


def _place(r: _Record) -> dict:
    place = r.record.get("place") or {}
    if not isinstance(place, dict) or not (
        place.get("commune") or place.get("departement") or place.get("region") or place.get("country")
    ):
        r.fail("place", _("le lieu est obligatoire (au moins le pays)."))
    scope = place.get("scope") or "local"
    if scope not in typology.SCOPE_CODES:
        r.fail("place.scope", _("échelle inconnue « %(v)s ».") % {"v": scope})
    insee = str(place.get("commune_insee") or "").strip()
    if insee and not INSEE_RE.match(insee):
        r.fail("place.commune_insee", _("code INSEE invalide « %(v)s ».") % {"v": insee})
    return {
        "commune_name": str(place.get("commune") or "")[:150],
        "commune_insee": insee,
        "departement_code": str(place.get("departement") or "").strip()[:3],
        "region": str(place.get("region") or "")[:100],
        "country": str(place.get("country") or "FR").upper()[:2],
        "scope": scope,
        "place_note": r.text("note", 400, place),
    }


def _committee(r: _Record) -> dict:
    committee = r.record.get("committee") or {}
    if not isinstance(committee, dict):
        r.fail("committee", _("un objet est attendu."))
    read_on = committee.get("read_on")
    if read_on is not None:
        try:
            read_on = date.fromisoformat(str(read_on))
        except ValueError:
            r.fail("committee.read_on", _("date invalide (AAAA-MM-JJ)."))
        if read_on > timezone.localdate():
            r.fail("committee.read_on", _("la date est dans le futur."), "future_year")
    return {
        "committee_assessments": r.codes(
            "assessments",
            typology.COMMITTEE_ASSESSMENT_CODES,
            _("appréciation du comité inconnue « %(v)s »."),
            committee,
        ),
        "committee_read_on": read_on,
    }


def _figures(r: _Record, n_sources: int) -> list[dict]:
    figures = []
    for position, figure in enumerate(r.as_list("key_figures")):
        label = f"key_figures.{position}"
        if not isinstance(figure, dict):
            r.fail(label, _("un objet est attendu."))
        value = r.number(figure.get("value"), f"{label}.value", required=True)
        unit = str(figure.get("unit") or "").strip()
        if not unit:
            r.fail(f"{label}.unit", _("l'unité d'un chiffre clé est obligatoire."), "unit_required")
        qualifier = figure.get("qualifier") or ""
        if qualifier not in typology.FIGURE_QUALIFIER_CODES:
            r.fail(f"{label}.qualifier", _("précision inconnue « %(v)s ».") % {"v": qualifier})
        figures.append(
            {
                "value": value,
                "unit": unit[:60],
                "measures": str(figure.get("measures") or "")[:300],
                "year": r.year(figure.get("year"), f"{label}.year"),
                "qualifier": qualifier,
                "source_index": r.ref(figure, f"{label}.ref", n_sources),
                "position": position,
            }
        )
    return figures


def _description(r: _Record, n_sources: int) -> str:
    value = r.record.get("description")
    if value is None or isinstance(value, str | dict):
        return r.claim("description", n_sources)
    if not isinstance(value, list):
        r.fail("description", _("un texte ou une liste de paragraphes est attendu."))
    return "\n\n".join(r.claims("description", n_sources))


def initiative_record_clean(record: dict, *, index: int = 0) -> dict:
    """Check one record of the data file and turn it into model fields (plus ``key_figures``).

    Raises ``DomainError`` naming the record (slug or index) and the field.
    """
    r = _Record(record, index)
    if not isinstance(record, dict):
        r.fail("record", _("un objet est attendu."))
    slug = str(record.get("slug") or "").strip()
    if not slug or not SLUG_RE.match(slug):
        r.fail("slug", _("identifiant absent ou invalide (lettres minuscules, chiffres et tirets)."))
    name = r.text("name", 300)
    if not name:
        r.fail("name", _("le nom est obligatoire."))
    domain, kind, secondary = _types(r)
    other_types = r.codes("other_types", typology.OTHER_TYPE_CODES, _("typologie inconnue « %(v)s »."))
    status = record.get("status") or "unknown"
    if status not in typology.STATUS_CODES:
        r.fail("status", _("statut inconnu « %(v)s ».") % {"v": status})
    cited = _sources(r)
    budget = r.number(record.get("budget_eur"), "budget_eur", required=False)
    if budget is not None and budget < 0:
        r.fail("budget_eur", _("le budget ne peut pas être négatif."))
    return {
        "slug": slug,
        "name": name,
        "tagline": r.claim("tagline", len(cited), 400),
        "summary": r.claim("summary", len(cited)),
        "description": _description(r, len(cited)),
        "domain": domain,
        "type": kind,
        "secondary_types": secondary,
        "other_types": other_types,
        **_carrier(r),
        **_place(r),
        "start_year": r.year(record.get("start_year"), "start_year"),
        "status": status,
        "beneficiaries": r.codes("beneficiaries", typology.BENEFICIARY_CODES, _("public inconnu « %(v)s ».")),
        "beneficiaries_note": r.text("beneficiaries_note", 400),
        "objective_kinds": r.codes(
            "objective_kinds",
            typology.OBJECTIVE_KIND_CODES,
            _("type d'objectif inconnu « %(v)s »."),
        ),
        "budget_eur": budget,
        **{key: r.claims(key, len(cited)) for key in CLAIM_LISTS},
        **{key: [str(v) for v in r.as_list(key)] for key in TEXT_LISTS},
        **_committee(r),
        "sources": cited,
        "key_figures": _figures(r, len(cited)),
    }
