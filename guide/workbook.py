"""The NAT file format as a spreadsheet: an Index sheet and one sheet per file, the same
rows as the format pages (``guide.formats``), through the formula-safe writer
(``core.spreadsheets.xlsx_bytes``: every text cell a string, never a formula — notes such as
"=" or "@@" stay text)."""

from __future__ import annotations

from core.spreadsheets import xlsx_bytes

from .formats import FileFormat, file_formats

INDEX_COLUMNS = ["File", "Name", "Fields", "National record length", "Full record length"]
FILE_COLUMNS = [
    "#",
    "Field",
    "AVETMISS name",
    "Start",
    "End",
    "Length",
    "Type",
    "Requirement",
    "Mandatory or optional",
    "Allowed codes",
    "Rules",
    "Notes",
]


def file_rows(ff: FileFormat):
    for f in ff.fields:
        yield [
            f.seq,
            f.name,
            f.label,
            f.start,
            f.end,
            f.length,
            f.type_label,
            f.requirement,
            f.requirement_label,
            "\n".join(f"{code} = {meaning}" for code, meaning in f.codes),
            ", ".join(f.rule_ids),
            f.notes,
        ]


def format_workbook(release: str) -> bytes:
    files = file_formats(release)
    index = [[f.file_id, f.title, len(f.fields), f.national_end, f.width] for f in files]
    sheets = [("Index", INDEX_COLUMNS, index)]
    sheets += [(f.file_id, FILE_COLUMNS, file_rows(f)) for f in files]
    return xlsx_bytes(sheets)
