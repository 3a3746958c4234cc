"""Codes speak words (issue 13): a submission's report names the column and the row of the
user's own file when it was a CQR template, and keeps NAT file / line / field for NAT files;
every issue says how to fix it."""

from __future__ import annotations

import csv
import inspect
import io
import re

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from achievements import ingest, template_columns
from achievements.models import (
    StagedAward,
    StagedClient,
    StagedOutcome,
    SubmissionIssue,
    TrainingProduct,
)
from avetmiss import fix_hints, plausible, usi_check_character
from avetmiss.layouts import get_layout
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db

HEADER = ",".join(template_columns.TEMPLATE_COLUMNS + template_columns.TEMPLATE_OPTIONAL_COLUMNS)
USI = "23456789B" + usi_check_character("23456789B")


@pytest.fixture
def products(db):
    with scopes_disabled():
        for code, kind in (("CPC30220", "QUALIFICATION"), ("CPCCWHS2001", "UNIT")):
            TrainingProduct.objects.create(code=code, type=kind, title=code)


def _row(rto, cid="C1", unit="CPCCWHS2001", gender="F") -> str:
    return (
        f"{rto.code},{cid},{USI},Nguyen,Mai,2000-01-02,{gender},4000,BRISBANE CITY,CPC30220,"
        f"{unit},2024-01-01,2024-06-01,20,,,,03"
    )


def _csv_upload(world, *rows, name="my-learners.csv"):
    sub = upload(world.rto_a, ("\n".join((HEADER, *rows)) + "\n").encode(), name)
    assert sub.status == "validated", sub.rejected_reason
    return sub


def _page(client, world, sub, **query):
    url = reverse(
        "achievements:submission_detail",
        kwargs={"rto_code": world.rto_a.code, "public_id": sub.public_id},
    )
    r = client.get(url, query)
    assert r.status_code == 200
    return r


def _download(client, world, sub, fmt="csv"):
    url = reverse(
        "achievements:submission_issues",
        kwargs={"rto_code": world.rto_a.code, "public_id": sub.public_id, "fmt": fmt},
    )
    r = client.get(url)
    assert r.status_code == 200
    return r


def _csv_rows(resp) -> list[dict]:
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def _cells(html: str, rule: str) -> list[list[str]]:
    """The cells of the report's issue rows of ``rule`` (tags stripped)."""
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        if len(cells) == 6 and rule in cells[4]:
            out.append(cells)
    return out


# ---------------------------------------------------------------------------- template uploads


def test_csv_template_bad_unit_code_names_the_column_and_the_users_row(world, client_for, products):
    """REG-01 reports the staged NAT field subject_identifier; a template user reads
    unit_code and the row of their own file (row 3: header, a good row, the bad row)."""
    sub = _csv_upload(
        world, _row(world.rto_a), _row(world.rto_a, cid="C2", unit="NOTAUNIT1"), name="term2.csv"
    )
    with scopes_disabled():
        issue = SubmissionIssue.objects.get(submission=sub, rule="REG-01")
    assert (issue.file, issue.line, issue.field, issue.value) == (
        "CSV",
        3,
        "unit_code",
        "NOTAUNIT1",
    )
    hint = next(r.hint for r in ingest.register_rules.RULES if r.id == "REG-01")
    assert issue.hint == hint

    r = _page(client_for("data_a"), world, sub)
    html = r.content.decode()
    assert '<th scope="col">Row</th><th scope="col">Column</th>' in html
    assert "subject_identifier" not in html
    [cells] = _cells(html, "REG-01")
    assert cells[:4] == ["term2.csv", "3", "unit_code", "NOTAUNIT1"]
    assert f"How to fix: {hint}" in cells[5]

    rows = _csv_rows(_download(client_for("data_a"), world, sub))
    assert list(rows[0]) == ["file", "row", "column", "value", "rule", "severity", "message",
                             "hint", "rule_page"]  # fmt: skip
    [row] = [x for x in rows if x["rule"] == "REG-01"]
    assert (row["file"], row["row"], row["column"], row["value"]) == (
        "term2.csv", "3", "unit_code", "NOTAUNIT1"
    )  # fmt: skip
    assert row["hint"] == hint
    assert row["rule_page"] == "http://testserver/guide/rules/REG-01/"  # the rule's own page


def test_csv_template_rules_say_how_to_fix_in_the_templates_words(world, client_for, products):
    """The template's own checks (a unit code too long, a gender code) name the column and
    give the template's hint, not the NAT one."""
    sub = _csv_upload(
        world, _row(world.rto_a, unit="CPCCWHS2001XYZ"), _row(world.rto_a, cid="C2", gender="Q")
    )
    with scopes_disabled():
        got = {
            i.rule: (i.line, i.field, i.hint)
            for i in SubmissionIssue.objects.filter(submission=sub, rule__in=["TA-04", "CL-08"])
        }
    assert got["TA-04"] == (2, "unit_code", ingest.TEMPLATE_HINTS["TA-04"])
    assert got["CL-08"] == (3, "gender", ingest.TEMPLATE_HINTS["CL-08"])
    assert "unit_code" in got["TA-04"][2] and "M, F, X or @" in got["CL-08"][2]


def test_xlsx_template_names_the_sheet_row_and_column(world, client_for, products):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Term 2"
    ws.append(HEADER.split(","))
    ws.append(_row(world.rto_a, unit="NOTAUNIT1").split(","))
    buf = io.BytesIO()
    wb.save(buf)
    sub = upload(world.rto_a, buf.getvalue(), "learners.xlsx")
    assert sub.status == "validated", sub.rejected_reason
    assert sub.source_format == "xlsx" and sub.file_counts["sheet"] == "Term 2"

    [cells] = _cells(_page(client_for("data_a"), world, sub).content.decode(), "REG-01")
    assert cells[:3] == ["learners.xlsx, sheet Term 2", "2", "unit_code"]
    from openpyxl import load_workbook

    got = load_workbook(io.BytesIO(_download(client_for("data_a"), world, sub, "xlsx").content))
    rows = [[c.value for c in r] for r in got.active.iter_rows()]
    assert rows[0][:4] == ["file", "sheet", "row", "column"]
    assert ["learners.xlsx", "Term 2", "2", "unit_code"] in [r[:4] for r in rows]


# ---------------------------------------------------------------------------- NAT uploads


def test_nat_upload_keeps_the_nat_file_line_and_field(world, client_for):
    files = nat_set(rows=6, clients=2, toid=world.rto_a.code)
    load_products(files)
    files["NAT00120"][2]["subject_identifier"] = "NOTAUNIT1"
    files["NAT00080"][0]["gender"] = "Q"  # CL-08: a national rule, with the national hint
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert sub.status == "validated", sub.rejected_reason
    with scopes_disabled():
        reg = SubmissionIssue.objects.get(submission=sub, rule="REG-01")
        gender = SubmissionIssue.objects.get(submission=sub, rule="CL-08")
    assert (reg.file, reg.line, reg.field) == ("NAT00120", 3, "subject_identifier")
    assert (gender.file, gender.line, gender.field) == ("NAT00080", 1, "gender")
    assert gender.hint == fix_hints.hint_for("CL-08") != ingest.TEMPLATE_HINTS["CL-08"]

    html = _page(client_for("data_a"), world, sub).content.decode()
    assert '<th scope="col">Line</th><th scope="col">Field</th>' in html
    [cells] = _cells(html, "REG-01")
    assert cells[:4] == ["NAT00120", "3", "subject_identifier", "NOTAUNIT1"]
    rows = _csv_rows(_download(client_for("data_a"), world, sub))
    assert list(rows[0])[:3] == ["file", "line", "field"]
    [row] = [x for x in rows if x["rule"] == "REG-01"]
    assert (row["file"], row["line"], row["field"]) == ("NAT00120", "3", "subject_identifier")


def test_every_issue_of_a_report_says_how_to_fix_it(world):
    """Whatever a NAT set breaks, the stored issues carry a hint (national, register or
    departmental table)."""
    files = nat_set(rows=20, clients=4, toid=world.rto_a.code)
    files["NAT00120"][1]["subject_identifier"] = "NOTAUNIT1"
    files["NAT00120"][2]["outcome_identifier_national"] = "99"
    files["NAT00080"][1]["date_of_birth"] = "31022001"
    files["NAT00080"][2]["unique_student_identifier"] = "ABC"
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    with scopes_disabled():
        issues = list(SubmissionIssue.objects.filter(submission=sub))
    assert len({i.rule for i in issues}) >= 4
    assert [i.rule for i in issues if not i.hint.strip()] == []


# ---------------------------------------------------------------------------- the one mapping


def test_template_columns_map_to_real_register_fields():
    known = {f.name for fid in ("NAT00010", "NAT00080", "NAT00085", "NAT00120", "NAT00130")
             for f in get_layout("8.0", fid).fields}  # fmt: skip
    known |= {f.column for m in (StagedClient, StagedOutcome, StagedAward)
              for f in m._meta.concrete_fields}  # fmt: skip
    for col in template_columns.COLUMNS:
        assert set(col.nat_fields) <= known, col
    # a column's own name never stands for another column
    for name in template_columns.TEMPLATE_COLUMNS + template_columns.TEMPLATE_OPTIONAL_COLUMNS:
        assert template_columns.NAT_FIELD_COLUMN.get(name, name) == name
    assert ingest.TEMPLATE_COLUMNS == template_columns.TEMPLATE_COLUMNS


@pytest.mark.parametrize(
    "field, label",
    [
        ("subject_identifier", "unit_code"),
        ("program_identifier", "qualification_code"),
        ("unique_student_identifier", "usi"),
        ("parchment_number", "certificate_number"),
        ("outcome_identifier_national", "outcome_code"),
        ("unit_code", "unit_code"),
        ("record", "(whole row)"),
        ("", ""),
    ],
)
def test_field_label_names_the_column(field, label):
    assert template_columns.field_label(field) == label


def test_a_field_without_a_template_column_is_said_in_words():
    label = template_columns.field_label("training_organisation_delivery_location_identifier")
    assert label.startswith("delivery location") and "not in the template" in label
    assert template_columns.field_label(label) == label  # words stay words
    other = template_columns.field_label("study_reason_identifier")
    assert other == "study reason identifier (not in the template)"
    assert all(len(template_columns.field_label(f)) <= 80 for f in template_columns.DERIVED_FIELDS)


def test_messages_name_the_column_in_python_and_in_sql(world):
    message = "subject_identifier X with program_identifier Y; postcode and family_name kept."
    want = "unit_code X with qualification_code Y; postcode and family_name kept."
    assert template_columns.message_with_columns(message) == want
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE _reg_issues (file varchar(20), line int, field varchar(80),"
            " value varchar(200), rule varchar(20), severity varchar(8), message text,"
            " record_key varchar(80))"
        )
        cur.execute(
            "INSERT INTO _reg_issues VALUES ('CSV', 2, 'subject_identifier', 'X', 'REG-01',"
            " 'error', %s, ''), ('CSV', 3, 'unit_code', 'X', 'TA-04', 'error', 'Same.', ''),"
            " ('CSV', 4, 'record', '', 'CQR-01', 'error', 'Row.', '')",
            [message],
        )
        ingest._name_template_columns(cur)
        cur.execute("SELECT field, message FROM _reg_issues ORDER BY line")
        got = cur.fetchall()
        cur.execute("DROP TABLE _reg_issues")
    assert got == [("unit_code", want), ("unit_code", "Same."), ("(whole row)", "Row.")]


def test_every_rule_a_template_upload_can_raise_has_a_template_hint():
    """The rule ids quoted in ``stage_template`` and in the record rules it calls
    (``avetmiss.plausible``)."""
    source = inspect.getsource(ingest.stage_template) + inspect.getsource(plausible)
    ids = set(re.findall(r'"((?:CQR|TO|CL|TA|PC)-\d{2})"', source))
    assert {"CQR-01", "TA-04", "CL-08", "TA-18", "PC-12", "CL-09", "CL-32", "CQR-14"} <= ids
    assert sorted(i for i in ids if not ingest.TEMPLATE_HINTS.get(i, "").strip()) == []
