"""Issue 4 acceptance in Chromium: a data officer uploads a NAT zip with 3 errors among 50
records, watches progress, reads the report, downloads the issues XLSX, commits the 47 good
records, fixes the file, uploads again and commits the rest; then corrects one outcome by
hand with a reason and sees both versions.

The pipeline's tasks run in a background thread a moment after the request commits (as a
worker would), so the page really shows its progress region and refreshes itself."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_scopes import scopes_disabled

from achievements.models import UnitOutcome
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.e2e.conftest import sign_in


def _break(files):
    rows = files["NAT00120"]
    rows[3]["outcome_identifier_national"] = "99"  # not an outcome code
    rows[10]["activity_end_date"] = "01011990"  # ends before it starts
    rows[20]["subject_identifier"] = "NOSUCH001"  # not a known unit
    return files


def _fifty(toid: str) -> dict:
    files = nat_set(50, 10, toid=toid)
    files.pop("NAT00130", None)  # 50 records: unit outcomes only
    return files


@pytest.fixture
def slow_worker(monkeypatch):
    """Run the ingest tasks in a thread 1.5 s after the request's commit (like a worker)."""
    from achievements import tasks
    from pqs_claims import tasks as claim_tasks

    threads: list[threading.Thread] = []

    def deferred(task):
        def delay_on_commit(*args, **kwargs):
            def run():
                try:
                    task.apply(args=args, kwargs=kwargs)
                finally:
                    connection.close()

            def start():
                t = threading.Timer(1.5, run)
                threads.append(t)
                t.start()

            transaction.on_commit(start)

        return delay_on_commit

    for task in (
        tasks.submission_validate_task,
        tasks.submission_commit_task,
        claim_tasks.submission_lodge_task,
    ):
        monkeypatch.setattr(task, "delay_on_commit", deferred(task))
    yield
    for t in threads:
        t.join(timeout=30)


def _upload(page, code: str, path) -> None:
    page.goto(f"/rto/{code}/submissions/")
    page.get_by_role("link", name="Upload a submission").click()
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Collection year").fill("2024")
    page.get_by_role("button", name="Upload and check").click()


@pytest.mark.django_db(transaction=True)
def test_upload_report_commit_fix_commit(page, world, tmp_path, slow_worker):
    code = world.rto_a.code
    good = _fifty(code)
    with scopes_disabled():
        load_products(good)
    bad_path = tmp_path / "june.zip"
    bad_path.write_bytes(zip_bytes(_break(_fifty(code))))
    good_path = tmp_path / "june-fixed.zip"
    good_path.write_bytes(zip_bytes(good))

    sign_in(page, world.data_a.user)
    page.wait_for_url(re.compile(rf"/rto/{code}/"))

    # upload; the progress region is live while the worker validates
    _upload(page, code, bad_path)
    page.get_by_role("heading", name="Submission: june.zip").wait_for()
    status = page.get_by_role("status")
    status.wait_for()
    assert re.search(r"Received|Validating|Queued", status.inner_text())
    # the page refreshes itself when validation is done
    commit = page.get_by_role("button", name="Commit 47 records")
    commit.wait_for(timeout=30_000)

    # the report: 50 records, 3 with errors, issues by rule and by record
    body = page.locator("main").inner_text()
    assert "50 records" in body and re.search(r"47\s+without errors, 3\s+with errors", body)
    page.get_by_role("heading", name="Issues by rule").wait_for()
    assert page.get_by_role("cell", name="REG-01").count() >= 1
    page.get_by_role("heading", name="Issues by record").wait_for()

    # the issues as Excel: opens, and lists the 3 records in error
    with page.expect_download() as dl:
        page.get_by_role("link", name="Excel").click()
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()), read_only=True)
    rows = list(wb["Issues"].iter_rows(values_only=True))
    assert list(rows[0][:6]) == ["file", "line", "field", "value", "rule", "severity"]
    errors = [r for r in rows[1:] if r[5] == "error"]
    assert {(r[0], r[1]) for r in errors} == {
        ("NAT00120", "4"),
        ("NAT00120", "11"),
        ("NAT00120", "21"),
    }
    assert any(r[4] == "REG-01" and r[3] == "NOSUCH001" for r in errors)

    # commit the 47 good records (asks first; progress while committing, then the result)
    page.get_by_label(re.compile("I have read this report")).check()
    commit.click()
    page.get_by_text(
        re.compile(r"Committed on .*: 47 records added or corrected; 3 with errors")
    ).wait_for(timeout=30_000)
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 47

    # fix the file, upload again, commit the rest
    _upload(page, code, good_path)
    page.get_by_role("heading", name="Submission: june-fixed.zip").wait_for()
    commit = page.get_by_role("button", name="Commit 50 records")
    commit.wait_for(timeout=30_000)
    assert "No issues" in page.locator("main").inner_text() or page.get_by_text("0 errors").count()
    page.get_by_label(re.compile("I have read this report")).check()
    commit.click()
    page.get_by_text(re.compile(r"Committed on .*: 3 records added or corrected")).wait_for(
        timeout=30_000
    )
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 50
        assert UnitOutcome.objects.filter(rto=world.rto_b).count() == 0
        outcome = (
            UnitOutcome.objects.filter(rto=world.rto_a, outcome_identifier_national="20")
            .select_related("client_record")
            .order_by("id")
            .first()
        )
        cr = outcome.client_record

    # correct one outcome by hand, with a reason, and see both versions
    page.goto(f"/rto/{code}/learners/{cr.public_id}/")
    page.get_by_role("heading", name="Unit outcomes").wait_for()
    page.locator(f'a[href$="/outcomes/{outcome.public_id}/correct/"]').click()
    page.locator('select[name="outcome_identifier_national"]').select_option("40")
    page.get_by_label("Reason for the correction").fill("Withdrawn: enrolment ended early")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Correction saved").wait_for()
    history = page.locator("#history")
    text = history.inner_text()
    assert "Withdrawn: enrolment ended early" in text
    assert (
        "Outcome identifier – national: Competency achieved / pass (20) → "
        "Withdrawn / discontinued (40)"
    ) in text
    assert "june-fixed.zip" in text or "june.zip" in text  # the first version's source
    with scopes_disabled():
        versions = list(
            UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk).order_by("pgh_id")
        )
        assert [v.outcome_identifier_national for v in versions] == ["20", "40"]

    # correct the learner's identity (family name misspelt) with a reason: a new version
    old_family = cr.family_name
    page.get_by_role("link", name="Correct identity").click()
    page.get_by_role("heading", name=re.compile(r"^Correct identity")).wait_for()
    page.get_by_label("Family name").fill(old_family + "e")
    page.get_by_label("Reason for the correction").fill("Family name misspelt at enrolment")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Identity corrected").wait_for()
    text = page.locator("#history").inner_text()
    assert "Family name misspelt at enrolment" in text
    assert f"Family name: {old_family} → {old_family}e" in text
    with scopes_disabled():
        cr.refresh_from_db()
        assert cr.family_name == old_family + "e"
        versions = cr.pgh_event_model.objects.filter(pgh_obj_id=cr.pk).order_by("pgh_id")
        assert [v.family_name for v in versions][-2:] == [old_family, old_family + "e"]
