"""CSV / XLSX downloads people open in a spreadsheet, safe against formula injection.

CSV: a text value starting with ``= + - @`` (or tab / CR) is prefixed with ``'`` so
spreadsheet programs show it as text (OWASP "CSV injection"; performance-and-security.md
R8). XLSX: text is always written as a string cell, never a formula; numbers stay numbers
(``xlsx_text_bytes``: a sheet of text only, for large downloads).
Every export of the portal goes through these functions.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
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


def csv_stream(header: list[str], rows: Iterable[Iterable], *, every: int = 1000):
    """:func:`csv_bytes` in pieces of ``every`` rows (a large download is sent while it is
    written, never held whole): UTF-8 with a BOM, every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    yield "\ufeff".encode() + buf.getvalue().encode()
    buf.seek(0)
    buf.truncate()
    for n, row in enumerate(rows, start=1):
        w.writerow([neutralise(v) for v in row])
        if n % every == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


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


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
        '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}
#: Characters XML 1.0 cannot carry at all (openpyxl refuses them too); CR is kept as &#13;.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value) -> str:
    text = _XML_ILLEGAL.sub("", "" if value is None else str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def xlsx_text_bytes(title: str, header: list[str], rows: Iterable[Iterable]) -> bytes:
    """One sheet where every cell is a string cell (inline string, never a formula),
    written row by row straight into the zip (a large sheet costs its file size, not a
    cell object per value). Characters XML cannot carry are dropped."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in _XLSX_PARTS.items():
            zf.writestr(name, xml)
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}"'
            f' xmlns:r="{_DOC_RELS}"><sheets><sheet name="{_xml_text(title)[:31]}" sheetId="1"'
            ' r:id="rId1"/></sheets></workbook>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
                f'{_MAIN}"><sheetData>'.encode()
            )
            chunk: list[str] = []
            for n, row in enumerate(itertools.chain([header], rows), start=1):
                chunk.append(
                    "<row>"
                    + "".join(
                        f'<c t="inlineStr"><is><t xml:space="preserve">{_xml_text(v)}</t></is></c>'
                        for v in row
                    )
                    + "</row>"
                )
                if n % 1000 == 0:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return buf.getvalue()


def _text_cell(ws, cell_class, value):
    cell = cell_class(ws, value="" if value is None else str(value))
    cell.data_type = "s"
    return cell
