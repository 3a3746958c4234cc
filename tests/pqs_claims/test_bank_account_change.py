"""Bank account changes safe against payment redirection (issue 14)."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from core.errors import ApplicationError
from core.models import AuditEvent
from core.reference_import import import_reference
from pqs_claims.bank_accounts import bank_change_request, bank_change_verify
from pqs_claims.exports import remittance_context
from pqs_claims.models import BankAccountChange, Bsb, PaymentBatch, PqsApproval
from pqs_claims.services import pqs_totals
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
    """A claim lodged in October 2026 (through the ingest pipeline), that month's batch run
    by the officer and approved by an approver through the pages (its cut-off has passed)."""
    from tests.pqs_claims.test_flow import at, upload

    upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    _client(pqs.officer).post(reverse("payments:batch_list"), {"period": "2026-10"})
    batch = PaymentBatch.objects.get(period="2026-10")
    resp = _client(pqs.approver).post(reverse("payments:batch_approve", args=[batch.public_id]))
    assert resp.status_code == 302
    return batch


def _aba_credit(pqs, batch) -> str:
    aba = _client(pqs.approver2).post(reverse("payments:batch_aba", args=[batch.public_id]))
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
