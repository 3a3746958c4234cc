"""Reference data in Chromium: an officer with an "act" grant uploads a small price list,
reads the preview (counts of rows to create / update / leave unchanged), applies it with a
reason and sees the result. Preview and apply are Celery tasks (eager here: they have run
by the time the page loads; the progress bar is covered in tests/core)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.models import OfficerGrant
from core.models import AuditEvent, ReferenceUpload
from pqs_claims.models import PriceListEntry
from tests.e2e.conftest import sign_in
from tests.factories import make_user

DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data"


@pytest.mark.django_db(transaction=True)
def test_officer_uploads_previews_and_applies_a_price_list(page, tmp_path):
    from reference.kinds.payments import import_csv

    import_csv("funding-programs", DEMO / "funding-programs.csv")
    officer = make_user(department_role="officer")
    OfficerGrant.objects.create(user=officer, all_rtos=True, can_act=True, reason="payments")
    rows = (DEMO / "price-list.csv").read_text().strip().splitlines()
    path = tmp_path / "price-list.csv"
    path.write_text("\n".join(rows[:4]) + "\n", encoding="utf-8")  # header + 3 rows

    sign_in(page, officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="Payment batches").click()
    page.get_by_role("link", name="Payment reference data").click()
    page.get_by_role("link", name="Price list", exact=True).click()
    page.get_by_role("link", name="Import price list").first.click()
    assert page.get_by_label("Kind of reference data").input_value() == "price-list"
    page.get_by_label("File (CSV or Excel)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()

    page.get_by_role("heading", name=re.compile("^Preview: Price list")).wait_for()
    cards = page.locator(".card .stat")
    assert cards.all_inner_texts()[:3] == ["3", "0", "0"]
    page.get_by_text("Rows to create").wait_for()
    assert not PriceListEntry.objects.exists()  # the preview kept nothing

    page.get_by_label("Reason for the change").fill("2026-27 price list, first three")
    page.get_by_role("button", name="Apply 3 rows").click()
    page.get_by_role("heading", name=re.compile("^Applied: Price list")).wait_for()
    page.get_by_text(re.compile(r"Applied on \d\d/\d\d/\d{4} \d\d:\d\d by")).wait_for()
    page.get_by_text("Reason: 2026-27 price list, first three").wait_for()
    assert page.locator(".card .stat").all_inner_texts()[:3] == ["3", "0", "0"]

    upload = ReferenceUpload.objects.get()
    assert upload.status == "applied" and upload.applied_by_id == officer.pk
    assert PriceListEntry.objects.count() == 3
    event = AuditEvent.objects.get(action="reference.apply")
    assert event.actor_id == officer.pk and event.summary["created"] == 3

    # the list of uploads shows it applied
    page.get_by_role("link", name="Imports").click()
    page.get_by_role("cell", name="price-list.csv", exact=True).wait_for()
    assert "Applied" in page.locator("tbody tr").first.inner_text()


@pytest.mark.django_db(transaction=True)
def test_the_preview_page_shows_progress_and_reloads_when_done(page, monkeypatch):
    """With a real worker the page answers before the preview has run: it shows the
    progress bar, polls it (htmx) and reloads itself with the preview when it is done."""
    import io

    from reference import uploads as reference_uploads
    from reference.tasks import reference_preview_task

    monkeypatch.setattr(reference_uploads, "_dispatch", lambda task, pk: None)  # no worker yet
    officer = make_user(department_role="officer")
    OfficerGrant.objects.create(user=officer, all_rtos=True, can_act=True, reason="payments")
    f = io.BytesIO(b"postcode,locality,state\n4000,BRISBANE CITY,QLD\n4730,LONGREACH,QLD\n")
    f.name = "localities.csv"
    upload = reference_uploads.reference_upload_create(kind="localities", file=f, actor=officer)
    assert upload.status == "received"

    sign_in(page, officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.goto(f"/department/reference-imports/{upload.public_id}/")
    status = page.get_by_role("status")
    status.get_by_text("waiting for a worker to start").wait_for()
    assert status.get_by_role("link", name="Refresh").is_visible()

    # the worker starts and reports progress: the bar appears without a reload
    ReferenceUpload.objects.filter(pk=upload.pk).update(status="previewing")
    upload.refresh_from_db()
    reference_uploads._progress_writer(upload)("rows", 1, 2)
    status.get_by_text("checking rows: 1 of 2 rows").wait_for()
    assert page.locator("progress").get_attribute("value") == "1"

    # done: the page reloads itself with the preview
    reference_preview_task.apply(args=(upload.pk,))
    page.get_by_text("Rows to create").wait_for()
    assert page.get_by_role("status").count() == 0
    assert page.get_by_role("button", name="Apply 2 rows").is_visible()
