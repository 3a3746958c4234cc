"""Issue 14 acceptance in Chromium: the RTO administrator asks for a new bank account
(fresh MFA), a department approver verifies it by phoning the registry number, and the
next batch pays the new account: the ABA file shows it."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from pqs_claims.models import BankAccountChange, ClaimSubmission, PaymentBatch
from pqs_claims.sample import claim_zip
from reference.importer import import_reference
from tests.e2e.conftest import assert_accessible, sign_in
from tests.pqs_claims.conftest import DEMO, make_pqs, nguyen_claim


def sign_out(page):
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))


def _lodge_claim(pqs) -> None:
    staff = Client()
    staff.force_login(pqs.staff1)
    code = pqs.rto1.code
    end = timezone.localdate() - dt.timedelta(days=5)
    data = io.BytesIO(claim_zip(nguyen_claim(end=end, start=end - dt.timedelta(days=30))))
    data.name = "claim.zip"
    staff.post(reverse("claims:upload", args=[code]), {"file": data, "collection_year": end.year})
    with scopes_disabled():
        sub = ClaimSubmission.objects.get(rto=pqs.rto1)
    assert staff.post(reverse("claims:lodge", args=[code, sub.public_id])).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_change_bank_account_verify_next_batch_pays_it(page):
    pqs = make_pqs()
    with scopes_disabled():
        import_reference("bsb", DEMO / "bsb.csv")
    pqs.rto1.phone = "07 3000 1111"
    pqs.rto1.save()
    code = pqs.rto1.code

    # the RTO administrator asks for the change (signed in with TOTP just now: fresh MFA)
    sign_in(page, pqs.staff1)
    page.wait_for_url(re.compile(rf"/rto/{code}/$"))
    page.get_by_role("link", name="Claims", exact=True).click()
    page.get_by_role("link", name="Change the bank account").click()
    page.get_by_label("BSB").fill("084004")
    page.get_by_label("Account number").fill("99887766")
    page.get_by_label("Account name").fill("Sunshine Trade New")
    page.get_by_role("button", name="Request the change").click()
    page.get_by_text("Change requested.").wait_for()
    assert page.get_by_role("cell", name="Waiting for verification").is_visible()
    assert_accessible(page)
    sign_out(page)

    # an approver verifies it by phoning the number on the RTO registry
    sign_in(page, pqs.approver)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="Bank account changes").click()
    page.get_by_role("link", name=re.compile(code)).click()
    assert page.get_by_text("07 3000 1111").is_visible()
    assert_accessible(page)
    page.get_by_label("Outcome").select_option("verify")
    page.get_by_label("Who confirmed, and notes").fill("Pat at reception confirmed")
    page.get_by_role("button", name="Record").click()
    page.get_by_text("Decision recorded").wait_for()
    with scopes_disabled():
        change = BankAccountChange.objects.get()
    assert (change.status, change.phone_called) == ("verified", "07 3000 1111")
    sign_out(page)

    # the next batch: run by an officer, approved by a second approver, pays the new account
    _lodge_claim(pqs)
    period = f"{timezone.localdate():%Y-%m}"
    sign_in(page, pqs.officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="Payment batches").click()
    page.get_by_label("Month").fill(period)
    page.get_by_role("button", name="Run the batch").click()
    page.get_by_text(f"Batch {period} calculated.").wait_for()
    batch_url = page.url
    # as after the month's cut-off (before it the batch is a preview that cannot be approved)
    PaymentBatch.objects.filter(period=period).update(cutoff=timezone.now() - dt.timedelta(hours=1))
    sign_out(page)
    sign_in(page, pqs.approver2)
    page.wait_for_url(re.compile(r"/department/"))
    page.goto(batch_url)
    page.get_by_role("button", name="Approve batch").click()
    page.get_by_text("approved: it can no longer change").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download ABA file").click()
    text = Path(download.value.path()).read_bytes().decode("ascii")
    credit = text.split("\r\n")[1]
    assert credit[1:8] == "084-004" and credit[8:17] == " 99887766"
    assert "SUNSHINE TRADE NEW" in credit
