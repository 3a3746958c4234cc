"""Reference-data templates (issue 13): each kind's CSV and XLSX template has the kind's
exact header and one example row; the XLSX offers the allowed values of coded columns as
dropdowns and on its Notes / Allowed values sheets; uploading a template unchanged passes
the dry run (preview), and a value outside the allowed ones does not."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ReferenceUpload
from core.spreadsheets import csv_bytes
from reference import file_templates
from reference import uploads as reference_uploads
from reference.importer import TableFile, import_reference, kinds
from tests.factories import make_user

KINDS = sorted(kinds())
#: Kinds whose rows refer to rows of these (the programs and the RTO of the examples).
PREREQUISITES = ["funding-programs", "rtos"]


def _xlsx(name: str) -> bytes:
    return file_templates.template_xlsx(kinds()[name])


def _load_prerequisites() -> None:
    for name in PREREQUISITES:
        report = import_reference(name, TableFile(f"{name}.xlsx", _xlsx(name)))
        assert report.ok, report.errors


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_has_an_example_value_for_each_template_column(name):
    kind = kinds()[name]
    assert set(kind.example) == set(kind.template_columns)
    assert set(kind.allowed) <= set(kind.template_columns)


@pytest.mark.parametrize("name", KINDS)
def test_csv_template_header_is_the_kinds_columns_then_one_example_row(name):
    kind = kinds()[name]
    rows = list(csv.reader(io.StringIO(file_templates.template_csv(kind).decode("utf-8-sig"))))
    assert rows[0] == kind.template_columns
    assert rows[0][: len(kind.columns)] == kind.columns  # required first
    assert rows[1:] == [[kind.example[c] for c in kind.template_columns]]


@pytest.mark.parametrize("name", KINDS)
def test_xlsx_template_header_example_dropdowns_and_notes(name):
    kind = kinds()[name]
    wb = load_workbook(io.BytesIO(_xlsx(name)))
    data = wb.worksheets[0]
    rows = [[c if c is not None else "" for c in r] for r in data.iter_rows(values_only=True)]
    assert rows == [kind.template_columns, [kind.example[c] for c in kind.template_columns]]
    notes = [r for r in wb["Notes"].iter_rows(values_only=True)]
    assert ("Column", "Required", "Allowed values") in notes
    dropdowns = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv
        for dv in data.data_validations.dataValidation
    }
    letters = {
        c: data.cell(row=1, column=i + 1).column_letter for i, c in enumerate(kind.template_columns)
    }
    assert set(dropdowns) == {letters[c] for c in kind.allowed}
    for column, allowed in kind.allowed.items():
        sheet = wb["Allowed values"]
        source = [c.value for c in sheet[1]].index(column) + 1
        listed = [sheet.cell(row=r, column=source).value for r in range(2, len(allowed) + 2)]
        assert listed == allowed
        assert dropdowns[letters[column]].type == "list"
        assert kind.example[column] in allowed or not kind.example[column]


@pytest.mark.django_db
@pytest.mark.parametrize("name", KINDS)
def test_the_xlsx_template_uploaded_unchanged_passes_the_preview(name):
    """The whole door: the upload's checks (no formulas, header), then the dry run."""
    _load_prerequisites()
    admin = make_user(department_role="admin")
    upload_file = io.BytesIO(_xlsx(name))
    upload_file.name = f"{name}-template.xlsx"
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload = reference_uploads.reference_upload_create(kind=name, file=upload_file, actor=admin)
    upload.refresh_from_db()
    assert upload.status == ReferenceUpload.Status.READY, upload.preview
    assert upload.rows == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in KINDS if kinds()[n].allowed], ids=lambda n: f"{n}-outside-allowed"
)
def test_a_coded_value_outside_the_allowed_ones_fails_the_dry_run(name):
    _load_prerequisites()
    kind = kinds()[name]
    column = next(iter(kind.allowed))
    bad = dict(kind.example, **{column: "NOT-ALLOWED"})
    data = csv_bytes(kind.template_columns, [[bad[c] for c in kind.template_columns]])
    report = import_reference(name, TableFile(f"{name}.csv", data), dry_run=True)
    assert not report.ok and report.errors[0].row == 2


@pytest.mark.django_db
def test_template_downloads_for_department_users_and_404_for_an_unknown_kind():
    client = Client()
    client.force_login(make_user(department_role="officer"))
    xlsx = client.get(reverse("reference:reference_import_template_xlsx", args=["price-list"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == file_templates.XLSX_TYPE
    assert 'filename="price-list-template.xlsx"' in xlsx["Content-Disposition"]
    csv_resp = client.get(reverse("reference:reference_import_template", args=["price-list"]))
    assert csv_resp.content.decode("utf-8-sig").splitlines()[0] == ",".join(
        kinds()["price-list"].template_columns
    )
    assert client.get("/department/reference-imports/templates/nothing.xlsx").status_code == 404
    page = client.get(reverse("reference:reference_imports"))
    assert "UNITS, POINTS" in page.content.decode()  # the CSV's companion note
