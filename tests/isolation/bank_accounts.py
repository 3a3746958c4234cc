"""Persona × URL cases for bank account changes (issue 14)."""

from __future__ import annotations

from tests.isolation.cases import Case, rto_page
from tests.isolation.pqs_claims import APPROVER_ONLY, _approval


def _change(w):
    from pqs_claims.models import BankAccountChange

    if "bank_change" not in w.extra:
        approval = _approval(w)
        w.extra["bank_change"] = BankAccountChange.objects.create(
            rto=w.rto_a,
            approval=approval,
            bsb="084-004",
            account_number="99887766",
            account_name="NEW",
            old_bsb=approval.bsb,
            old_account_number=approval.account_number,
            old_account_name=approval.account_name,
            requested_by=w.admin_a.user,
        )
    return w.extra["bank_change"]


CASES = [
    Case(
        "claims:bank_account",
        kwargs=lambda w: {"rto_code": _approval(w).rto.code},
        get=rto_page(grant=403),
        # the administrator is sent to confirm with MFA first (nothing changes); a
        # read-only grant may not ask at all
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            "approval": _approval(w).public_id,
            "bsb": "084-004",
            "account_number": "99887766",
            "account_name": "NEW",
        },
    ),
    Case("payments:bank_changes", get=APPROVER_ONLY),
    Case(
        "payments:bank_change",
        kwargs=lambda w: {"public_id": _change(w).public_id},
        get=APPROVER_ONLY,
        post=APPROVER_ONLY,
        data=lambda w: {"decision": "verify", "note": "x"},
    ),
]
