"""Persona × URL cases for claims (RTO workspace) and payment batches (department
workspace); the reference-data pages are in ``tests/isolation/reference.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.isolation.cases import PERSONAS, Case, dept_page, rto_page

NO_GET = {p: 405 for p in PERSONAS}
DEPT_ACTION = {
    "anonymous": 302,
    "staff_a": 404,
    "staff_b": 404,
    "officer": 302,
    "officer_grant": 302,
}
APPROVER_ONLY = {
    "anonymous": 302,
    "staff_a": 404,
    "staff_b": 404,
    "officer": 403,
    "officer_grant": 403,
}
RTO_POST_ONLY = {
    "anonymous": 302,
    "staff_a": 405,
    "staff_b": 404,
    "officer": 404,
    "officer_grant": 405,
}


def _submission(w):
    """A validated claim upload of RTO A (the submission and its claim, same public id)."""
    from achievements.models import Submission
    from pqs_claims.models import ClaimSubmission

    sub = w.extra.get("claim_submission")
    if sub is None:
        sub = Submission.objects.create(
            rto=w.rto_a,
            kind="claim",
            file="claims/isolation.zip",
            file_name="isolation.zip",
            sha256="0" * 64,
            collection_year=2026,
            interim=True,
            status="validated",
        )
        ClaimSubmission.objects.create(
            source=sub,
            public_id=sub.public_id,
            rto=w.rto_a,
            file="claims/isolation.zip",
            file_name="isolation.zip",
            sha256="0" * 64,
            collection_year=2026,
            status="validated",
        )
        w.extra["claim_submission"] = sub
    return sub


def _batch_and_line(w):
    """An approved batch with one (unpaid) line of RTO A."""
    from pqs_claims.models import ClaimLine, PaymentBatch, PaymentLine

    if "batch" not in w.extra:
        sub = _submission(w).claim
        cl = ClaimLine.objects.create(
            rto=w.rto_a,
            submission=sub,
            line_number=1,
            client_identifier="C1",
            learner_key="NAME:X|?",
            subject_identifier="UNIT1",
            outcome="20",
            # a payment line references a lodged claim line of its RTO (database trigger)
            status="lodged",
            lodged_at=dt.datetime(2020, 1, 10, tzinfo=dt.UTC),
        )
        batch = PaymentBatch.objects.create(
            period="2020-01",
            cutoff=dt.datetime(2020, 1, 31, 13, 59, tzinfo=dt.UTC),
            run_by=w.dept_admin,
            status="calculated",
        )
        line = PaymentLine.objects.create(
            rto=w.rto_a,
            batch=batch,
            claim_line=cl,
            submission_public_id=sub.public_id,
            file_line_number=1,
            client_identifier="C1",
            subject_identifier="UNIT1",
            outcome="20",
            amount=Decimal("0"),
            status="NO_PRICE",
            explanation="Held for an officer.",
        )
        PaymentBatch.objects.filter(pk=batch.pk).update(status="approved", approved_by=w.officer)
        batch.refresh_from_db()
        w.extra["batch"], w.extra["payment_line"] = batch, line
    return w.extra["batch"], w.extra["payment_line"]


def _flagged_claim_line(w):
    """A lodged claim line of RTO A flagged ADJUSTMENT_REVIEW in a calculated batch."""
    from pqs_claims.models import ClaimLine, PaymentBatch, PaymentLine

    if "flagged_claim_line" not in w.extra:
        sub = _submission(w).claim
        cl = ClaimLine.objects.create(
            rto=w.rto_a,
            submission=sub,
            line_number=2,
            client_identifier="C1",
            learner_key="NAME:X|?",
            subject_identifier="UNIT2",
            training_contract_identifier="7654321",
            outcome="30",
            status="lodged",
            lodged_at=dt.datetime(2020, 3, 10, tzinfo=dt.UTC),
        )
        batch = PaymentBatch.objects.create(
            period="2020-03",
            cutoff=dt.datetime(2020, 3, 31, 13, 59, tzinfo=dt.UTC),
            run_by=w.dept_admin,
            status="calculated",
        )
        PaymentLine.objects.create(
            rto=w.rto_a,
            batch=batch,
            claim_line=cl,
            submission_public_id=sub.public_id,
            file_line_number=2,
            client_identifier="C1",
            subject_identifier="UNIT2",
            training_contract_identifier="7654321",
            outcome="30",
            amount=Decimal("0"),
            status="ALREADY_PAID",
            reasons=["ALREADY_PAID", "ADJUSTMENT_REVIEW"],
            explanation="Not paid: this unit was already paid on this training contract.",
        )
        w.extra["flagged_claim_line"] = cl
    return w.extra["flagged_claim_line"]


def _approval(w):
    from pqs_claims.models import FundingProgram, PqsApproval

    if "approval" not in w.extra:
        program = FundingProgram.objects.create(
            code="ISO1", name="Isolation", starts=dt.date(2025, 7, 1)
        )
        w.extra["approval"] = PqsApproval.objects.create(
            rto=w.rto_a,
            supplier_number="PQS-ISO",
            program=program,
            valid_from=dt.date(2025, 7, 1),
            qualification_codes=["CPC30220"],
            bsb="064-000",
            account_number="12345678",
            account_name="ISOLATION",
        )
    return w.extra["approval"]


ACT_ONLY = {
    # importing reference data: an officer grant with "act" or a department admin; the
    # matrix's officers have none (read grant / no grant)
    "anonymous": 302,
    "staff_a": 404,
    "staff_b": 404,
    "officer": 403,
    "officer_grant": 403,
}


def _rto(w):
    return {"rto_code": w.rto_a.code}


def _sub_kwargs(w):
    return {"rto_code": w.rto_a.code, "public_id": _submission(w).public_id}


def _stmt_kwargs(w):
    return {"rto_code": w.rto_a.code, "public_id": _batch_and_line(w)[0].public_id}


def _batch_kwargs(w):
    return {"public_id": _batch_and_line(w)[0].public_id}


CASES = [
    Case("claims:index", kwargs=_rto, get=rto_page()),
    Case(
        "claims:upload",
        kwargs=_rto,
        get=rto_page(grant=403),
        post=rto_page(ok=400, grant=403),
        data=lambda w: {},
    ),
    Case("claims:submission", kwargs=_sub_kwargs, get=rto_page()),
    Case(
        "claims:lodge",
        kwargs=_sub_kwargs,
        get=RTO_POST_ONLY,
        post=rto_page(ok=302, grant=403),
    ),
    Case("claims:statement", kwargs=_stmt_kwargs, get=rto_page()),
    Case("claims:statement_remittance", kwargs=_stmt_kwargs, get=rto_page()),
    Case(
        "payments:batch_list",
        get=dept_page(),
        post=DEPT_ACTION,
        data=lambda w: {"period": "2020-02"},
    ),
    Case("payments:batch_detail", kwargs=_batch_kwargs, get=dept_page()),
    Case(
        "payments:batch_line",
        kwargs=lambda w: {
            "public_id": _batch_and_line(w)[0].public_id,
            "line_id": _batch_and_line(w)[1].public_id,
        },
        get=dept_page(),
    ),
    Case("payments:batch_run", kwargs=_batch_kwargs, get=NO_GET, post=DEPT_ACTION),
    Case("payments:batch_approve", kwargs=_batch_kwargs, get=NO_GET, post=APPROVER_ONLY),
    Case("payments:batch_aba", kwargs=_batch_kwargs, get=NO_GET, post=APPROVER_ONLY),
    Case(
        "payments:batch_paid",
        kwargs=_batch_kwargs,
        get=NO_GET,
        post=APPROVER_ONLY,
        data=lambda w: {"paid_on": "01/02/2020"},
    ),
    Case("payments:batch_export", kwargs=_batch_kwargs, get=dept_page()),
    Case(
        "payments:batch_remittance",
        kwargs=lambda w: {"public_id": _batch_and_line(w)[0].public_id, "rto_code": w.rto_a.code},
        get=dept_page(),
    ),
    Case("payments:adjustment_reviews", get=dept_page()),
    Case(
        # recording a decision: a department admin or an officer grant with "act" for the
        # RTO; the matrix's officers have none (read grant / no grant)
        "payments:adjustment_review_resolve",
        kwargs=lambda w: {"public_id": _flagged_claim_line(w).public_id},
        get=NO_GET,
        post=ACT_ONLY,
        data=lambda w: {"decision": "accepted", "note": "isolation"},
    ),
    Case(
        "payments:approval_bank",
        kwargs=lambda w: {"public_id": _approval(w).public_id},
        get=dept_page(admin_only=True),
        post=dept_page(admin_only=True),
        data=lambda w: {
            "bsb": "064-001",
            "account_number": "999",
            "account_name": "X",
            "reason": "test",
        },
    ),
]
