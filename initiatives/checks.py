"""The catalog's data check: for each entry, its types, figures and claims, and the source section of each.

``manage.py catalog_check`` writes this report (Markdown) so that a reviewer can hold every entry against
its source in minutes. Given the folder of the source texts (``--sources``), it also finds each cited
section in its document (by a short anchor: the section's heading, or a few words of it) and says on which
lines it lies and whether each figure's value is written there. The report names documents by their
titles, never by a file name or a path. Given a previous data file (``--previous``), it lists the entries
whose type changed.

Reads only: the data file, the source texts, nothing in the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from initiatives import sources, typology
from initiatives.records import CLAIM_LISTS, initiative_record_clean

# Words the sources use for round numbers and small counts.
_NUMBER_WORDS = {
    "une dizaine": 10,
    "une quinzaine": 15,
    "une vingtaine": 20,
    "une trentaine": 30,
    "une quarantaine": 40,
    "une cinquantaine": 50,
    "une soixantaine": 60,
    "une centaine": 100,
    "la centaine": 100,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
}
_NUMBER_RE = re.compile(r"(?<![\d])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)(\s*millions?)?")


def _fold(text: str) -> str:
    """Lower-case, one kind of apostrophe and space, no Markdown emphasis: for finding anchors."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ").replace("*", "").replace("#", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in ``text``: digits (« 42 000 », « 1,3 », « 1 million ») and number words."""
    found: set[Decimal] = set()
    for match in _NUMBER_RE.finditer(text):
        digits = re.sub(r"[ \u00a0\u202f]", "", match.group(1)).replace(",", ".")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        if match.group(2):
            value *= 1_000_000
        found.add(value.normalize())
    folded = f" {_fold(text)} "
    for words, value in _NUMBER_WORDS.items():
        if re.search(rf"[^\w]{words}[^\w]", folded):
            found.add(Decimal(value))
    return found


@dataclass
class Document:
    code: str
    lines: list[str]


@dataclass
class Located:
    first: int  # 1-based line numbers, as an editor shows them
    last: int
    text: str


@dataclass
class Library:
    """The source texts found in a folder, by document code."""

    documents: dict[str, Document] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: str | Path) -> Library:
        library = cls()
        for path in sorted(Path(folder).glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            for code, document in sources.DOCUMENTS.items():
                if code not in library.documents and document.fingerprint in text:
                    library.documents[code] = Document(code, text.splitlines())
                    break
        return library

    def anchor_lines(self, code: str, anchor: str) -> list[int]:
        wanted = _fold(anchor)
        return [i for i, line in enumerate(self.documents[code].lines) if wanted and wanted in _fold(line)]


def anchor_of(ref: dict) -> str:
    """The text that finds a section in its document: its ``anchor``, else the section's last part."""
    return ref.get("anchor") or ref["section"].split("›")[-1].strip()


def locate_all(records: list[dict], library: Library) -> dict[tuple[int, int], Located | None]:
    """Where each (record index, source index) lies: from its anchor's last occurrence to the next anchor."""
    starts: dict[tuple[int, int], int | None] = {}
    by_document: dict[str, set[int]] = {}
    for r, record in enumerate(records):
        for s, ref in enumerate(record.get("sources") or []):
            code = ref.get("document")
            if code not in library.documents:
                starts[(r, s)] = None
                continue
            hits = library.anchor_lines(code, anchor_of(ref))
            starts[(r, s)] = hits[-1] if hits else None
            if hits:
                by_document.setdefault(code, set()).add(hits[-1])
    located: dict[tuple[int, int], Located | None] = {}
    for (r, s), start in starts.items():
        if start is None:
            located[(r, s)] = None
            continue
        ref = records[r]["sources"][s]
        lines = library.documents[ref["document"]].lines
        if ref.get("lines"):
            end = min(len(lines), start + int(ref["lines"]))
        else:
            later = [line for line in by_document[ref["document"]] if line > start]
            end = min(later) if later else len(lines)
        located[(r, s)] = Located(start + 1, end, "\n".join(lines[start:end]))
    return located


def _refs(item) -> list[int]:
    if isinstance(item, dict):
        ref = item.get("ref", 0)
        return ref if isinstance(ref, list) else [ref]
    return [0]


def _text(item) -> str:
    return item.get("text", "") if isinstance(item, dict) else str(item)


def _claims(record: dict) -> list[tuple[str, str, list[int]]]:
    """(field, text, source indexes) of every claim of a record, in reading order."""
    claims = []
    for key in ("tagline", "summary"):
        if record.get(key):
            claims.append((key, _text(record[key]), _refs(record[key])))
    description = record.get("description")
    paragraphs = description if isinstance(description, list) else ([description] if description else [])
    for n, paragraph in enumerate(paragraphs, start=1):
        claims.append((f"description ¶{n}", _text(paragraph), _refs(paragraph)))
    carrier = record.get("carrier") or {}
    if isinstance(carrier, dict) and carrier.get("name"):
        claims.append(("carrier", carrier["name"], [0]))
    if (record.get("place") or {}).get("note"):
        claims.append(("place.note", record["place"]["note"], [0]))
    if record.get("beneficiaries_note"):
        claims.append(("beneficiaries_note", record["beneficiaries_note"], [0]))
    for key in CLAIM_LISTS:
        for item in record.get(key) or []:
            claims.append((key, _text(item), _refs(item)))
    return claims


def _value(value) -> str:
    number = Decimal(str(value)).normalize()
    return format(number, "f")


def _figure_label(figure: dict) -> str:
    qualifier = str(dict(typology.FIGURE_QUALIFIERS).get(figure.get("qualifier") or "", ""))
    prefix = f"{qualifier} " if figure.get("qualifier") else ""
    return f"{prefix}{_value(figure['value'])} {figure['unit']}"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report(
    records: list[dict], *, library: Library | None = None, previous: list[dict] | None = None
) -> tuple[str, list[str]]:
    """The Markdown report and the list of problems found (anchors or figures not found in the sources)."""
    for index, record in enumerate(records):
        initiative_record_clean(record, index=index)  # the same rules as the loader, or DomainError
    located = locate_all(records, library) if library else {}
    problems: list[str] = []
    out: list[str] = []
    w = out.append
    w("# Catalogue des initiatives : vérification des sources")
    w("")
    w(
        "Produit par `manage.py catalog_check`"
        + (" avec les textes des sources" if library else " sans les textes des sources")
        + ". Pour chaque initiative : ses types et ce qui les justifie, le classement que lui donne sa source, "
        "ses sources (titre et section, et où la section se trouve dans le texte), ses chiffres (✓ : la valeur "
        "est écrite dans la section citée) et chacune de ses affirmations avec la source d'où elle vient. "
        "Les textes sont rédigés avec nos mots : la vérification d'une affirmation se fait en lisant la section "
        "indiquée."
    )
    w("")
    w(_summary(records, previous))
    for r, record in enumerate(records):
        w(f"## {record['name']}")
        w("")
        w(f"`{record['slug']}`")
        w("")
        kinds = record["types"]
        labels = [f"**{typology.TYPE_LABELS[kinds[0]]}**", *[str(typology.TYPE_LABELS[k]) for k in kinds[1:]]]
        w(f"- Types : {' ; '.join(labels)} — {record.get('type_basis') or '(justification absente)'}")
        for code in record.get("other_types") or []:
            mark = (
                "✓ concorde avec les types du catalogue"
                if typology.other_type_compatible(code, kinds)
                else "≠ ne concorde avec aucun type du catalogue"
            )
            w(f"- Classement de la source : {typology.OTHER_TYPE_LABELS[code]} ({code}) — {mark}")
        place = record.get("place") or {}
        where = ", ".join(str(place.get(k)) for k in ("commune", "departement", "region", "country") if place.get(k))
        w(f"- Lieu : {where}" + (f" — ⚠ {place['note']}" if place.get("note") else ""))
        w("- Sources :")
        for s, ref in enumerate(record["sources"]):
            line = f"  - [{s}] {sources.citation(ref['document'], ref['section'])}"
            if library is not None:
                found = located.get((r, s))
                if found is None:
                    line += " — ✗ section introuvable dans le texte"
                    problems.append(f"{record['slug']} : section [{s}] introuvable ({anchor_of(ref)!r})")
                else:
                    line += f" — lignes {found.first} à {found.last}"
            w(line)
        figures = record.get("key_figures") or []
        if figures:
            w("")
            w("| chiffre | ce qu'il mesure | année | source | dans le texte |")
            w("| --- | --- | --- | --- | --- |")
            for figure in figures:
                s = _refs(figure)[0]
                mark = "—"
                if library is not None:
                    found = located.get((r, s))
                    if found is not None and Decimal(str(figure["value"])).normalize() in numbers_in(found.text):
                        mark = "✓"
                    else:
                        mark = "✗"
                        problems.append(f"{record['slug']} : {_figure_label(figure)} introuvable dans la section [{s}]")
                w(
                    f"| {_md(_figure_label(figure))} | {_md(figure.get('measures', ''))} | "
                    f"{figure.get('year') or ''} | [{s}] | {mark} |"
                )
        w("")
        w("Affirmations :")
        w("")
        for key, text, refs in _claims(record):
            w(f"- `{key}` [{', '.join(map(str, refs))}] {_md(text)}")
        w("")
    return "\n".join(out).rstrip() + "\n", problems


def _summary(records: list[dict], previous: list[dict] | None) -> str:
    lines = [f"{len(records)} initiatives.", "", "| type principal | initiatives |", "| --- | ---: |"]
    counts: dict[str, int] = {}
    for record in records:
        counts[record["types"][0]] = counts.get(record["types"][0], 0) + 1
    for code in typology.TYPE_CODES:
        if counts.get(code):
            origin = "" if code in typology.MIAM_TYPE_CODES else " (ajouté au catalogue)"
            lines.append(f"| {typology.TYPE_LABELS[code]}{origin} | {counts[code]} |")
    if previous is not None:
        before = {r["slug"]: r.get("type") or (r.get("types") or [None])[0] for r in previous}
        moved = [(r, before[r["slug"]]) for r in records if r["slug"] in before and before[r["slug"]] != r["types"][0]]
        lines += ["", f"### Reclassées par rapport au fichier précédent : {len(moved)}", ""]
        lines += ["| initiative | avant | après |", "| --- | --- | --- |"]
        for record, old in moved:
            lines.append(
                f"| {_md(record['name'])} | {typology.TYPE_LABELS.get(old, old)} | "
                f"{typology.TYPE_LABELS[record['types'][0]]} |"
            )
    return "\n".join(lines) + "\n"
