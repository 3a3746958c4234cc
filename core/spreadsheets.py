"""CSV / XLSX downloads people open in a spreadsheet, safe against formula injection.

CSV: a text value starting with ``= + - @`` (or tab / CR) is prefixed with ``'`` so
spreadsheet programs show it as text (OWASP "CSV injection"; performance-and-security.md
R8). XLSX: text is always written as a string cell, never a formula; numbers stay numbers.
Every export of the portal goes through these functions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The text of ``value`` as a CSV cell that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def csv_text(header: list[str], rows: Iterable[Iterable], *, numeric: Iterable[int] = ()) -> str:
    """CSV (CRLF) with every text cell neutralised; columns at ``numeric`` are left as
    they are (a negative amount stays ``-1.00``)."""
    keep = set(numeric)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow(
            ["" if v is None else v if i in keep else neutralise(v) for i, v in enumerate(row)]
        )
    return buf.getvalue()


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """UTF-8 with a BOM, so Excel opens Australian names with accents correctly."""
    return csv_text(header, rows).encode("utf-8-sig")


def xlsx_bytes(sheets: list[tuple[str, list[str] | None, Iterable[Iterable]]]) -> bytes:
    """A workbook of (title, header, rows) sheets: numbers as numbers, everything else as
    string cells (``data_type 's'``) — never a formula."""

    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        if header:
            ws.append([_text_cell(ws, WriteOnlyCell, h) for h in header])
        for row in rows:
            ws.append(
                [
                    v
                    if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
                    else _text_cell(ws, WriteOnlyCell, v)
                    for v in row
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_cell(ws, cell_class, value):
    cell = cell_class(ws, value="" if value is None else str(value))
    cell.data_type = "s"
    return cell
