"""Downloadable templates of the reference kinds (issue 13): a file a person fills in and
uploads as it is.

Each template has the kind's exact header (required columns, then optional ones: the
kind's ``template_columns``) and one example row the kind accepts (``Kind.example``), so
that uploading the template unchanged previews cleanly. Coded columns (``Kind.allowed``)
list the values the kind accepts:

* XLSX: the first sheet ("Data", the one the import reads) has the header, the example
  row, a dropdown (list data validation) on each coded column, and every column formatted
  as text, so that postcodes, BSBs and account numbers keep their leading zeros. The
  "Allowed values" sheet holds each coded column's values (the dropdowns' source) and the
  "Notes" sheet says which columns are required and what each coded column accepts.
* CSV: the header and the example row; the import page shows the same notes beside the
  download (:func:`column_notes`).

Both are written with the safe writers' rule (``core.spreadsheets``): every value is a
string cell, never a formula.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheets import csv_bytes

from .importer import Kind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
#: The rows of the Data sheet that carry the dropdowns (an Excel sheet's last row).
LAST_ROW = 1_048_576
DATES = "Dates as DD/MM/YYYY (or YYYY-MM-DD)."


def column_notes(kind: Kind) -> list[dict]:
    """One entry per template column: ``{"column", "required", "allowed"}`` (allowed: the
    accepted values of a coded column, else an empty list)."""
    return [
        {
            "column": column,
            "required": column in kind.columns,
            "allowed": kind.allowed.get(column, []),
        }
        for column in kind.template_columns
    ]


def example_row(kind: Kind) -> list[str]:
    return [kind.example.get(column, "") for column in kind.template_columns]


def template_csv(kind: Kind) -> bytes:
    """The header and the example row (UTF-8 with a BOM, CRLF)."""
    return csv_bytes(kind.template_columns, [example_row(kind)])


def template_xlsx(kind: Kind) -> bytes:
    """Data (header, example row, dropdowns), Notes and Allowed values sheets."""
    wb = Workbook()
    data = wb.active
    data.title = "Data"
    columns = kind.template_columns
    for row_number, values in ((1, columns), (2, example_row(kind))):
        for index, value in enumerate(values, start=1):
            _text(data, row_number, index, value)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = max(12, len(column) + 4)
        data.column_dimensions[letter].number_format = "@"
    data.freeze_panes = "A2"

    notes = wb.create_sheet("Notes")
    for row in _notes_rows(kind):
        notes.append([str(v) for v in row])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 12
    notes.column_dimensions["C"].width = 60

    if kind.allowed:
        values_sheet = wb.create_sheet("Allowed values")
        for source_index, column in enumerate(kind.allowed, start=1):
            allowed = kind.allowed[column]
            _text(values_sheet, 1, source_index, column)
            for offset, value in enumerate(allowed, start=2):
                _text(values_sheet, offset, source_index, value)
            source = get_column_letter(source_index)
            target = get_column_letter(columns.index(column) + 1)
            validation = DataValidation(
                type="list",
                formula1=f"'Allowed values'!${source}$2:${source}${len(allowed) + 1}",
                allow_blank=column not in kind.columns,
                showErrorMessage=True,
                errorTitle=f"Not a {column} value",
                error=f"{column} is one of: {', '.join(allowed)}"[:255],
            )
            validation.add(f"{target}2:{target}{LAST_ROW}")
            data.add_data_validation(validation)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(ws, row: int, column: int, value) -> None:
    cell = ws.cell(row=row, column=column)
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.number_format = "@"


def _notes_rows(kind: Kind):
    yield ("Kind", kind.name, kind.description)
    yield ("", "", "Fill in the Data sheet (the first sheet) below its header row; row 2")
    yield ("", "", "is an example: replace it. Values only (formulas are refused).")
    yield ("", "", DATES)
    yield ()
    yield ("Column", "Required", "Allowed values")
    for note in column_notes(kind):
        yield (note["column"], "yes" if note["required"] else "no", ", ".join(note["allowed"]))
