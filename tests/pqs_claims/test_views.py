"""The claims and payment pages with real data (the isolation matrix covers access)."""

from __future__ import annotations

import datetime as dt
import io

from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Submission
from pqs_claims.models import ClaimSubmission, PaymentBatch, PaymentLine, PqsApproval
from pqs_claims.sample import claim_zip
from tests.pqs_claims.conftest import nguyen_claim


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_claim_to_statement_through_the_pages(pqs):
    staff, officer, approver = client(pqs.staff1), client(pqs.officer), client(pqs.approver)
    code = pqs.rto1.code
    page = staff.get(reverse("claims:index", args=[code]))
    assert page.status_code == 200 and b"PQS0090001" in page.content
    assert b"12345678" not in page.content and "•••••678".encode() in page.content

    end = timezone.localdate() - dt.timedelta(days=5)
    data = io.BytesIO(
        claim_zip(
            nguyen_claim(("CPCCWHS2001", "CPCCOM1012"), end=end, start=end - dt.timedelta(days=30))
        )
    )
    data.name = "october.zip"
    with TestCase.captureOnCommitCallbacks() as queued:
        resp = staff.post(
            reverse("claims:upload", args=[code]),
            {"file": data, "collection_year": end.year, "commit_records": "on"},
        )
    assert resp.status_code == 302, resp.content[:2000]
    # nothing was parsed in the request: stored, queued for the ingest worker
    with scopes_disabled():
        upload = Submission.objects.get(rto=pqs.rto1, kind="claim")
        assert upload.status == "received" and len(upload.sha256) == 64
        assert not ClaimSubmission.objects.filter(rto=pqs.rto1).exists()
    page = staff.get(resp["Location"])
    assert b'id="progress"' in page.content and b"Received" in page.content
    for task in queued:  # the worker (eager in tests) validates it
        task()
    with scopes_disabled():
        sub = ClaimSubmission.objects.get(rto=pqs.rto1)
        assert sub.public_id == upload.public_id
    page = staff.get(resp["Location"])
    assert b"$825.00" in page.content  # 2 × 412.50, before lodging
    assert b"No issues: every record passed the checks." in page.content  # the report
    with TestCase.captureOnCommitCallbacks(execute=True):
        resp = staff.post(reverse("claims:lodge", args=[code, sub.public_id]))
    assert resp.status_code == 302
    sub.refresh_from_db()
    upload.refresh_from_db()
    assert sub.status == "lodged" and upload.status == "lodged"
    assert upload.committed_count == 2  # a PQS reports once: in the register too

    period = f"{timezone.localdate():%Y-%m}"
    resp = officer.post(reverse("payments:batch_list"), {"period": period})
    assert resp.status_code == 302
    batch = PaymentBatch.objects.get(period=period)
    page = officer.get(reverse("payments:batch_detail", args=[batch.public_id]))
    assert page.status_code == 200 and b"$825.00" in page.content
    with scopes_disabled():
        line = PaymentLine.objects.filter(batch=batch).first()
    page = officer.get(reverse("payments:batch_line", args=[batch.public_id, line.public_id]))
    assert "Paid $412.50 = $11,000.00 / 32 units × (1 + 20% remote loading".encode() in page.content

    xlsx = officer.get(reverse("payments:batch_export", args=[batch.public_id]) + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    csv_resp = officer.get(reverse("payments:batch_export", args=[batch.public_id]))
    assert csv_resp.content.decode().startswith("rto_code,client_identifier,")

    # the current month before its cut-off is a preview: shown as such, not approvable
    page = approver.get(reverse("payments:batch_detail", args=[batch.public_id]))
    assert b"<strong>Preview.</strong>" in page.content and b"Approve batch" not in page.content
    approver.post(reverse("payments:batch_approve", args=[batch.public_id]))
    batch.refresh_from_db()
    assert batch.status == "calculated"
    # the cut-off passes (moved into the past: a month later the session would expire)
    PaymentBatch.objects.filter(pk=batch.pk).update(cutoff=timezone.now() - dt.timedelta(minutes=1))
    page = approver.get(reverse("payments:batch_detail", args=[batch.public_id]))
    assert b"Preview." not in page.content and b"Approve batch" in page.content

    # the runner cannot approve; a second officer with approval rights can
    resp = approver.post(reverse("payments:batch_approve", args=[batch.public_id]))
    assert resp.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by == pqs.approver

    pdf = approver.get(reverse("payments:batch_remittance", args=[batch.public_id, code]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    aba = approver.post(reverse("payments:batch_aba", args=[batch.public_id]))
    assert aba.status_code == 200 and aba.content.count(b"\r\n") == 3
    batch.refresh_from_db()
    assert batch.status == "exported" and batch.export_id
    resp = approver.post(
        reverse("payments:batch_paid", args=[batch.public_id]),
        {"paid_on": timezone.localdate().strftime("%d/%m/%Y")},
    )
    batch.refresh_from_db()
    assert batch.status == "paid"

    page = staff.get(reverse("claims:statement", args=[code, batch.public_id]))
    assert page.status_code == 200 and b"$825.00" in page.content and b"PAID" in page.content
    pdf = staff.get(reverse("claims:statement_remittance", args=[code, batch.public_id]))
    assert pdf.content.startswith(b"%PDF")
    # the statement's lines to download: this PQS's own, every field and reason
    url = reverse("claims:statement", args=[code, batch.public_id])
    rows = staff.get(url, {"format": "csv"}).content.decode().splitlines()
    assert rows[0].startswith("rto_code,client_identifier,") and len(rows) == 3
    assert all(r.startswith(f"{code},") for r in rows[1:])
    assert staff.get(url, {"format": "xlsx"}).content.startswith(b"PK")
    assert client(pqs.staff2).get(url, {"format": "csv"}).status_code == 404  # not theirs


def test_account_number_only_on_its_edit_page(pqs):
    from tests.factories import make_user

    admin = client(make_user(department_role="admin", is_staff=True))
    page = admin.get(reverse("reference:reference", args=["approvals"]))
    assert b"12345678" not in page.content and b"987654321" not in page.content
    with scopes_disabled():
        approval = PqsApproval.objects.get(supplier_number="PQS0090001")
    url = reverse("payments:approval_bank", args=[approval.public_id])
    assert b"12345678" in admin.get(url).content
    resp = admin.post(
        url, {"bsb": "064001", "account_number": "1234567890", "account_name": "X", "reason": "r"}
    )
    assert resp.status_code == 400  # 10 digits
    resp = admin.post(
        url,
        {
            "bsb": "064001",
            "account_number": "87654321",
            "account_name": "X",
            "reason": "signed change request",
        },
    )
    assert resp.status_code == 400  # 064-001 is not in the BSB directory (none loaded)
    with scopes_disabled():
        approval.refresh_from_db()
    assert (approval.bsb, approval.account_number) == ("064-000", "12345678")  # unchanged


def test_reference_pages_list_the_sample_data(pqs):
    officer = client(pqs.officer)
    for kind, needle in (
        ("programs", b"UC2528"),
        ("prices", b"$11,000.00"),
        ("localities", b"LONGREACH"),
        ("locality-list", b"BIRDSVILLE"),
        ("contracts", b"1234567"),
        ("approvals", b"PQS0090002"),
    ):
        page = officer.get(reverse("reference:reference", args=[kind]))
        assert page.status_code == 200 and needle in page.content, kind
    assert officer.get(reverse("reference:reference", args=["nope"])).status_code == 404
