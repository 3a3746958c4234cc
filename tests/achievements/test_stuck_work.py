"""Issue 12, finding 3: nothing stays "validating" for ever.

A NUL byte in a zipped NAT file is refused at the door, as in a loose file; one that got
past the door (stored before the check existed) is reported, not a DataError; any task
error ends the submission ``failed`` with a message; the stalled-work sweeps give up after
``core.leases.MAX_ATTEMPTS`` restarts, with a message and an audit event.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements import ingest
from achievements.models import Submission, SubmissionIssue
from achievements.services import submissions_restart_stalled
from core.audit import audit_verify
from core.leases import MAX_ATTEMPTS
from core.models import AuditEvent
from core.uploads import UploadRejected
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db
S = Submission.Status


def _with_nul(data: bytes, member: str = "NAT00120") -> bytes:
    """The zip again with one NUL byte in the second line of ``member``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if member in name:
                at = body.index(b"\n") + 31
                body = body[:at] + b"\x00" + body[at + 1 :]
            dst.writestr(name, body)
    return out.getvalue()


@pytest.fixture
def good(world):
    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    return zip_bytes(files)


def test_nul_in_a_zipped_nat_file_is_refused_at_the_door(world, good):
    with pytest.raises(UploadRejected) as exc:
        upload(world.rto_a, _with_nul(good), actor=world.data_a.user)
    assert "NAT00120.txt line 2 column 31 has a NUL byte" in exc.value.message
    with scopes_disabled():
        assert not Submission.objects.filter(rto=world.rto_a).exists()  # nothing stored


def test_nul_in_a_loose_nat_file_is_refused_at_the_door(world):
    from achievements.services import submission_create_from_nat_files

    with pytest.raises(UploadRejected, match=r"NAT00120\.txt line 1 column 4 has a NUL byte"):
        submission_create_from_nat_files(
            rto=world.rto_a, actor=None, files=[("NAT00120.txt", b"abc\x00def\r\n")]
        )


def test_stored_file_with_a_nul_is_reported_not_stuck(world, good, monkeypatch):
    """A file stored before the door checked members (or by any other way in) validates
    with an FMT-04 error on that line; it used to fail with psycopg.DataError for ever."""
    monkeypatch.setattr("achievements.services.submissions.inspect_upload", lambda *a, **k: "nat")
    sub = upload(world.rto_a, _with_nul(good), actor=world.data_a.user)
    assert sub.status == S.VALIDATED, sub.rejected_reason
    with scopes_disabled():
        issue = SubmissionIssue.objects.get(submission=sub, rule="FMT-04")
    assert issue.line == 2 and "NUL byte" in issue.message and "\u2400" in issue.value


def test_any_validation_error_ends_failed_with_a_message(world, good, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest, "apply_register_rules", boom)
    sub = upload(world.rto_a, good, actor=world.data_a.user)
    assert sub.status == S.FAILED
    assert "The validation stopped: an unexpected error (RuntimeError)" in sub.rejected_reason
    assert "Upload the same file again" in sub.rejected_reason
    assert AuditEvent.objects.filter(action="submission.failed", object_id=sub.public_id).exists()
    # the same bytes again start it afresh (and now it works)
    monkeypatch.undo()
    again = upload(world.rto_a, good, actor=world.data_a.user)
    assert again.pk == sub.pk and again.status == S.VALIDATED and again.rejected_reason == ""


def test_a_commit_error_ends_failed_and_nothing_is_committed(world, good, monkeypatch):
    from django.test import TestCase
    from django_scopes import scope

    from achievements.models import UnitOutcome
    from achievements.services import submission_request_commit

    sub = upload(world.rto_a, good, actor=world.data_a.user)

    def boom(*a, **k):
        raise RuntimeError("lost the connection")

    monkeypatch.setattr("achievements.services.commit._commit_sql", boom)
    with scope(rto=world.rto_a.pk), TestCase.captureOnCommitCallbacks(execute=True):
        submission_request_commit(sub, actor=world.data_a.user)
    sub.refresh_from_db()
    assert sub.status == S.FAILED
    assert "The commit stopped" in sub.rejected_reason
    assert "Nothing was committed" in sub.rejected_reason
    with scopes_disabled():
        assert not UnitOutcome.objects.filter(rto=world.rto_a).exists()


def _stall(sub, status=S.VALIDATING):
    with scopes_disabled():
        Submission.objects.filter(pk=sub.pk).update(
            status=status, updated_at=timezone.now() - dt.timedelta(minutes=30)
        )


def test_sweep_gives_up_after_max_attempts_and_says_so(world, good, monkeypatch):
    from achievements import tasks

    sub = upload(world.rto_a, good, actor=world.data_a.user)
    queued = []
    # a worker that dies every time: the task is queued but never runs
    monkeypatch.setattr(tasks.submission_validate_task, "delay", lambda *a, **k: queued.append(a))
    for n in range(1, MAX_ATTEMPTS + 1):
        _stall(sub)
        assert [s.pk for s in submissions_restart_stalled()] == [sub.pk]
        sub.refresh_from_db()
        assert sub.attempts == n and sub.status == S.VALIDATING
    _stall(sub)
    assert submissions_restart_stalled() == []  # gave up: nothing queued
    assert len(queued) == MAX_ATTEMPTS
    sub.refresh_from_db()
    assert sub.status == S.FAILED
    assert f"restarted {MAX_ATTEMPTS} times" in sub.rejected_reason
    assert "Nothing from this file went into the register" in sub.rejected_reason
    event = AuditEvent.objects.get(action="submission.gave_up", object_id=sub.public_id)
    assert event.summary["attempts"] == MAX_ATTEMPTS and event.summary["was"] == "validating"
    assert audit_verify().ok
    _stall(sub, S.FAILED)
    assert submissions_restart_stalled() == []  # a failed submission is not swept


def test_failed_submission_page_shows_the_message(world, good, monkeypatch, client):
    from django.urls import reverse

    monkeypatch.setattr(ingest, "apply_register_rules", lambda *a, **k: 1 / 0)
    sub = upload(world.rto_a, good, actor=world.data_a.user)
    client.force_login(world.data_a.user)
    resp = client.get(
        reverse("achievements:submission_detail", args=[world.rto_a.code, sub.public_id])
    )
    assert resp.status_code == 200
    assert b"Failed" in resp.content
    assert b"an unexpected error (ZeroDivisionError)" in resp.content


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        ("xlsx-xxe-sheet", "declares entities or a document type (DTD)"),
        ("xlsx-laughs-sheet", "declares entities or a document type (DTD)"),
        ("xlsx-broken-xml", "The workbook's XML is damaged"),
    ],
)
def test_unreadable_workbook_is_rejected_with_a_precise_reason(world, hostile, reason):
    from tests.hostile.corpus import corpus

    [h] = [h for h in corpus() if h.id == hostile]
    sub = upload(world.rto_a, h.data, name=h.name, actor=world.data_a.user)
    assert sub.status == S.REJECTED
    assert reason in sub.rejected_reason
    assert "Nothing from it went into the register" in sub.rejected_reason


def test_the_upload_command_reports_a_failed_submission(world, good, monkeypatch, tmp_path):
    import json

    from django.core.management import call_command

    monkeypatch.setattr(ingest, "apply_register_rules", lambda *a, **k: 1 / 0)
    path = tmp_path / "set.zip"
    path.write_bytes(good)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(
            "submission_upload", str(path), rto=world.rto_a.code, json=True, wait=True, stdout=out
        )
    assert exc.value.code == 1
    doc = json.loads(out.getvalue().strip().splitlines()[-1])
    assert doc["status"] == "failed"
    assert "an unexpected error (ZeroDivisionError)" in doc["reason"]


def test_a_failed_submission_needs_attention_on_the_dashboard(world, good, monkeypatch):
    from achievements.selectors import dashboard_register

    monkeypatch.setattr(ingest, "apply_register_rules", lambda *a, **k: 1 / 0)
    sub = upload(world.rto_a, good, actor=world.data_a.user)
    assert sub.status == S.FAILED
    with scopes_disabled():
        attention = dashboard_register(rto=world.rto_a, year=2024)["attention"]
    assert [s.pk for s in attention] == [sub.pk]
