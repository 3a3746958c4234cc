"""register_export (interfaces.md §6): NAT 8.0 set from the register; the round trip changes
nothing; submission_upload --kind claim goes to the claims service."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from achievements.models import Award, Submission, UnitOutcome
from achievements.services import submission_commit
from avetmiss.layouts import get_layout
from core.uploads import bundle_nat_files
from students.models import ClientRecord
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db


def _versions() -> int:
    with scopes_disabled():
        return (
            UnitOutcome.pgh_event_model.objects.count()
            + Award.pgh_event_model.objects.count()
            + ClientRecord.pgh_event_model.objects.count()
        )


def _committed_set(world):
    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert sub.records_with_errors == 0
    with scopes_disabled():
        sub = submission_commit(sub.pk, actor=world.data_a.user)
    return files, sub


def test_export_round_trip_changes_nothing(world, tmp_path, capsys):
    files, sub = _committed_set(world)
    out = tmp_path / "export"
    call_command("register_export", rto=world.rto_a.code, out=str(out), json=True)
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"]["NAT00120"] == len(files["NAT00120"]) == 50
    assert doc["files"]["NAT00080"] == 10
    assert doc["files"]["NAT00130"] == len(files["NAT00130"])
    # fixed width + CR LF, as the writer lays them out
    for name in ("NAT00080", "NAT00120", "NAT00130"):
        raw = (out / f"{name}.txt").read_bytes()
        lines = raw.split(b"\r\n")
        assert lines[-1] == b"" and b"\n" not in raw.replace(b"\r\n", b"")
        width = get_layout("8.0", name).fields[-1].end
        assert {len(line) for line in lines[:-1]} == {width}
    before = _versions()
    with scopes_disabled():
        counts = (UnitOutcome.objects.count(), Award.objects.count(), ClientRecord.objects.count())
    data = bundle_nat_files([(p.name, p.read_bytes()) for p in sorted(out.iterdir())])
    again = upload(world.rto_a, data, "export.zip", actor=world.data_a.user)
    assert again.pk != sub.pk
    assert again.status == Submission.Status.VALIDATED
    from achievements.models import SubmissionIssue

    with scopes_disabled():
        probs = list(
            SubmissionIssue.objects.filter(submission=again, severity="error").values_list(
                "file", "line", "field", "rule", "message"
            )[:8]
        )
    assert again.records_with_errors == 0, probs
    with scopes_disabled():
        again = submission_commit(again.pk, actor=world.data_a.user)
        s = again.commit_summary
        assert s["outcomes"] == {"inserted": 0, "updated": 0}, s
        assert s["awards"] == {"inserted": 0, "updated": 0}, s
        assert s["clients"] == {"inserted": 0, "updated": 0}, s
        assert s["learners"] == {"inserted": 0}, s
        assert (
            UnitOutcome.objects.count(),
            Award.objects.count(),
            ClientRecord.objects.count(),
        ) == counts
    assert _versions() == before


def test_export_year_filter_and_set_based_reads(world, tmp_path):
    _committed_set(world)
    from achievements.nat_export import export_register

    with CaptureQueriesContext(connection) as ctx:
        counts = export_register(world.rto_a, tmp_path / "y.zip", year=2024)
    assert counts["NAT00120"] == 50
    assert len(ctx.captured_queries) <= 15  # one query per file, never one per row
    assert export_register(world.rto_a, tmp_path / "none", year=1999)["NAT00120"] == 0
    # RTO B has nothing
    assert export_register(world.rto_b, tmp_path / "b")["NAT00120"] == 0


def test_register_export_unknown_rto(tmp_path, db):
    with pytest.raises(SystemExit) as exc:
        call_command("register_export", rto="NOPE", out=str(tmp_path))
    assert exc.value.code == 2


def test_submission_upload_kind_claim_lodges(tmp_path, capsys, db):
    from pqs_claims.models import ClaimSubmission
    from pqs_claims.sample import claim_zip
    from tests.pqs_claims.conftest import make_pqs, nguyen_claim

    pqs = make_pqs()
    path = tmp_path / "claim.zip"
    path.write_bytes(claim_zip(nguyen_claim(units=("CPCCWHS2001", "CPCCOM1012"))))
    call_command(
        "submission_upload",
        str(path),
        rto=pqs.rto1.code,
        kind="claim",
        lodge=True,
        json=True,
        collection_year=2026,
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "lodged", doc
    assert doc["valid_lines"] == 2 and doc["invalid_lines"] == 0
    with scopes_disabled():
        sub = ClaimSubmission.objects.get(public_id=doc["submission"])
        assert sub.rto_id == pqs.rto1.pk and sub.status == ClaimSubmission.Status.LODGED
        # a PQS reports once: by default its claim's records went into the register too
        assert UnitOutcome.objects.filter(rto=pqs.rto1).count() == 2


def test_journey_through_submission_upload_command(world, tmp_path, capsys):
    """Issue 4: the same journey through ``manage.py submission_upload --wait --commit
    --json``: 3 errors among 50 records → 47 in; the fixed file → the other 3 in."""
    from tests.e2e.test_register_journey import _break, _fifty

    good = _fifty(world.rto_a.code)
    load_products(good)
    bad_path, good_path = tmp_path / "june.zip", tmp_path / "june-fixed.zip"
    bad_path.write_bytes(zip_bytes(_break(_fifty(world.rto_a.code))))
    good_path.write_bytes(zip_bytes(good))
    args = {"rto": world.rto_a.code, "wait": True, "commit": True, "json": True}
    with pytest.raises(SystemExit) as exc:
        call_command("submission_upload", str(bad_path), collection_year=2024, **args)
    assert exc.value.code == 1  # errors found; the clean records went in
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "committed" and doc["records"] == 50
    assert doc["records_with_errors"] == 3 and doc["committed"] == 47
    call_command("submission_upload", str(good_path), collection_year=2024, **args)
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "committed" and doc["errors"] == 0
    assert doc["commit_summary"]["outcomes"] == {"inserted": 3, "updated": 0}
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 50
