"""``import_reference(..., dry_run=True)``: the same code as the command, rolled back, with
counts and a sample of the changes; and the command itself unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from openpyxl import Workbook

from core.models import AuditEvent, PublicHoliday
from reference.importer import TableFile, import_reference

DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data"


def csv_file(tmp_path, text, name="file.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.django_db
def test_dry_run_reports_counts_and_sample_and_keeps_nothing(tmp_path):
    PublicHoliday.objects.create(date="2026-12-25", jurisdiction="QLD", name="Xmas")
    audits = AuditEvent.objects.count()
    path = csv_file(
        tmp_path,
        "date,jurisdiction,name\n"
        "2026-12-25,QLD,Christmas Day\n"
        "2026-12-26,QLD,Boxing Day\n"
        "2026-12-28,QLD,Boxing Day (additional day)\n",
    )
    report = import_reference("public-holidays", path, dry_run=True)
    assert report.ok and report.dry_run and not report.applied
    assert report.counts == {"created": 2, "updated": 1, "unchanged": 0}
    (updated,) = report.sample["updated"]
    assert updated["model"] == "public holiday"
    assert updated["changes"] == [{"field": "name", "old": "Xmas", "new": "Christmas Day"}]
    created = report.sample["created"]
    assert [c["object"] for c in created] == [
        "Boxing Day 26/12/2026 (QLD)",
        "Boxing Day (additional day) 28/12/2026 (QLD)",
    ]
    assert {"field": "date", "new": "26/12/2026"} in created[0]["values"]
    # nothing kept: rows, names, audit events
    assert PublicHoliday.objects.count() == 1
    assert PublicHoliday.objects.get().name == "Xmas"
    assert AuditEvent.objects.count() == audits
    assert report.to_dict()["dry_run"] is True
    # the real run gives the counts the dry run announced
    real = import_reference("public-holidays", path)
    assert real.applied and real.counts == report.counts and "dry_run" not in real.to_dict()


@pytest.mark.django_db
def test_dry_run_sample_is_limited(tmp_path):
    rows = "".join(f"2026-01-{d:02d},QLD,Day {d}\n" for d in range(1, 29))
    path = csv_file(tmp_path, "date,jurisdiction,name\n" + rows)
    report = import_reference("public-holidays", path, dry_run=True, sample_size=5)
    assert report.counts["created"] == 28 and len(report.sample["created"]) == 5


@pytest.mark.django_db
def test_dry_run_of_a_raising_kind_masks_account_numbers():
    """pqs_claims kinds raise at the first bad row and audit themselves; the dry run still
    rolls back, and a bank account number never appears in full in the sample."""
    from pqs_claims.models import PqsApproval
    from tests.factories import make_rto

    for code in ("90001", "90002", "90003"):
        make_rto(code=code)
    for kind in ("funding-programs",):
        assert import_reference(kind, DEMO / f"{kind}.csv").applied
    report = import_reference("pqs-approvals", DEMO / "pqs-approvals.csv", dry_run=True)
    assert report.ok and report.counts["created"] >= 2
    text = json.dumps(report.sample)
    with scopes_disabled():
        assert not PqsApproval.objects.exists()
    for row in (DEMO / "pqs-approvals.csv").read_text().splitlines()[1:]:
        account = row.split(",")[7]
        assert account not in text
        assert account[-3:] in text


@pytest.mark.django_db
def test_raising_kind_error_in_dry_run(tmp_path):
    path = csv_file(tmp_path, "postcode,locality,state\n4000,BRISBANE CITY,QLD\n40,X,QLD\n")
    report = import_reference("localities", path, dry_run=True)
    assert not report.ok and report.errors[0].row == 3
    assert "4 digits" in report.errors[0].message


@pytest.mark.django_db
def test_table_file_reads_bytes_like_a_file(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["date", "jurisdiction", "name"])
    ws.append(["2027-01-01", "QLD", "New Year's Day"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_reference("public-holidays", TableFile("h.xlsx", buf.getvalue()))
    assert report.applied and report.file == "h.xlsx" and report.counts["created"] == 1


@pytest.mark.django_db
def test_max_rows_refuses_a_long_file(tmp_path):
    from reference.importer import ReferenceFileError

    rows = "".join(f"2026-01-{d:02d},QLD,Day {d}\n" for d in range(1, 6))
    path = csv_file(tmp_path, "date,jurisdiction,name\n" + rows)
    with pytest.raises(ReferenceFileError, match="has 5 rows; at most 3"):
        import_reference("public-holidays", path, max_rows=3)


@pytest.mark.django_db
def test_command_output_is_unchanged(tmp_path, capsys):
    path = csv_file(tmp_path, "date,jurisdiction,name\n2026-12-25,QLD,Christmas Day\n")
    call_command("import_reference", "public-holidays", str(path), "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "kind": "public-holidays",
        "file": str(path),
        "rows": 1,
        "applied": True,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }


@pytest.mark.django_db
def test_command_dry_run_applies_nothing(tmp_path, capsys):
    path = csv_file(tmp_path, "date,jurisdiction,name\n2026-12-25,QLD,Christmas Day\n")
    call_command("import_reference", "public-holidays", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "nothing applied (dry run)" in out and "1 would be created" in out
    assert not PublicHoliday.objects.exists()
    call_command("import_reference", "public-holidays", str(path), "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert not PublicHoliday.objects.exists()
