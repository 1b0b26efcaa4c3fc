"""Every export of MIAM, in two formats that French spreadsheets open as they are.

A view builds an ``Export`` (a title for the sheet, a few lines above the tables such as the
territory and the period, then one or more ``Table`` of typed values under their column headers) and returns
``export_response(export, fmt=..., filename=...)``. The same data comes out as:

- **CSV** for French spreadsheets: UTF-8 with a BOM (Excel then reads the accents), ``;`` between
  cells, a decimal comma and no thousands separator (« 460,2 »), dates as « 01/12/2026 »,
  booleans as « oui » / « non »;
- **XLSX** (XlsxWriter, streamed): numbers and dates as real typed cells, headers in bold, one sheet.

**Formulas are neutralised** in both (CSV injection): a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading apostrophe in CSV, and as a
text cell with Excel's "quote prefix" in XLSX, so a name such as ``=HYPERLINK(…)`` is shown as
typed and never evaluated. Numbers, dates and booleans are typed values, never text, so a
negative number stays a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    """Rows of typed values under column headers (a row may be shorter than the headers).

    Rows given as a list are kept as one; rows given as an iterator (a queryset read in
    chunks) stay one, read once as the file is written, so that a large list is never held
    whole in memory."""

    columns: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    title: str = ""

    def __post_init__(self):
        if isinstance(self.rows, list | tuple):
            self.rows = [list(row) for row in self.rows]


@dataclass
class Export:
    """What a file holds: a title (the XLSX sheet's name), ``meta`` lines (label, value…) above the
    tables, the tables."""

    title: str
    tables: list[Table]
    meta: list[Sequence[Cell]] = field(default_factory=list)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """The text as a spreadsheet shows it, never as a formula (OWASP's leading apostrophe)."""
    return "'" + text if is_formula_like(text) else text


# --- CSV ----------------------------------------------------------------------------------------


def _csv_number(value: Decimal | float | int) -> str:
    if isinstance(value, bool):  # bool is an int: never here, see _csv_cell
        raise TypeError
    if isinstance(value, int):
        return str(value)
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") if not isinstance(value, Decimal) else text
    return text.replace(".", ",")


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, int | float | Decimal):
        return _csv_number(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return neutralise(str(value))


def to_csv(export: Export) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for _kind, line in _lines(export):
        writer.writerow([_csv_cell(value) for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _lines(export: Export):
    """The layout both formats share, as (kind, values): the meta lines, then each table after a
    blank line (its title if any, its headers, its rows). Without meta lines, a single table's
    headers are the first line, as programs reading a CSV expect."""
    started = False
    for line in export.meta:
        yield "meta", [*line]
        started = True
    for table in export.tables:
        if started:
            yield "blank", []
        started = True
        if table.title:
            yield "title", [table.title]
        yield "header", [str(c) for c in table.columns]
        for row in table.rows:
            yield "row", [*row]


# --- XLSX ---------------------------------------------------------------------------------------

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


#: Lines read ahead to size the columns (a streamed sheet is sized before its first row).
XLSX_WIDTH_LOOKAHEAD = 1000


def to_xlsx(export: Export) -> bytes:
    """The export as one sheet, streamed: XlsxWriter's constant-memory mode writes each row to
    a temporary file as it comes (100,000 rows hold one row in memory, not a cell object per
    value); columns sized on the first ``XLSX_WIDTH_LOOKAHEAD`` lines."""
    import itertools

    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            # Every text is written as text: never read as a formula, a number or a link.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet((_SHEET_NAME_FORBIDDEN.sub(" ", export.title).strip() or "MIAM")[:31])
    formats = _XlsxFormats(workbook)
    lines = _lines(export)
    ahead = list(itertools.islice(lines, XLSX_WIDTH_LOOKAHEAD))
    widths: dict[int, int] = {}
    for _kind, line in ahead:
        for column_index, value in enumerate(line):
            widths[column_index] = max(widths.get(column_index, 0), min(len(_csv_cell(value)), 60))
    for column_index, width in widths.items():
        sheet.set_column(column_index, column_index, max(8, width + 2))
    for row_index, (kind, line) in enumerate(itertools.chain(ahead, lines)):
        bold = kind in ("title", "header")
        for column_index, value in enumerate(line):
            _xlsx_write(sheet, row_index, column_index, value, formats, bold or (kind == "meta" and column_index == 0))
    workbook.close()
    return out.getvalue()


class _XlsxFormats:
    """The few cell formats a sheet uses, made once (bold or not)."""

    def __init__(self, workbook) -> None:
        self.plain = {False: None, True: workbook.add_format({"bold": True})}
        self.quoted = {b: workbook.add_format({"bold": b, "quote_prefix": True}) for b in (False, True)}
        self.date = {b: workbook.add_format({"bold": b, "num_format": "DD/MM/YYYY"}) for b in (False, True)}
        self.moment = {b: workbook.add_format({"bold": b, "num_format": "DD/MM/YYYY HH:MM"}) for b in (False, True)}


def _xlsx_write(sheet, row: int, column: int, value: Cell, formats: _XlsxFormats, bold: bool) -> None:
    """One typed cell: numbers and dates as such, every text as text (a formula-like one with
    Excel's "quote prefix", so that editing it in a spreadsheet does not turn it into one)."""
    if value is None:
        if bold:
            sheet.write_blank(row, column, None, formats.plain[True])
        return
    kind = type(value)
    if kind is str:
        if value.startswith(FORMULA_STARTS):
            sheet.write_string(row, column, value, formats.quoted[bold])
        else:
            sheet.write_string(row, column, value, formats.plain[bold])
    elif kind is bool:
        sheet.write_string(row, column, str(_("oui") if value else _("non")), formats.plain[bold])
    elif kind is int or kind is float or kind is Decimal:
        sheet.write_number(row, column, float(value), formats.plain[bold])
    elif isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        sheet.write_datetime(row, column, value, formats.moment[bold])
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, column, value, formats.date[bold])
    elif isinstance(value, int | float | Decimal):  # subclasses (an IntEnum…)
        sheet.write_number(row, column, float(value), formats.plain[bold])
    else:
        _xlsx_write(sheet, row, column, str(value), formats, bold)


# --- Responses ----------------------------------------------------------------------------------


def export_response(export: Export, *, fmt: str, filename: str) -> HttpResponse:
    """The file as a download; ``fmt`` is ``csv`` or ``xlsx`` (anything else: CSV)."""
    if fmt == "xlsx":
        response = HttpResponse(to_xlsx(export), content_type=XLSX_CONTENT_TYPE)
        extension = "xlsx"
    else:
        response = HttpResponse(to_csv(export), content_type=CSV_CONTENT_TYPE)
        extension = "csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


def period_line(start: dt.date | None, end: dt.date | None) -> list[Cell]:
    """The « Période » line of an export: from ``start`` to ``end`` as typed dates."""
    return [_("Période"), start, end]
