"""Persona × URL cases for PQS applications, variations and letters (issue 14)."""

from __future__ import annotations

from tests.isolation.cases import Case, rto_page
from tests.isolation.pqs_claims import APPROVER_ONLY, _approval


def _application(w):
    from pqs_claims.models import PqsApplication

    if "pqs_application" not in w.extra:
        approval = _approval(w)
        w.extra["pqs_application"] = PqsApplication.objects.create(
            rto=w.rto_a,
            program=approval.program,
            approval=approval,
            is_variation=True,
            remove_codes=["CPC30220"],
            requested_by=w.admin_a.user,
        )
    return w.extra["pqs_application"]


def _approval_kwargs(w):
    return {"rto_code": w.rto_a.code, "public_id": _approval(w).public_id}


CASES = [
    Case(
        "claims:pqs_apply",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        # nothing nominated: refused with its message
        post=rto_page(ok=400, grant=403),
        data=lambda w: {"program": _approval(w).program_id},
    ),
    Case(
        "claims:pqs_vary",
        kwargs=_approval_kwargs,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"remove": ["CPC30220"]},
    ),
    Case("claims:pqs_letter", kwargs=_approval_kwargs, get=rto_page()),
    Case("payments:pqs_applications", get=APPROVER_ONLY),
    Case(
        "payments:pqs_application",
        kwargs=lambda w: {"public_id": _application(w).public_id},
        get=APPROVER_ONLY,
        post=APPROVER_ONLY,
        data=lambda w: {"decision": "reject", "reason": "x"},
    ),
]
