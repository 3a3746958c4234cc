"""Issue reports and the CQR templates as CSV / XLSX (safe writers: core.spreadsheets)."""

from __future__ import annotations

from core.spreadsheets import csv_bytes, xlsx_bytes

from .ingest import TEMPLATE_COLUMNS, TEMPLATE_OPTIONAL_COLUMNS

#: The downloadable template's header: every column an upload may have.
TEMPLATE_HEADER = TEMPLATE_COLUMNS + TEMPLATE_OPTIONAL_COLUMNS

ISSUE_COLUMNS = ["file", "line", "field", "value", "rule", "severity", "message", "hint"]
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


def issue_rows(issues):
    for i in issues:
        # line as text, like every other cell of the report (as it has always been)
        yield [i.file, str(i.line or ""), i.field, i.value, i.rule, i.severity, i.message, i.hint]


def template_csv() -> bytes:
    """The header only: an example row in the data would be uploaded with it (CQR-14)."""
    return csv_bytes(TEMPLATE_HEADER, [])


def template_xlsx() -> bytes:
    """Data sheet first and empty; the example row lives on its own sheet."""
    return xlsx_bytes(
        [
            ("Records", TEMPLATE_HEADER, []),
            ("Example", TEMPLATE_HEADER, [TEMPLATE_EXAMPLE]),
            ("Notes", None, TEMPLATE_NOTES),
        ]
    )
