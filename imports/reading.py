"""A spreadsheet as headers and lines of cells, whatever it was saved as (CSV or XLSX).

tablib (with openpyxl for XLSX) reads the file. A CSV's encoding is UTF-8 when it reads as such, else the one charset-normalizer
finds among those French spreadsheets write (Windows-1252 first, Latin-1, Mac Roman, UTF-16), its delimiter among ``;``, ``,`` and tab by the header line. The line numbers
are the spreadsheet's (headers on line 1), blank lines included, so that « ligne 12 » is the line
the person sees.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import tablib
from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

#: What a French spreadsheet saves a CSV as (charset-normalizer's names).
ENCODINGS = ["utf_8", "cp1252", "latin_1", "mac_roman", "utf_16"]
DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old .xls


class FileProblem(Exception):
    """The file as a whole cannot be read: the message says why, in the person's language."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list]]  # (line number in the spreadsheet, cells)
    encoding: str = ""


def decode(content: bytes) -> tuple[str, str]:
    """A CSV's text and the encoding it was read with."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    candidates = {match.encoding: match for match in from_bytes(content, cp_isolation=ENCODINGS)}
    if not candidates:
        raise FileProblem(_("Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX."))
    # Several encodings read any 8-bit text; charset-normalizer's favourite among them (Mac Roman
    # for a short French line, say) is then a guess. Windows-1252 (Latin-1 plus €, œ and
    # typographic quotes) is what spreadsheets write in France: it wins whenever it reads the file.
    for encoding in ("cp1252", "latin_1"):
        if encoding in candidates:
            return str(candidates[encoding]), encoding
    best = from_bytes(content, cp_isolation=ENCODINGS).best()
    return str(best), best.encoding


def _lines_with_blanks(text: str, delimiter: str):
    """The CSV's lines; a blank one is kept as an empty row (tablib skips empty rows, and the
    line numbers would shift)."""
    for line in io.StringIO(text, newline=""):
        yield delimiter + line if line in ("\n", "\r\n", "\r") else line


def read(content: bytes, filename: str) -> Sheet:
    if not content:
        raise FileProblem(_("Le fichier est vide."))
    name = (filename or "").lower()
    if content.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise FileProblem(_("Les fichiers .xls (Excel 97-2003) ne sont pas lus : enregistrez-le en XLSX ou en CSV."))
    dataset = tablib.Dataset()
    if content.startswith(XLSX_MAGIC):
        try:
            dataset.load(io.BytesIO(content), format="xlsx")
        except Exception as error:  # a zip that is no workbook: openpyxl raises many kinds
            raise FileProblem(
                _("Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX.")
            ) from error
        encoding = "xlsx"
    else:
        if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileProblem(_("Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX."))
        text, encoding = decode(content)
        first = text.split("\n", 1)[0]
        delimiter = max(DELIMITERS, key=first.count)
        if not first.strip() or first.count(delimiter) == 0 and len(text.splitlines()) < 2:
            raise FileProblem(_("Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX."))
        try:
            dataset.load(_lines_with_blanks(text, delimiter), format="csv", delimiter=delimiter)
        except tablib.InvalidDimensions as error:
            raise FileProblem(
                _("Certaines lignes ont plus de cellules que la ligne d'en-têtes : donnez un en-tête à chaque colonne.")
            ) from error
        except Exception as error:
            raise FileProblem(
                _("Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX.")
            ) from error
    headers = [str(h).strip() if h is not None else "" for h in (dataset.headers or [])]
    if not any(headers):
        raise FileProblem(_("La première ligne doit donner le nom de chaque colonne."))
    rows = []
    for index, row in enumerate(dataset, start=2):
        cells = list(row)
        if any(cell not in (None, "") and str(cell).strip() for cell in cells):
            rows.append((index, cells))
    return Sheet(headers=headers, rows=rows, encoding=encoding)


def write_template(headers: list[str], rows: list[list], *, fmt: str) -> bytes:
    """A spreadsheet with the expected headers and example lines."""
    dataset = tablib.Dataset(*rows, headers=headers)
    if fmt == "xlsx":
        return dataset.export("xlsx")
    return ("\ufeff" + dataset.export("csv", delimiter=";")).encode("utf-8")
