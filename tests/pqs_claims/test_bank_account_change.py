"""Bank account changes safe against payment redirection (issue 14)."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from core.errors import ApplicationError
from core.models import AuditEvent
from pqs_claims.bank_accounts import bank_change_request, bank_change_verify
from pqs_claims.exports import remittance_context
from pqs_claims.models import BankAccountChange, Bsb, ClaimSubmission, PaymentBatch, PqsApproval
from pqs_claims.sample import claim_zip
from pqs_claims.services import pqs_totals
from reference.importer import import_reference
from tests.pqs_claims.conftest import DEMO, nguyen_claim

NEW = {"bsb": "084-004", "account_number": "99887766", "account_name": "SUNSHINE TRADE NEW"}


def _client(user, *, fresh_mfa: bool = False) -> Client:
    c = Client()
    c.force_login(user)
    if fresh_mfa:
        session = c.session
        session["account_authentication_methods_user"] = str(user.pk)
        session["account_authentication_methods"] = [
            {"method": "mfa", "at": time.time(), "type": "totp", "reauthenticated": True}
        ]
        session.save()
    return c


@pytest.fixture
def bank(pqs):
    with scopes_disabled():
        report = import_reference("bsb", DEMO / "bsb.csv")
        assert report.applied and Bsb.objects.count() == 6
        approval = PqsApproval.objects.get(rto=pqs.rto1)
    pqs.rto1.phone = "07 3000 1111"
    pqs.rto1.contact_email = "office@sunshine.example"
    pqs.rto1.save()
    return approval


def _request(pqs, approval, **over):
    return bank_change_request(actor=pqs.staff1, approval=approval, **{**NEW, **over})


def _approved_batch(pqs) -> PaymentBatch:
    """A claim lodged, a batch run by the officer and approved by an approver."""
    staff, officer = _client(pqs.staff1), _client(pqs.officer)
    end = timezone.localdate() - dt.timedelta(days=5)
    data = io.BytesIO(claim_zip(nguyen_claim(end=end, start=end - dt.timedelta(days=30))))
    data.name = "claim.zip"
    code = pqs.rto1.code
    with TestCase.captureOnCommitCallbacks(execute=True):  # the ingest worker, eager
        staff.post(
            reverse("claims:upload", args=[code]), {"file": data, "collection_year": end.year}
        )
    with scopes_disabled():
        sub = ClaimSubmission.objects.get(rto=pqs.rto1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff.post(reverse("claims:lodge", args=[code, sub.public_id]))
    officer.post(reverse("payments:batch_list"), {"period": f"{timezone.localdate():%Y-%m}"})
    batch = PaymentBatch.objects.get()
    # as after the month's cut-off (before it the batch is a preview that cannot be approved)
    PaymentBatch.objects.filter(pk=batch.pk).update(cutoff=timezone.now() - dt.timedelta(hours=1))
    resp = _client(pqs.approver).post(reverse("payments:batch_approve", args=[batch.public_id]))
    batch.refresh_from_db()
    assert resp.status_code == 302 and batch.status == "approved", batch.status
    return batch


def _aba_credit(pqs, batch) -> str:
    aba = _client(pqs.approver2).post(reverse("payments:batch_aba", args=[batch.public_id]))
    assert aba.status_code == 200
    return aba.content.decode().split("\r\n")[1]


def test_request_needs_fresh_mfa_and_pays_nothing_until_verified(
    pqs, bank, django_capture_on_commit_callbacks
):
    url = reverse("claims:bank_account", args=[pqs.rto1.code])
    data = {"approval": bank.public_id, **NEW}
    stale = _client(pqs.staff1)
    assert stale.get(url).status_code == 200
    response = stale.post(url, data)
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/2fa/reauthenticate/"
    )
    with scopes_disabled():
        assert not BankAccountChange.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(pqs.staff1, fresh_mfa=True).post(url, data)
    assert response.status_code == 302
    with scopes_disabled():
        change = BankAccountChange.objects.get()
        bank.refresh_from_db()
    assert change.status == "pending" and change.old_account_number == "12345678"
    assert bank.account_number == "12345678"  # still the old account
    assert set(mail.outbox[-1].to) == {"office@sunshine.example", pqs.staff1.email}
    assert "99887766" not in mail.outbox[-1].body and "•••••766" in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action="bank_change.requested").exists()
    # another RTO's administrator does not see this RTO's page
    assert _client(pqs.staff2).get(url).status_code == 404


def test_bsb_must_be_in_the_directory(pqs, bank):
    with pytest.raises(ApplicationError, match="not in the BSB directory"):
        _request(pqs, bank, bsb="999-999")
    assert _request(pqs, bank).status == "pending"
    with pytest.raises(ApplicationError, match="already waiting"):
        _request(pqs, bank, account_number="111")


def test_verification_records_who_when_and_the_registry_phone(
    pqs, bank, django_capture_on_commit_callbacks
):
    change = _request(pqs, bank)
    url = reverse("payments:bank_change", args=[change.public_id])
    assert _client(pqs.officer).get(url).status_code == 403  # approvers verify
    with django_capture_on_commit_callbacks(execute=True):
        resp = _client(pqs.approver).post(url, {"decision": "verify", "note": "Spoke to Pat"})
    assert resp.status_code == 302
    with scopes_disabled():
        change.refresh_from_db()
        bank.refresh_from_db()
    assert (change.status, change.decided_by, change.method) == ("verified", pqs.approver, "phone")
    assert change.phone_called == "07 3000 1111" and change.decided_at is not None
    assert (bank.bsb, bank.account_number) == ("084-004", "99887766")
    assert set(mail.outbox[-1].to) == {"office@sunshine.example", pqs.staff1.email}
    event = AuditEvent.objects.get(action="bank_change.verified")
    assert event.summary["after"]["phone_called"] == "07 3000 1111"


def test_no_registry_phone_no_verification(pqs, bank):
    change = _request(pqs, bank)
    pqs.rto1.phone = ""
    pqs.rto1.save()
    with pytest.raises(ApplicationError, match="no phone number"):
        bank_change_verify(actor=pqs.approver, change=change)
    with scopes_disabled():
        assert BankAccountChange.objects.get().status == "pending"


def test_the_requester_never_verifies_their_own_change(pqs, bank):
    change = _request(pqs, bank)
    pqs.staff1.department_role = "approver"
    pqs.staff1.save()
    with pytest.raises(ApplicationError, match="another officer"):
        bank_change_verify(actor=pqs.staff1, change=change)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        BankAccountChange.objects.filter(pk=change.pk).update(
            status="rejected", decided_by=pqs.staff1, decided_at=timezone.now()
        )


def test_a_verification_without_the_phone_called_is_refused_by_the_database(pqs, bank):
    change = _request(pqs, bank)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        BankAccountChange.objects.filter(pk=change.pk).update(
            status="verified", decided_by=pqs.approver, decided_at=timezone.now(), method="phone"
        )


def test_an_approved_batch_keeps_the_account_verified_at_its_approval(pqs, bank):
    change = _request(pqs, bank)
    batch = _approved_batch(pqs)  # approved while the change waits
    bank_change_verify(actor=pqs.approver2, change=change)
    credit = _aba_credit(pqs, batch)
    assert credit[1:8] == "064-000" and credit[8:17] == " 12345678"
    total = next(t for t in pqs_totals(batch) if t["rto"] == pqs.rto1)
    assert remittance_context(batch, total)["approval"].account_number == "12345678"


def test_the_next_batch_pays_the_verified_account(pqs, bank):
    bank_change_verify(actor=pqs.approver2, change=_request(pqs, bank))
    batch = _approved_batch(pqs)
    credit = _aba_credit(pqs, batch)
    assert credit[1:8] == "084-004" and credit[8:17] == " 99887766"
    assert "SUNSHINE TRADE NEW" in credit


# ------------------------------------------------ no path changes the account unverified
def test_department_admin_edit_is_a_request_another_approver_verifies(
    pqs, bank, django_capture_on_commit_callbacks
):
    from tests.factories import make_user

    admin_user = make_user(department_role="admin", is_staff=True)
    admin = _client(admin_user)
    url = reverse("payments:approval_bank", args=[bank.public_id])
    data = {**NEW, "reason": "supplier's signed change request"}
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, data).status_code == 302
    with scopes_disabled():
        bank.refresh_from_db()
        change = BankAccountChange.objects.get()
    assert bank.account_number == "12345678"  # still paying the old account
    assert (change.status, change.requested_by) == ("pending", admin_user)
    assert set(mail.outbox[-1].to) == {"office@sunshine.example", admin_user.email}
    event = AuditEvent.objects.get(action="bank_change.requested")
    assert event.summary["reason"] == "supplier's signed change request"
    # the page shows the pending change; a second request is refused, precisely
    assert b"already waiting for verification" in admin.get(url).content
    resp = admin.post(url, {**data, "account_number": "111"})
    assert resp.status_code == 400 and b"already waiting" in resp.content
    # the requester cannot verify it, even as an approver
    with pytest.raises(ApplicationError, match="another officer"):
        bank_change_verify(actor=admin_user, change=change)
    bank_change_verify(actor=pqs.approver, change=change)
    with scopes_disabled():
        bank.refresh_from_db()
    assert (bank.bsb, bank.account_number) == ("084-004", "99887766")


def test_department_admin_edit_needs_a_bsb_in_the_directory(pqs, bank):
    from tests.factories import make_user

    admin = _client(make_user(department_role="admin", is_staff=True))
    url = reverse("payments:approval_bank", args=[bank.public_id])
    resp = admin.post(url, {**NEW, "bsb": "999-999", "reason": "r"})
    assert resp.status_code == 400 and b"not in the BSB directory" in resp.content
    with scopes_disabled():
        assert not BankAccountChange.objects.exists()


def test_the_database_refuses_an_unverified_account_change(pqs, bank):
    """Any save or UPDATE outside a verification (a bug, a shell, a future view) fails."""
    from django.db import ProgrammingError

    refused = pytest.raises(ProgrammingError, match="Cannot update")
    with refused, transaction.atomic(), scopes_disabled():
        PqsApproval.objects.filter(pk=bank.pk).update(account_number="99887766")
    refused = pytest.raises(ProgrammingError, match="Cannot update")
    with refused, transaction.atomic(), scopes_disabled():
        bank.account_name = "SOMEONE ELSE"
        bank.save()
    with scopes_disabled():
        bank.refresh_from_db()
        assert bank.account_name == "SUNSHINE TRADE TRAINING"
        # other fields still change as before
        PqsApproval.objects.filter(pk=bank.pk).update(qualification_codes=["CPC30220"])


def _approvals_csv(tmp_path, **over):
    rows = (DEMO / "pqs-approvals.csv").read_text().splitlines()
    first = rows[1].split(",")
    columns = rows[0].split(",")
    for k, v in over.items():
        first[columns.index(k)] = v
    path = tmp_path / "pqs-approvals.csv"
    path.write_text("\n".join([rows[0], ",".join(first), *rows[2:]]) + "\n")
    return path


def test_the_import_refuses_a_changed_account_with_a_row_message(pqs, bank, tmp_path):
    report = import_reference(
        "pqs-approvals", _approvals_csv(tmp_path, bsb="084-004", account_number="99887766")
    )
    assert not report.applied
    (error,) = report.errors
    assert error.row == 2
    assert "PQS0090001" in error.message and "request a bank account change" in error.message
    assert "12345678" not in error.message  # masked
    with scopes_disabled():
        bank.refresh_from_db()
    assert bank.account_number == "12345678"
    # the name is part of the account too
    report = import_reference("pqs-approvals", _approvals_csv(tmp_path, account_name="X PTY"))
    assert not report.applied and report.errors[0].row == 2


def test_the_import_still_updates_other_fields_and_creates_new_approvals(pqs, bank, tmp_path):
    report = import_reference(
        "pqs-approvals", _approvals_csv(tmp_path, qualification_codes="CPC30220")
    )
    assert report.applied, report.errors
    with scopes_disabled():
        bank.refresh_from_db()
        assert bank.qualification_codes == ["CPC30220"]
    # a new approval (a later period) with the account the RTO is paid into already
    later = {"valid_from": "2028-07-01", "valid_to": "", "supplier_number": "PQS0090009"}
    report = import_reference("pqs-approvals", _approvals_csv(tmp_path, **later))
    assert report.applied, report.errors
    with scopes_disabled():
        assert PqsApproval.objects.get(supplier_number="PQS0090009").account_number == "12345678"


def test_the_import_refuses_a_new_approval_that_would_redirect_payments(pqs, bank, tmp_path):
    """A new period for an RTO already paid somewhere would become the account the batch
    pays: it must name an account the RTO already has."""
    later = {"valid_from": "2028-07-01", "valid_to": "", "supplier_number": "PQS0090009"}
    path = _approvals_csv(tmp_path, **later, bsb="084-004", account_number="99887766")
    report = import_reference("pqs-approvals", path)
    assert not report.applied and report.errors[0].row == 2
    assert "already paid into another account" in report.errors[0].message
    with scopes_disabled():
        assert not PqsApproval.objects.filter(supplier_number="PQS0090009").exists()
    # an RTO's first approval carries its initial account
    from tests.factories import make_rto

    make_rto(code="90077")
    path = _approvals_csv(tmp_path, rto_code="90077", supplier_number="PQS0090077")
    assert import_reference("pqs-approvals", path).applied


def test_the_django_admin_cannot_edit_the_paying_account():
    from django.contrib import admin

    from pqs_claims.models import PaymentBatchAccount

    for model in (PqsApproval, BankAccountChange, PaymentBatchAccount):
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:  # registered: the account fields are read-only
            readonly = set(model_admin.get_readonly_fields(None))
            assert {"bsb", "account_number", "account_name"} <= readonly, model
