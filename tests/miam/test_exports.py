"""The one export module: CSV for French spreadsheets and the same data as XLSX, formulas made inert."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from miam import exports

DANGEROUS = ['=HYPERLINK("http://x","clic")', "+33 6 12", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _export(rows, meta=None):
    return exports.Export(
        title="Essai",
        meta=meta or [],
        tables=[exports.Table(columns=["nom", "valeur"], rows=rows)],
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_a_csv_starts_with_a_utf8_bom_and_separates_cells_with_semicolons():
    data = exports.to_csv(_export([["Épicerie", 1]]))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[1] == "Épicerie;1"


def test_a_csv_writes_decimals_with_a_comma_and_no_thousands_separator():
    data = exports.to_csv(_export([["kg", Decimal("1460.20")], ["km", 12.5], ["n", 1200]]))
    rows = _csv_rows(data)
    assert rows[1:] == [["kg", "1460,20"], ["km", "12,5"], ["n", "1200"]]


def test_a_csv_writes_dates_and_booleans_the_french_way():
    data = exports.to_csv(_export([["début", dt.date(2026, 12, 1)], ["présent", True], ["absent", False], ["?", None]]))
    assert _csv_rows(data)[1:] == [["début", "01/12/2026"], ["présent", "oui"], ["absent", "non"], ["?", ""]]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_csv_cell_that_could_start_a_formula_is_made_inert(text):
    rows = _csv_rows(exports.to_csv(_export([[text, 1]])))
    assert rows[1][0] == "'" + text


def test_a_negative_number_stays_a_number_in_a_csv():
    assert _csv_rows(exports.to_csv(_export([["solde", Decimal("-5.5")]])))[1] == ["solde", "-5,5"]


def test_meta_lines_come_first_then_a_blank_line_then_the_headers():
    export = _export(
        [["a", 1]],
        meta=[["Territoire", "PAT du Clunisois"], exports.period_line(dt.date(2026, 1, 1), dt.date(2026, 12, 1))],
    )
    rows = _csv_rows(exports.to_csv(export))
    assert rows[:4] == [
        ["Territoire", "PAT du Clunisois"],
        ["Période", "01/01/2026", "01/12/2026"],
        [],
        ["nom", "valeur"],
    ]


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_the_xlsx_holds_the_same_data_as_typed_cells():
    export = _export(
        [["kg", Decimal("460.2")], ["début", dt.date(2026, 12, 1)], ["n", 3]], meta=[["Territoire", "Cluny"]]
    )
    sheet = _sheet(exports.to_xlsx(export))
    assert sheet.title == "Essai"
    assert [c.value for c in sheet[1]] == ["Territoire", "Cluny"]
    assert [c.value for c in sheet[3]] == ["nom", "valeur"] and sheet["A3"].font.bold
    assert sheet["B4"].value == pytest.approx(460.2) and sheet["B4"].data_type == "n"
    assert sheet["B5"].value.date() == dt.date(2026, 12, 1) and sheet["B5"].is_date
    assert sheet["B6"].value == 3


@pytest.mark.parametrize("text", DANGEROUS)
def test_an_xlsx_cell_that_could_start_a_formula_stays_text(text):
    sheet = _sheet(exports.to_xlsx(_export([[text, 1]])))
    cell = sheet["A2"]
    # (A carriage return is stored as OOXML's escape « _x000D_ », which spreadsheets read back as
    # the character and openpyxl leaves as it is in an inline string: the text is the same.)
    value = cell.value.replace("_x000D_", "\r")
    assert cell.data_type == "s" and value[1:] == text[1:]
    assert cell.quotePrefix


def test_the_response_is_a_download_named_after_its_format():
    export = _export([["a", 1]])
    csv_response = exports.export_response(export, fmt="csv", filename="essai")
    xlsx_response = exports.export_response(export, fmt="xlsx", filename="essai")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == 'attachment; filename="essai.csv"'
    assert xlsx_response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert xlsx_response["Content-Disposition"] == 'attachment; filename="essai.xlsx"'
    assert xlsx_response.content[:2] == b"PK"  # a zip, as every XLSX
