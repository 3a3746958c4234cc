"""Formula injection (performance-and-security.md R8) in every export: register issue
reports and payment-line exports share core.spreadsheets."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from core.spreadsheets import csv_bytes, csv_stream, neutralise, xlsx_bytes, xlsx_text_bytes
from pqs_claims.exports import EXPORT_KEYS, export_csv, export_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_neutralise_prefixes_only_dangerous_text():
    assert [neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert neutralise("C0001") == "C0001" and neutralise(None) == ""


def test_register_exports_never_carry_formulas():
    rows = [[v, 7] for v in DANGEROUS]
    text = csv_bytes(["value", "line"], rows).decode("utf-8-sig")
    cells = [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]]
    assert all(c.startswith("'") for c in cells)
    ws = load_workbook(io.BytesIO(xlsx_bytes([("Issues", ["value", "line"], rows)]))).active
    for value_cell, line_cell in ws.iter_rows(min_row=2):
        assert value_cell.data_type == "s"
        assert line_cell.value == 7  # numbers stay numbers


def _payment_row(text: str) -> dict:
    row = dict.fromkeys(EXPORT_KEYS, "")
    row.update(
        client_identifier=text,
        explanation=text,
        reasons=["PAID"],
        amount="-12.50",
        contribution="3600.00",
        points=None,
    )
    return row


def test_payment_exports_never_carry_formulas_and_keep_amounts():
    rows = [_payment_row(v) for v in DANGEROUS]
    parsed = list(csv.DictReader(io.StringIO(export_csv(rows))))
    assert all(r["client_identifier"].startswith("'") for r in parsed)
    assert all(r["explanation"].startswith("'") for r in parsed)
    assert {r["amount"] for r in parsed} == {"-12.50"}  # decimal columns untouched
    ws = load_workbook(io.BytesIO(export_xlsx(rows))).active
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        by_key = dict(zip(header, row, strict=True))
        assert by_key["client_identifier"].data_type == "s"
        assert Decimal(str(by_key["amount"].value)) == Decimal("-12.50")


def test_streamed_csv_is_the_same_file_as_csv_bytes():
    rows = [[v, str(i)] for i, v in enumerate(DANGEROUS * 400)]
    streamed = list(csv_stream(["value", "line"], iter(rows), every=100))
    assert len(streamed) > 2  # sent in pieces
    assert b"".join(streamed) == csv_bytes(["value", "line"], rows)


def test_text_workbook_has_only_string_cells_never_formulas():
    rows = [[v, "0042"] for v in DANGEROUS] + [["a\x00b\x1fc", "<&>"]]
    data = xlsx_text_bytes("Data", ["value", "code"], iter(rows))
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.title == "Data"
    cells = list(ws.iter_rows())
    assert [c.value for c in cells[0]] == ["value", "code"]
    assert [[c.value for c in r] for r in cells[1:]] == [*rows[:-1], ["abc", "<&>"]]
    assert {c.data_type for r in cells for c in r} == {"s"}  # "0042" keeps its zeros
