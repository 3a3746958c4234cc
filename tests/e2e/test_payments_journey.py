"""Issue 6 and 10 acceptance in Chromium: PQS staff upload a claim, watch the worker
validate it (progress), read the report with the estimate, lodge it (in the worker); an
officer runs the batch and drills into a line's explanation; a second officer approves;
the remittance PDF opens. The ingest tasks run in a thread a moment after the request
commits, as a worker would (``slow_worker`` of the register journey)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from pqs_claims.models import PaymentBatch
from pqs_claims.sample import claim_zip
from tests.e2e.conftest import assert_accessible, sign_in
from tests.e2e.test_register_journey import slow_worker  # noqa: F401 (fixture)
from tests.pqs_claims.conftest import make_pqs, nguyen_claim


def sign_out(page):
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.django_db(transaction=True)
def test_claim_batch_approval_remittance(page, tmp_path, slow_worker):  # noqa: F811
    pqs = make_pqs()
    code = pqs.rto1.code
    end = timezone.localdate() - dt.timedelta(days=5)
    path = tmp_path / "claim.zip"
    path.write_bytes(
        claim_zip(
            nguyen_claim(("CPCCWHS2001", "CPCCOM1012"), end=end, start=end - dt.timedelta(days=30))
        )
    )

    # PQS staff: upload, watch the worker validate it, see the report and estimate, lodge
    sign_in(page, pqs.staff1)
    page.wait_for_url(re.compile(rf"/rto/{code}/$"))
    page.get_by_role("link", name="Claims", exact=True).click()
    page.get_by_role("link", name="Lodge this month's claim").click()
    page.get_by_label("Claim file (AVETMISS NAT zip)").set_input_files(str(path))
    page.get_by_label("Collection year").fill(str(end.year))
    assert page.get_by_label(re.compile("Also put these records in the register")).is_checked()
    page.get_by_role("button", name="Check the claim").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert re.search(r"Received|Validating", status.inner_text())
    estimate = page.locator("#estimate")
    estimate.wait_for(timeout=30_000)  # the page refreshes itself when validation is done
    assert estimate.inner_text() == "$825.00"
    page.get_by_text("No issues: every record passed the checks.").wait_for()  # the report
    assert_accessible(page)  # the claim with its estimate
    page.get_by_role("button", name="Lodge the claim").click()
    lodged = page.get_by_text(re.compile("Lodged; 2 records added to or corrected"))
    lodged.wait_for(timeout=30_000)  # lodged by the worker, the page refreshes itself
    sign_out(page)

    # Officer: run the month, drill into a line
    period = f"{timezone.localdate():%Y-%m}"
    sign_in(page, pqs.officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="Payment batches").click()
    page.get_by_label("Month").fill(period)
    page.get_by_role("button", name="Run the batch").click()
    page.get_by_role("heading", name=f"Payment batch {period}").wait_for()
    page.get_by_text(f"Batch {period} calculated.").wait_for()
    page.get_by_role("link", name=re.compile("^Why?")).first.click()
    explanation = page.locator("#explanation")
    explanation.wait_for()
    assert explanation.inner_text().startswith(
        "Paid $412.50 = $11,000.00 / 32 units × (1 + 20% remote loading"
    )
    assert_accessible(page)  # the line's explanation page
    batch_url = page.url.split("/lines/")[0] + "/"
    page.goto(batch_url)
    # the current month before its cut-off is a preview (payment-rules.md §5)
    page.get_by_role("heading", name=f"Payment batch {period} — preview").wait_for()
    assert_accessible(page)  # the batch: totals, filters, lines
    sign_out(page)

    # the cut-off passes (moved into the past rather than waiting for the month's end)
    PaymentBatch.objects.filter(period=period).update(
        cutoff=timezone.now() - dt.timedelta(minutes=1)
    )
    # Second officer: approve; the remittance PDF opens
    sign_in(page, pqs.approver)
    page.wait_for_url(re.compile(r"/department/"))
    page.goto(batch_url)
    page.get_by_role("button", name="Approve batch").click()
    page.get_by_text("approved: it can no longer change").wait_for()
    batch = PaymentBatch.objects.get(period=period)
    assert batch.status == "approved" and batch.approved_by_id == pqs.approver.pk
    href = page.get_by_role("link", name=re.compile(f"remittance for {code}")).get_attribute("href")
    resp = page.context.request.get(href)
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.body().startswith(b"%PDF")
    page.goto(href)  # opens in the browser's PDF viewer (or downloads, headless)
