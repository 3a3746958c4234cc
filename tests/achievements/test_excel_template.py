"""The Excel template offers dropdowns (data validation) with the codes' meanings, a Notes
sheet and a Codes sheet, and a filled-in copy still passes the upload door (issue 13)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from achievements.exports import TEMPLATE_EXAMPLE, TEMPLATE_HEADER, template_xlsx
from achievements.ingest import template_rows
from core.uploads import inspect_upload


def _validations(ws) -> dict[str, str]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        col = str(dv.sqref).split(":")[0].rstrip("0123456789")
        out[ws.cell(row=1, column=ws[col + "1"].column).value] = dv
    return out


def test_template_has_dropdowns_with_meanings_and_a_codes_sheet():
    wb = load_workbook(io.BytesIO(template_xlsx()))
    assert wb.sheetnames == ["Records", "Example", "Notes", "Codes"]
    ws = wb["Records"]
    dvs = _validations(ws)
    assert set(dvs) == {"gender", "outcome_code", "award_type"}
    assert dvs["outcome_code"].type == "list"
    assert dvs["outcome_code"].formula1 == '"20,30,40,41,51,52,60,61,70,81,82,85"'
    assert "20 Competency achieved / pass" in dvs["outcome_code"].prompt
    assert dvs["award_type"].formula1 == '"QUALIFICATION,STATEMENT_OF_ATTAINMENT"'
    codes = [tuple(r) for r in wb["Codes"].iter_rows(values_only=True)]
    assert ("outcome_code", "51", "Recognition of prior learning granted") in codes
    assert ("gender", "X", "Non-binary / other") in codes
    notes = [r[0] for r in wb["Notes"].iter_rows(values_only=True)]
    assert any("dropdown" in n for n in notes)


def test_template_reads_back_as_header_only_and_passes_the_door():
    """The data sheet is read; it holds the header and no example row (CQR-14), which
    lives on the Example sheet."""
    data = template_xlsx()
    rows = list(template_rows(data, "xlsx"))
    assert rows == [TEMPLATE_HEADER]
    example = [
        list(r) for r in load_workbook(io.BytesIO(data))["Example"].iter_rows(values_only=True)
    ]
    assert [v or "" for v in example[1]] == TEMPLATE_EXAMPLE
    assert inspect_upload("cqr-template.xlsx", io.BytesIO(data), len(data)) == "xlsx"
