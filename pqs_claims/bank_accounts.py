"""Bank account changes, safe against payment redirection (issue 14).

Rules: a change is requested by the RTO's administrator after a fresh MFA check (the view
enforces it); the BSB must be on the public BSB directory (reference kind ``bsb``); it
pays nothing until a department officer other than the requester verifies it by phoning
the RTO on the number held in the RTO registry (never a number from the request); both
the RTO's registered contact and the requester are e-mailed at each step; a payment batch
pays the account verified as at its approval (``PaymentBatchAccount``). Every step is
audited with masked account numbers.
"""

from __future__ import annotations

import pgtrigger
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError

from .models import (
    PAYING_ACCOUNT_TRIGGER,
    BankAccountChange,
    Bsb,
    PaymentBatch,
    PaymentBatchAccount,
    PqsApproval,
)


def _notify(change: BankAccountChange, subject: str) -> None:
    """E-mail the RTO's registered contact (the "old" contact) and the requester (the
    "new" one) after commit; numbers are masked."""
    to = sorted({e for e in (change.rto.contact_email, change.requested_by.email) if e})
    body = render_to_string("pqs_claims/email/bank_change.txt", {"change": change})
    transaction.on_commit(lambda: send_mail(f"{subject} ({change.rto.code})", body, None, to))


def _summary(change: BankAccountChange) -> dict:
    return {
        "supplier": change.approval.supplier_number,
        "from": f"{change.old_bsb} {change.masked_old_account}",
        "to": f"{change.bsb} {change.masked_account}",
    }


def account_known_or_refuse(rto, bsb: str, account_number: str) -> None:
    """A new PQS approval of an RTO that is paid already (another program or period: the
    batch pays its latest approval) must name an account (BSB and number) already on one
    of its approvals; a new account is a bank account change, verified by a second person.
    An RTO's first approval carries its initial account. One query."""
    with scopes_disabled():
        known = set(PqsApproval.objects.filter(rto=rto).values_list("bsb", "account_number"))
    if known and (bsb, account_number) not in known:
        raise ApplicationError(
            f"RTO {rto.code} is already paid into another account. Name that account here; "
            "to be paid into a new one, request a bank account change, which the department "
            "verifies with the RTO."
        )


def bank_change_request(
    *,
    actor,
    approval: PqsApproval,
    bsb: str,
    account_number: str,
    account_name: str,
    reason: str = "",
) -> BankAccountChange:
    """The RTO administrator (or a department admin acting on the supplier's signed
    request, ``reason``) asks for a new account for ``approval``; nothing is paid to it
    until a department approver other than the requester verifies it. This is the only
    way a PQS approval's account changes (the database refuses any other update)."""
    if not Bsb.objects.filter(bsb=bsb).exists():
        raise ApplicationError(f"BSB {bsb} is not in the BSB directory. Check it with your bank.")
    with transaction.atomic(), scopes_disabled():
        approval = PqsApproval.objects.select_for_update().select_related("rto").get(pk=approval.pk)
        if (approval.bsb, approval.account_number) == (bsb, account_number):
            raise ApplicationError("This is already the account payments go to.")
        if BankAccountChange.objects.filter(approval=approval, status="pending").exists():
            raise ApplicationError(
                "A change is already waiting for the department to verify it; it must be "
                "verified or rejected first."
            )
        change = BankAccountChange(
            rto=approval.rto,
            approval=approval,
            bsb=bsb,
            account_number=account_number,
            account_name=account_name.strip()[:32],
            old_bsb=approval.bsb,
            old_account_number=approval.account_number,
            old_account_name=approval.account_name,
            requested_by=actor,
        )
        change.full_clean()
        change.save()
        audit_record(
            "bank_change.requested",
            actor=actor,
            rto=change.rto,
            obj=change,
            after=_summary(change),
            extra={"reason": reason.strip()[:300]} if reason.strip() else None,
        )
        _notify(change, "Bank account change requested")
    return change


def bank_change_verify(*, actor, change: BankAccountChange, note: str = "") -> BankAccountChange:
    """A department officer (not the requester) verifies by phoning the RTO on its
    registry number; the PQS approval's account becomes the new one from now on."""
    with transaction.atomic(), scopes_disabled():
        change = _lock_pending(change, actor)
        phone = change.rto.phone.strip()
        if not phone:
            raise ApplicationError(
                f"The RTO registry holds no phone number for {change.rto.code}: load it "
                "(reference kind rtos) before verifying."
            )
        change.status = BankAccountChange.Status.VERIFIED
        change.method = BankAccountChange.Method.PHONE
        change.phone_called = phone
        change.note = note.strip()
        _decide(change, actor, ["method", "phone_called", "note"])
        approval = PqsApproval.objects.select_for_update().get(pk=change.approval_id)
        approval.bsb = change.bsb
        approval.account_number = change.account_number
        approval.account_name = change.account_name
        with pgtrigger.ignore(f"pqs_claims.PqsApproval:{PAYING_ACCOUNT_TRIGGER}"):
            approval.save(update_fields=["bsb", "account_number", "account_name", "updated_at"])
        audit_record(
            "bank_change.verified",
            actor=actor,
            rto=change.rto,
            obj=change,
            after={**_summary(change), "method": change.method, "phone_called": phone},
        )
        _notify(change, "Bank account change verified")
    return change


def bank_change_reject(*, actor, change: BankAccountChange, note: str) -> BankAccountChange:
    """The officer could not verify the change: it is closed, payments stay as they were."""
    if not note.strip():
        raise ApplicationError("Say why the change was not verified.")
    with transaction.atomic(), scopes_disabled():
        change = _lock_pending(change, actor)
        change.status = BankAccountChange.Status.REJECTED
        change.note = note.strip()
        _decide(change, actor, ["note"])
        audit_record(
            "bank_change.rejected",
            actor=actor,
            rto=change.rto,
            obj=change,
            after={**_summary(change), "note": change.note},
        )
        _notify(change, "Bank account change not verified")
    return change


def _lock_pending(change: BankAccountChange, actor) -> BankAccountChange:
    if not getattr(actor, "is_department", False):
        raise ApplicationError("Only a department officer can verify a bank account change.")
    change = (
        BankAccountChange.objects.select_for_update()
        .select_related("rto", "approval", "requested_by")
        .get(pk=change.pk)
    )
    if change.status != BankAccountChange.Status.PENDING:
        raise ApplicationError(f"This change is already {change.get_status_display().lower()}.")
    if change.requested_by_id == actor.pk:
        raise ApplicationError("You requested this change: another officer must verify it.")
    return change


def _decide(change: BankAccountChange, actor, fields: list[str]) -> None:
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at", *fields])


def batch_accounts_fix(batch: PaymentBatch, totals: list[dict]) -> None:
    """At approval: store, per RTO of the batch, the account verified as at now (the PQS
    approval's account) and the verified change it came from. Idempotent."""
    with scopes_disabled():
        rows = []
        for t in totals:
            a = t["approval"]
            if a is None:
                continue
            change = (
                BankAccountChange.objects.filter(approval=a, status="verified")
                .order_by("-decided_at")
                .first()
            )
            rows.append(
                PaymentBatchAccount(
                    batch=batch,
                    rto=t["rto"],
                    approval=a,
                    change=change,
                    bsb=a.bsb,
                    account_number=a.account_number,
                    account_name=a.account_name,
                )
            )
        PaymentBatchAccount.objects.bulk_create(rows, ignore_conflicts=True)


def batch_accounts_apply(batch: PaymentBatch, totals: list[dict]) -> list[dict]:
    """The batch's totals with each approval's account replaced by the one stored at the
    batch's approval (unapproved batches: unchanged, they pay the current account)."""
    fixed = {p.rto_id: p for p in PaymentBatchAccount.objects.filter(batch=batch).select_related()}
    for t in totals:
        stored = fixed.get(t["rto"].pk)
        if stored is not None and t["approval"] is not None:
            a = t["approval"]
            a.bsb, a.account_number, a.account_name = (
                stored.bsb,
                stored.account_number,
                stored.account_name,
            )
    return totals
