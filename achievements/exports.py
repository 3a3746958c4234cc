"""Issue reports and the CQR templates as CSV / XLSX (safe writers: core.spreadsheets)."""

from __future__ import annotations

import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.glossary import meaning
from core.spreadsheets import csv_bytes, xlsx_bytes

from .ingest import OUTCOME_CODES
from .template_columns import TEMPLATE_COLUMNS, TEMPLATE_OPTIONAL_COLUMNS, field_label

#: The downloadable template's header: every column an upload may have.
TEMPLATE_HEADER = TEMPLATE_COLUMNS + TEMPLATE_OPTIONAL_COLUMNS

ISSUE_COLUMNS = ["file", "line", "field", "value", "rule", "severity", "message", "hint"]
#: A template upload's report: where in the user's own file (row 1 is the header row).
TEMPLATE_ISSUE_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "message", "hint"]
XLSX_ISSUE_COLUMNS = ["file", "sheet", "row", "column", "value", "rule", "severity", "message",
                      "hint"]  # fmt: skip
TEMPLATE_EXAMPLE = [
    "90001", "C0001", "", "Citizen", "Alex", "2001-05-17", "X", "4000", "BRISBANE CITY",
    "CPC30220", "CPCCWHS2001", "2025-02-03", "2025-03-28", "20", "", "", "", "03",
]  # fmt: skip
TEMPLATE_NOTES = [
    ("One row per unit outcome, plus one row per award (unit columns blank, award_type set).",),
    ("Dates: YYYY-MM-DD or DD/MM/YYYY.",),
    ("award_type: blank, QUALIFICATION or STATEMENT_OF_ATTAINMENT.",),
    ("outcome_code: AVETMISS national outcome (20 competent, 30 not yet competent, 51 RPL, ...).",),
    (
        "usi: the learner's Unique Student Identifier (10 characters); required for training"
        " from 01/01/2015 on (INTOFF / INDIV for the AVETMISS exemptions).",
    ),
    (
        "residential_state: optional AVETMISS state code (01 NSW ... 08 ACT, 09 other"
        " territories, 99 overseas); it must agree with the postcode.",
    ),
    (
        "The Example sheet shows a filled-in row; it is an example only and is refused if"
        " uploaded (rule CQR-14).",
    ),
    ("Enter values only: cells with formulas are refused.",),
]


LEARNER_COLUMNS = [
    "family_name", "given_names", "client_identifier", "usi", "date_of_birth", "unit_outcomes",
]  # fmt: skip
REGISTER_COLUMNS = [
    "family_name", "given_names", "rto_code", "rto_name", "client_identifier", "usi",
    "date_of_birth",
]  # fmt: skip


def _au(d) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def learner_rows(records_with_counts):
    """The learner list as a download: one row per client record, dates DD/MM/YYYY."""
    for cr, n in records_with_counts:
        yield [
            cr.family_name, cr.given_names, cr.client_identifier, cr.unique_student_identifier,
            _au(cr.date_of_birth), n,
        ]  # fmt: skip


def register_rows(records):
    """The department's register search results as a download."""
    for cr in records:
        yield [
            cr.family_name, cr.given_names, cr.rto.code, cr.rto.display_name,
            cr.client_identifier, cr.unique_student_identifier, _au(cr.date_of_birth),
        ]  # fmt: skip


def table_download(fmt: str, name: str, header: list[str], rows):
    """CSV or XLSX of a list the user is looking at (safe writers: core.spreadsheets),
    as an attachment that is not cached."""

    if fmt == "xlsx":
        data = xlsx_bytes([(name.capitalize(), header, rows)])
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, content_type = csv_bytes(header, rows), "text/csv; charset=utf-8"
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    resp["Cache-Control"] = "private, no-store"
    return resp


class IssueSource:
    """How a submission's report says where each issue is.

    A NAT upload: the NAT file, its line and the AVETMISS field, as the engine reports them.
    A CQR template upload (CSV or XLSX): the user's file name (and the sheet read, for
    XLSX), the row of that file and the template column (``template_columns.field_label``:
    ingest stores the column, and an issue stored with a NAT field name is shown by its
    column all the same)."""

    def __init__(self, sub, rule_url=None):
        self.rule_url = rule_url  # rule id -> the address of its page, for downloads
        self.template = sub.source_format in ("csv", "xlsx")
        self.file_name = sub.file_name
        counts = sub.file_counts or {}
        self.sheet = str(counts.get("sheet") or "") if sub.source_format == "xlsx" else ""
        self.line_heading = "Row" if self.template else "Line"
        self.field_heading = "Column" if self.template else "Field"
        if not self.template:
            self.columns = ISSUE_COLUMNS
        else:
            self.columns = XLSX_ISSUE_COLUMNS if self.sheet else TEMPLATE_ISSUE_COLUMNS
        if rule_url is not None:
            self.columns = [*self.columns, "rule_page"]

    def file(self, issue) -> str:
        if self.template and issue.file in ("CSV", "XLSX"):
            return self.file_name
        return issue.file

    def field(self, issue) -> str:
        return field_label(issue.field) if self.template else issue.field

    def where(self, issue) -> str:
        """The file (and sheet) as the page shows it."""
        name = self.file(issue)
        return f"{name}, sheet {self.sheet}" if self.sheet and name == self.file_name else name

    def decorate(self, issues) -> list:
        """The issues with ``where`` and ``column`` set for the report page."""
        out = []
        for i in issues:
            i.where, i.column = self.where(i), self.field(i)
            out.append(i)
        return out

    def rows(self, issues):
        """The issues as download rows under ``self.columns``."""
        for i in issues:
            # line as text, like every other cell of the report (as it has always been)
            place = [self.file(i), *([self.sheet] if self.sheet else []), str(i.line or "")]
            row = [*place, self.field(i), i.value, i.rule, i.severity, i.message, i.hint]
            if self.rule_url is not None:
                row.append(self.rule_url(i.rule))
            yield row


def template_csv() -> bytes:
    """The header only: an example row in the data would be uploaded with it (CQR-14)."""
    return csv_bytes(TEMPLATE_HEADER, [])


# Dropdowns of the Excel template: column -> (allowed codes, glossary code set).
TEMPLATE_CHOICES = {
    "gender": (["M", "F", "X", "@"], "gender"),
    "outcome_code": (sorted(OUTCOME_CODES), "outcome"),
    "award_type": (["QUALIFICATION", "STATEMENT_OF_ATTAINMENT"], ""),
}
AWARD_TYPE_MEANINGS = {
    "QUALIFICATION": "Qualification (testamur)",
    "STATEMENT_OF_ATTAINMENT": "Statement of attainment (some units of a qualification)",
}
TEMPLATE_ROWS_CHECKED = 5000


def _meaning(code: str, kind: str) -> str:

    return meaning(code, kind) if kind else AWARD_TYPE_MEANINGS.get(code, "")


def template_xlsx() -> bytes:
    """The CQR Excel template: the Records sheet, empty but for its header, with dropdowns
    (Excel data validation) for gender, outcome and award type whose prompt says what each
    code means; the example row on its own Example sheet, never in the data (an example
    uploaded with the data is refused: CQR-14); a Notes sheet; a Codes sheet listing every
    allowed value with its meaning.
    Every cell is a string or number cell — never a formula (core.spreadsheets)."""

    wb = Workbook()
    ws = wb.active
    ws.title = "Records"
    _append_text(ws, TEMPLATE_HEADER)
    ws.freeze_panes = "A2"
    for i, name in enumerate(TEMPLATE_HEADER, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 2)
        if name not in TEMPLATE_CHOICES:
            continue
        codes, kind = TEMPLATE_CHOICES[name]
        prompt = "; ".join(f"{c} {_meaning(c, kind)}" for c in codes)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(codes) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"Not a {name} code",
            error="Choose a value from the list (see the Codes sheet).",
            promptTitle=name,
            prompt=prompt[:250],
            showInputMessage=True,
        )
        col = get_column_letter(i)
        dv.add(f"{col}2:{col}{TEMPLATE_ROWS_CHECKED}")
        ws.add_data_validation(dv)
    example = wb.create_sheet("Example")
    _append_text(example, TEMPLATE_HEADER)
    _append_text(example, TEMPLATE_EXAMPLE)
    notes = wb.create_sheet("Notes")
    for (line,) in [
        *TEMPLATE_NOTES,
        ("gender, outcome_code and award_type offer a dropdown; the Codes sheet says what each"
         " value means.",),
    ]:  # fmt: skip
        _append_text(notes, [line])
    notes.column_dimensions["A"].width = 100
    codes_ws = wb.create_sheet("Codes")
    _append_text(codes_ws, ["column", "code", "meaning"])
    for name, (codes, kind) in TEMPLATE_CHOICES.items():
        for c in codes:
            _append_text(codes_ws, [name, c, _meaning(c, kind)])
    for col, width in (("A", 16), ("B", 26), ("C", 70)):
        codes_ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _append_text(ws, values) -> None:
    ws.append(["" if v is None else str(v) for v in values])
    for cell in ws[ws.max_row]:
        cell.data_type = "s"
