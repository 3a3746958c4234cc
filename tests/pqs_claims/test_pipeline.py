"""Claims through the ingest pipeline (issue 10 §1): the register's upload door, stored as
received, validated by the worker task (national rules + the departmental §2 codes that
come from the NAT set: RELATED_RECORD_ERROR, MISSING_SCHOOL_LEVEL), the register's report,
lodgement in the worker, and a PQS reporting once (commit to the register on lodgement)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.test import TestCase
from django_scopes import scope, scopes_disabled

from achievements.models import Submission, SubmissionIssue, UnitOutcome
from avetmiss.writer import write_set
from core.uploads import UploadRejected
from pqs_claims import engine, services
from pqs_claims.models import ClaimLine, ClaimSubmission, PaymentBatchChunk, PaymentLine
from pqs_claims.sample import claim_files, claim_zip
from tests.pqs_claims import oracle
from tests.pqs_claims.conftest import nguyen_claim

UNITS = ("CPCCWHS2001", "CPCCOM1012", "CPCCOM1014")


def files_zip(files) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "claim.zip"
        write_set(target, files)
        return target.read_bytes()


def nguyen_files(**client_fields):
    files = claim_files(nguyen_claim(UNITS))
    files["NAT00080"][0].update(client_fields)
    return files


def create(rto, actor, data: bytes, name="claim.zip", **kw):
    """Upload as the page does: on-commit callbacks (the queued task) run eagerly."""
    with scope(rto=rto.pk), TestCase.captureOnCommitCallbacks(execute=True):
        sub, _ = services.claim_submission_create(
            rto=rto, actor=actor, file_name=name, fh=io.BytesIO(data), size=len(data),
            collection_year=2026, **kw,
        )  # fmt: skip
    sub.refresh_from_db()
    return sub


def lines(sub) -> list[ClaimLine]:
    with scopes_disabled():
        return list(ClaimLine.objects.filter(submission__source=sub).order_by("line_number"))


def test_claim_is_stored_as_received_and_validated_by_the_ingest_task(pqs):
    data = claim_zip(nguyen_claim(UNITS))
    sub = create(pqs.rto1, pqs.staff1, data)
    assert (sub.kind, sub.status, sub.interim) == ("claim", "validated", True)
    with scopes_disabled():
        claim = ClaimSubmission.objects.get(source=sub)
        assert sub.file.open("rb").read() == data and len(sub.sha256) == 64
    assert claim.public_id == sub.public_id and claim.file.name == sub.file.name
    assert (claim.line_count, claim.valid_lines, claim.invalid_lines) == (3, 3, 0)
    assert str(claim.estimate) == "1237.50"  # 3 × 11000/32 × 1.20 (LONGREACH)
    # the same bytes again: the same submission, nothing validated twice
    assert create(pqs.rto1, pqs.staff1, data).pk == sub.pk
    with scopes_disabled():
        assert ClaimLine.objects.count() == 3


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("claim.zip", b"not a zip at all", "not a zip"),
        ("claim.zip", "zip-traversal", "climbs out"),
        ("claim.zip", "zip-nested", "zip"),
    ],
)
def test_claim_upload_passes_the_register_door(pqs, name, data, reason):
    if data == "zip-traversal":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("../../etc/NAT00120.txt", b"x")
        data = buf.getvalue()
    elif data == "zip-nested":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("inner.zip", claim_zip(nguyen_claim()))
        data = buf.getvalue()
    with pytest.raises(UploadRejected) as exc, scope(rto=pqs.rto1.pk):
        services.claim_submission_create(
            rto=pqs.rto1, actor=pqs.staff1, file_name=name, fh=io.BytesIO(data), size=len(data)
        )
    assert reason in exc.value.message
    with scopes_disabled():
        assert not Submission.objects.exists() and not ClaimSubmission.objects.exists()


def test_an_invalid_usi_makes_every_line_of_its_client_invalid(pqs):
    """Reproduced: a client with USI 123456 had all three of its lines marked payable."""
    sub = create(pqs.rto1, pqs.staff1, files_zip(nguyen_files(unique_student_identifier="123456")))
    got = lines(sub)
    assert len(got) == 3
    for ln in got:
        assert ln.national_errors == []  # its own NAT00120 row is fine…
        assert ln.related_errors  # …its client's NAT00080 row is not
        assert "RELATED_RECORD_ERROR" in ln.validation_codes and ln.amount_estimate is None
    rules = set(got[0].related_errors)
    with scopes_disabled():
        client_rules = set(
            SubmissionIssue.objects.filter(submission=sub, file="NAT00080", severity="error")
            .exclude(rule__startswith="REG-")
            .values_list("rule", flat=True)
        )
        claim = ClaimSubmission.objects.get(source=sub)
    assert rules == client_rules and rules
    assert (claim.valid_lines, claim.invalid_lines) == (0, 3)
    # the batch reasons list the rule ids, on the engine and in the SQL alike
    line = {**engine_line(got[0]), "lodgement_date": None}
    ref = engine.load_reference(rto_ids=[pqs.rto1.pk], deltas={"1234567"})
    assert "RELATED_RECORD_ERROR" in engine.validate_line(line, ref).codes


def engine_line(ln: ClaimLine) -> dict:
    from pqs_claims.pipeline import LINE_COLUMNS

    return {c: getattr(ln, c if c != "rto_id" else "rto_id") for c in LINE_COLUMNS}


def test_a_clean_client_is_not_a_related_record_error(pqs):
    sub = create(pqs.rto1, pqs.staff1, files_zip(nguyen_files()))
    assert all(
        ln.related_errors == [] and ln.validation_codes == [] and ln.school_level == "10"
        for ln in lines(sub)
    )


def test_an_error_in_the_subject_file_invalidates_only_the_lines_of_that_unit(pqs):
    files = nguyen_files()
    for row in files["NAT00060"]:
        if row["subject_identifier"] == "CPCCOM1012":
            row["vet_flag"] = "Q"  # not Y or N: a national error on NAT00060 (SU-06)
    sub = create(pqs.rto1, pqs.staff1, files_zip(files))
    codes = {ln.subject_identifier: ln.validation_codes for ln in lines(sub)}
    assert "RELATED_RECORD_ERROR" in codes["CPCCOM1012"]
    assert codes["CPCCWHS2001"] == [] and codes["CPCCOM1014"] == []


@pytest.mark.parametrize("level,invalid", [("@@", True), ("10", False), ("12", False)])
def test_missing_school_level(pqs, level, invalid):
    sub = create(
        pqs.rto1,
        pqs.staff1,
        files_zip(nguyen_files(highest_school_level_completed_identifier=level)),
    )
    for ln in lines(sub):
        assert ("MISSING_SCHOOL_LEVEL" in ln.validation_codes) is invalid
        assert ln.school_level == level


def test_departmental_codes_are_issues_of_the_report_in_words(pqs):
    claim = nguyen_claim(UNITS)
    claim.lines[1].supplier_number = "WRONG"
    sub = create(pqs.rto1, pqs.staff1, claim_zip(claim))
    with scopes_disabled():
        issue = SubmissionIssue.objects.get(submission=sub, rule="WRONG_SUPPLIER_NUMBER")
        sub.refresh_from_db()
    assert issue.severity == "error" and issue.file == "NAT00120" and issue.line == 2
    assert issue.message.startswith("The purchasing contract identifier is not the supplier")
    assert "supplier number" in issue.hint and issue.record_key
    assert sub.errors_count >= 1  # the report's counts include them
    # the claim page: the register's report with the code and its meaning in words
    from django.test import Client
    from django.urls import reverse

    c = Client()
    c.force_login(pqs.staff1)
    page = c.get(reverse("claims:submission", args=[pqs.rto1.code, sub.public_id]))
    text = page.content.decode()
    assert page.status_code == 200 and "Issues by rule" in text
    assert "Departmental codes in this claim" in text
    assert "The purchasing contract identifier is not the supplier number" in text
    filtered = c.get(page.request["PATH_INFO"], {"rule": "WRONG_SUPPLIER_NUMBER"})
    assert "1 issue match" in filtered.content.decode()
    url = reverse("achievements:submission_issues", args=[pqs.rto1.code, sub.public_id, "csv"])
    csv_text = c.get(url).content.decode()
    assert "WRONG_SUPPLIER_NUMBER" in csv_text and "supplier number" in csv_text


def test_lodgement_runs_in_the_worker_once_and_commits_the_records(pqs):
    sub = create(pqs.rto1, pqs.staff1, claim_zip(nguyen_claim(UNITS)))
    assert sub.commit_records  # default on: a PQS reports once
    with scope(rto=pqs.rto1.pk), TestCase.captureOnCommitCallbacks() as queued:
        sub = services.claim_submission_request_lodge(submission=sub, actor=pqs.staff1)
        assert sub.status == "lodging"
        again = services.claim_submission_request_lodge(submission=sub, actor=pqs.staff1)
        assert again.status == "lodging"
    assert len(queued) == 1
    queued[0]()
    sub.refresh_from_db()
    with scopes_disabled():
        claim = ClaimSubmission.objects.get(source=sub)
        assert sub.status == "lodged" and claim.status == "lodged"
        assert ClaimLine.objects.filter(submission=claim, status="lodged").count() == 3
        assert UnitOutcome.objects.filter(rto=pqs.rto1).count() == 3
        assert sub.committed_count == 3
    # the task delivered again: nothing lodged twice
    from pqs_claims.tasks import submission_lodge_task

    submission_lodge_task.delay(sub.pk, rto_id=sub.rto_id)
    with scopes_disabled():
        assert ClaimLine.objects.filter(status="lodged").count() == 3
        assert UnitOutcome.objects.filter(rto=pqs.rto1).count() == 3


def test_claim_only_leaves_the_register_alone(pqs):
    sub = create(pqs.rto1, pqs.staff1, claim_zip(nguyen_claim(UNITS)), commit_records=False)
    with scope(rto=pqs.rto1.pk), TestCase.captureOnCommitCallbacks(execute=True):
        services.claim_submission_request_lodge(submission=sub, actor=pqs.staff1)
    sub.refresh_from_db()
    with scopes_disabled():
        assert sub.status == "lodged" and not UnitOutcome.objects.exists()


def test_batch_and_engine_refuse_lines_with_related_errors_or_no_school_level(pqs):
    """The batch sees the codes stored on the claim line, in the SQL and in the engine."""
    import datetime as dt

    claim = services.claim_submission_load(
        rto=pqs.rto1,
        actor=pqs.staff1,
        data=claim_zip(nguyen_claim(UNITS)),
        collection_year=2026,
    )
    when = dt.datetime(2026, 10, 12, 10, tzinfo=services.BRISBANE)
    services.claim_submission_lodge(submission=claim, actor=pqs.staff1, at=when)
    with scopes_disabled():
        a, b, _c = ClaimLine.objects.filter(submission=claim).order_by("line_number")
        # lodged lines are immutable in their claim fields; these two are what the NAT set
        # said at validation time (set here to exercise the batch rules directly)
        ClaimLine.objects.filter(pk=a.pk).update(related_errors=["USI-01"])
        ClaimLine.objects.filter(pk=b.pk).update(school_level="@@")
    results = {}
    for method in ("sql", "python"):
        batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
        with scopes_disabled():
            for chunk in PaymentBatchChunk.objects.filter(batch=batch):
                PaymentBatchChunk.objects.filter(pk=chunk.pk).update(status="pending")
                oracle.chunk_calculate(chunk.pk, method=method)
            results[method] = {
                p.subject_identifier: (p.status, p.reasons, p.amount)
                for p in PaymentLine.objects.filter(batch=batch)
            }
    assert results["sql"] == results["python"]
    got = results["sql"]
    assert got[a.subject_identifier][0] == "INVALID"
    assert "RELATED_RECORD_ERROR" in got[a.subject_identifier][1]
    assert "AVETMISS:USI-01" in got[a.subject_identifier][1]
    assert got[b.subject_identifier][0] == "INVALID"
    assert "MISSING_SCHOOL_LEVEL" in got[b.subject_identifier][1]
    assert got[_c.subject_identifier][0] == "PAID"


def test_claim_submission_upload_command_lodges_through_the_pipeline(pqs, tmp_path):
    import json

    from django.core.management import call_command

    path = tmp_path / "claim.zip"
    path.write_bytes(claim_zip(nguyen_claim(UNITS)))
    out = io.StringIO()
    call_command(
        "submission_upload", str(path), rto=pqs.rto1.code, kind="claim", lodge=True,
        collection_year=2026, json=True, stdout=out, commit=False,
    )  # fmt: skip
    doc = json.loads(out.getvalue())
    assert doc["status"] == "lodged" and doc["valid_lines"] == 3 and doc["estimate"] == "1237.50"
    with scopes_disabled():
        assert not UnitOutcome.objects.exists()


def test_a_claim_page_redirect_from_the_register_and_progress_partial(pqs):
    from django.test import Client
    from django.urls import reverse

    c = Client()
    c.force_login(pqs.staff1)
    data = claim_zip(nguyen_claim(UNITS))
    with scope(rto=pqs.rto1.pk), TestCase.captureOnCommitCallbacks():
        sub, _ = services.claim_submission_create(
            rto=pqs.rto1, actor=pqs.staff1, file_name="c.zip", fh=io.BytesIO(data),
            size=len(data), collection_year=2026,
        )  # fmt: skip
    url = reverse("achievements:submission_detail", args=[pqs.rto1.code, sub.public_id])
    resp = c.get(url)
    assert resp.status_code == 302 and "/claims/" in resp["Location"]
    part = c.get(url + "?part=progress", HTTP_HX_REQUEST="true")
    assert part.status_code == 200 and b"Received" in part.content
    assert c.get(reverse("claims:index", args=[pqs.rto1.code])).status_code == 200


def test_scale_claims_are_valid(pqs):
    """The generator of the worker-kill test and bench/claim_ingest.py makes valid claims."""
    import datetime as dt

    from django.utils import timezone

    from pqs_claims.sample import scale_claim, scale_reference

    with scopes_disabled():
        rtos = scale_reference(2, 20)
    end = timezone.localdate() - dt.timedelta(days=10)
    claim = services.claim_submission_load(
        rto=rtos[1], actor=None, data=claim_zip(scale_claim(1, 2, 95, 20, end)),
        collection_year=end.year,
    )  # fmt: skip
    assert (claim.line_count, claim.valid_lines, claim.invalid_lines) == (95, 95, 0)
    with scopes_disabled():
        assert not SubmissionIssue.objects.filter(submission=claim.source, severity="error")


def test_the_sweep_finishes_a_claim_left_lodging_by_a_dead_worker(pqs):
    import datetime as dt

    from django.utils import timezone

    from achievements.services import submissions_restart_stalled

    sub = create(pqs.rto1, pqs.staff1, claim_zip(nguyen_claim(UNITS)))
    with scopes_disabled():  # as a worker killed mid-lodgement leaves it (nothing lodged)
        Submission.objects.filter(pk=sub.pk).update(
            status="lodging", updated_at=timezone.now() - dt.timedelta(minutes=30)
        )
    assert [s.pk for s in submissions_restart_stalled()] == [sub.pk]
    sub.refresh_from_db()
    with scopes_disabled():
        assert sub.status == "lodged"
        assert ClaimLine.objects.filter(status="lodged").count() == 3
        assert UnitOutcome.objects.filter(rto=pqs.rto1).count() == 3
    assert submissions_restart_stalled() == []


def test_the_sweep_gives_up_on_a_lodgement_restarted_too_often(pqs):
    """A lodgement that died MAX_ATTEMPTS times ends failed with a message, like the
    register's own work (core.leases.restart_stalled), and nothing is lodged."""
    import datetime as dt

    from django.utils import timezone

    from achievements.services import submissions_restart_stalled
    from core.leases import MAX_ATTEMPTS

    sub = create(pqs.rto1, pqs.staff1, claim_zip(nguyen_claim(UNITS)))
    with scopes_disabled():
        Submission.objects.filter(pk=sub.pk).update(
            status="lodging",
            attempts=MAX_ATTEMPTS,
            updated_at=timezone.now() - dt.timedelta(minutes=30),
        )
    assert submissions_restart_stalled() == []
    sub.refresh_from_db()
    assert sub.status == "failed"
    assert sub.rejected_reason.startswith("The lodgement was restarted")
    with scopes_disabled():
        assert not ClaimLine.objects.filter(status="lodged").exists()
