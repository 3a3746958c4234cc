"""Reads for the claims and payments pages. Tenant reads run inside the request's scope;
department reads that span RTOs say so with an explicit ``scopes_disabled``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Submission
from core.models import PublicHoliday

from .engine import STATUSES
from .models import (
    FROZEN_BATCH_STATUSES,
    AdjustmentReview,
    ClaimLine,
    ClaimSubmission,
    FundingProgram,
    Locality,
    LocationLoading,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
    PqsApproval,
    PriceListEntry,
    TrainingContract,
)
from .services import BRISBANE, batch_cutoff, previous_period


# ----------------------------------------------------------------- RTO side
def pqs_approvals_for(rto):
    return list(PqsApproval.objects.filter(rto=rto).select_related("program"))


def rto_claim_deadline(*, rto, now) -> dict | None:
    """The next claim cut-off of an RTO that is a Pre-Qualified Supplier today (a PQS
    approval current on ``now``'s Brisbane date), for its dashboard; ``None`` otherwise.

    The cut-off is 23:59 Brisbane on the month's last business day (payment-rules.md §5,
    ``services.batch_cutoff``); once it has passed, the next month's. ``lodged_at`` is
    when the RTO last lodged a claim in that month (``None``: not yet). Two queries.
    """

    local = timezone.localtime(now, BRISBANE)
    today = local.date()
    current = (
        PqsApproval.objects.filter(rto=rto, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .exists()
    )
    if not current:
        return None
    month = today.replace(day=1)
    cutoff = batch_cutoff(f"{month:%Y-%m}")
    if now > cutoff:
        month = (month + dt.timedelta(days=32)).replace(day=1)
        cutoff = batch_cutoff(f"{month:%Y-%m}")
    last = (
        ClaimSubmission.objects.filter(
            rto=rto, status=ClaimSubmission.Status.LODGED, lodged_at__gte=_month_start(month)
        )
        .order_by("-lodged_at")
        .values_list("lodged_at", flat=True)
        .first()
    )
    return {
        "month": month,
        "cutoff": cutoff,
        "days_left": (cutoff.date() - today).days,
        "lodged_at": last,
    }


def _month_start(month: dt.date) -> dt.datetime:

    return dt.datetime(month.year, month.month, 1, tzinfo=BRISBANE)


def claim_submission_list(*, rto):
    """The RTO's claim uploads (``achievements.Submission`` of kind claim) with their claim
    (None until validated), newest first."""

    return (
        Submission.objects.filter(rto=rto, kind=Submission.Kind.CLAIM)
        .select_related("uploaded_by", "claim")
        .order_by("-id")
    )


def claim_submission_get_for_rto(*, rto, public_id: str):
    """A claim upload of this RTO by public id (404 otherwise: another RTO's is not yours)."""
    sub = claim_submission_list(rto=rto).filter(public_id=public_id).first()
    if sub is None:
        raise Http404
    return sub


#: Lines shown on a claim's page by learner and contract (the totals cover every line).
ESTIMATE_LINES_SHOWN = 2000


def claim_estimate_groups(sub: ClaimSubmission, *, limit: int = ESTIMATE_LINES_SHOWN) -> list[dict]:
    """The first ``limit`` lines grouped by learner and contract with their estimated value."""
    groups: dict = {}
    for ln in ClaimLine.objects.filter(submission=sub).order_by("line_number")[:limit]:
        key = (ln.client_identifier, ln.training_contract_identifier)
        g = groups.setdefault(
            key,
            {
                "client": ln.client_identifier,
                "learner": f"{ln.given_names} {ln.family_name}".strip(),
                "contract": ln.training_contract_identifier,
                "lines": [],
                "estimate": Decimal("0.00"),
            },
        )
        g["lines"].append(ln)
        if ln.amount_estimate:
            g["estimate"] += ln.amount_estimate
    return list(groups.values())


def statements_for(*, rto):
    """Batches with lines of this RTO; PQS staff see a month once it is approved."""
    ids = PaymentLine.objects.filter(rto=rto).values("batch_id").distinct()
    out = []
    for b in PaymentBatch.objects.filter(id__in=ids, status__in=FROZEN_BATCH_STATUSES):
        agg = PaymentLine.objects.filter(rto=rto, batch=b).aggregate(
            n=Count("id"), paid=Count("id", filter=Q(status="PAID")), total=Sum("amount")
        )
        out.append({"batch": b, **agg})
    return out


def statement_batch_get(*, public_id: str) -> PaymentBatch:
    batch = PaymentBatch.objects.filter(
        public_id=public_id, status__in=FROZEN_BATCH_STATUSES
    ).first()
    if batch is None:
        raise Http404
    return batch


# ----------------------------------------------------------------- department side
def batch_get(*, public_id: str) -> PaymentBatch:
    batch = (
        PaymentBatch.objects.filter(public_id=public_id)
        .select_related("run_by", "approved_by")
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def batch_list():
    return PaymentBatch.objects.select_related("run_by", "approved_by").order_by("-period")


def batch_summary(batch: PaymentBatch) -> dict:
    """Totals by PQS, reason and program, and the same for the previous month. Spans every
    RTO of the batch on purpose (department view): scopes disabled."""

    def totals(b):
        if b is None:
            return {"by_rto": {}, "by_status": {}, "by_program": {}}
        lines = PaymentLine.objects.filter(batch=b)
        return {
            "by_rto": {
                r["rto__code"]: r
                for r in lines.values("rto__code", "rto__legal_name")
                .annotate(
                    n=Count("id"), paid=Count("id", filter=Q(status="PAID")), total=Sum("amount")
                )
                .order_by("rto__code")
            },
            "by_status": {
                r["status"]: r
                for r in lines.values("status").annotate(
                    n=Count("id"),
                    total=Sum("amount"),
                    review=Count("id", filter=Q(reasons__contains=[ADJUSTMENT_REVIEW])),
                )
            },
            "by_program": {
                (r["funding_program"] or "—", r["program_identifier"] or "—"): r
                for r in lines.values("funding_program", "program_identifier")
                .annotate(n=Count("id"), total=Sum("amount"))
                .order_by("funding_program", "program_identifier")
            },
        }

    with scopes_disabled():
        prev = PaymentBatch.objects.filter(period=previous_period(batch.period)).first()
        now, before = totals(batch), totals(prev)
        # chunks the stalled-work sweep gave up on: the batch stays a draft until recalculated
        failures = list(
            PaymentBatchChunk.objects.filter(
                batch=batch, status=PaymentBatchChunk.Status.FAILED
            ).values_list("failure", flat=True)
        )

    def rows(kind):
        keys = list(now[kind]) + [k for k in before[kind] if k not in now[kind]]
        out = []
        for k in keys:
            cur = now[kind].get(k, {})
            old = before[kind].get(k, {})
            total = cur.get("total") or Decimal("0")
            prev_total = old.get("total") or Decimal("0")
            out.append(
                {
                    "key": k,
                    "label": cur.get("rto__legal_name") or old.get("rto__legal_name") or "",
                    "n": cur.get("n", 0),
                    "paid": cur.get("paid", 0),
                    "total": total,
                    "prev_n": old.get("n", 0),
                    "prev_total": prev_total,
                    "change": total - prev_total,
                }
            )
        return out

    return {
        "previous": prev,
        "failures": failures,
        # counted in the by-status pass (ADJUSTMENT_REVIEW only rides on ALREADY_PAID lines)
        "adjustment_reviews": sum(r.get("review", 0) for r in now["by_status"].values()),
        "by_rto": rows("by_rto"),
        "by_status": sorted(rows("by_status"), key=lambda r: _status_order(r["key"])),
        "by_program": rows("by_program"),
    }


def _status_order(status: str) -> int:

    return STATUSES.index(status) if status in STATUSES else len(STATUSES)


def _filter_lines(qs, *, rto_code: str, program: str, q: str):
    """The officers' line filters: PQS, qualification, and a contract / unit / client."""
    if rto_code:
        qs = qs.filter(rto__code=rto_code)
    if program:
        qs = qs.filter(program_identifier__iexact=program)
    if q:
        qs = qs.filter(
            Q(training_contract_identifier=q)
            | Q(subject_identifier__iexact=q)
            | Q(client_identifier=q)
        )
    return qs


def batch_lines(batch: PaymentBatch, *, status="", rto_code="", program="", q=""):
    """Lines of a batch with filters (department, every RTO: scopes disabled)."""
    with scopes_disabled():
        qs = PaymentLine.objects.filter(batch=batch).select_related("rto")
        if status:
            qs = qs.filter(status=status)
        qs = _filter_lines(qs, rto_code=rto_code, program=program, q=q)
        return list(
            qs.order_by("rto__code", "training_contract_identifier", "activity_end_date", "id")[
                :5000
            ]
        )


ADJUSTMENT_REVIEW = "ADJUSTMENT_REVIEW"


def _flagged_lines():
    return PaymentLine.objects.filter(
        status="ALREADY_PAID", reasons__contains=[ADJUSTMENT_REVIEW], voided=False
    )


def _decided():
    """Has the flagged line's claim line a recorded decision (``AdjustmentReview``)?"""
    return Exists(AdjustmentReview.objects.filter(claim_line_id=OuterRef("claim_line_id")))


def adjustment_reviews(
    *,
    period: str = "",
    rto_code: str = "",
    program: str = "",
    q: str = "",
    state: str = "unresolved",
):
    """Lines flagged ``ADJUSTMENT_REVIEW`` (payment-rules.md §5 rule 5): a corrected
    re-lodgement of a unit already paid on the contract, whose outcome or dates differ from
    the paid line's. They are ``ALREADY_PAID`` (never paid twice) and wait for an officer's
    decision (``AdjustmentReview``, keyed by the claim line). ``state``: ``unresolved``
    (no decision yet, the default), ``resolved`` or ``all``.
    Department view across every RTO and batch: scopes disabled. Newest batch first."""
    with scopes_disabled():
        qs = (
            _flagged_lines()
            .select_related("rto", "batch")
            .annotate(claim_line_public_id=F("claim_line__public_id"))
        )
        if state == "resolved":
            qs = qs.filter(_decided())
        elif state != "all":
            qs = qs.filter(~_decided())
        if period:
            qs = qs.filter(batch__period=period)
        qs = _filter_lines(qs, rto_code=rto_code, program=program, q=q)
        return qs.order_by(
            "-batch__period",
            "rto__code",
            "training_contract_identifier",
            "subject_identifier",
            "id",
        )


def adjustment_review_counts():
    """Flagged lines per batch month (``n``) and how many still wait for a decision
    (``unresolved``), newest first (for the filter and the summary). One query."""
    with scopes_disabled():
        return list(
            _flagged_lines()
            .values("batch__period", "batch__public_id")
            .annotate(n=Count("id"), unresolved=Count("id", filter=~_decided()))
            .order_by("-batch__period")
        )


def adjustment_review_line_get(claim_line_public_id: str) -> PaymentLine:
    """The flagged line of the claim line with this public id (the newest batch's, if a
    draft re-flags it), with its claim line; 404 when the claim line is unknown or not
    flagged. Department view: scopes disabled."""
    with scopes_disabled():
        line = (
            _flagged_lines()
            .filter(claim_line__public_id=claim_line_public_id)
            .select_related("rto", "batch", "claim_line")
            .annotate(claim_line_public_id=F("claim_line__public_id"))
            .order_by("-batch__period")
            .first()
        )
    if line is None:
        raise Http404
    return line


def with_paid_lines(lines: list[PaymentLine]) -> list[dict]:
    """Each flagged line beside the earlier PAID line of the same unit and contract (one
    query; at most one such line: the paid-once constraint), what changed, and the
    officer's decision if one was recorded (one query)."""
    keys = {(ln.training_contract_identifier, ln.subject_identifier) for ln in lines}
    paid: dict = {}
    reviews: dict = {}
    if keys:
        contracts = {k[0] for k in keys}
        units = {k[1] for k in keys}
        with scopes_disabled():
            for p in PaymentLine.objects.filter(
                status="PAID",
                voided=False,
                training_contract_identifier__in=contracts,
                subject_identifier__in=units,
            ).select_related("batch"):
                paid[(p.training_contract_identifier, p.subject_identifier)] = p
            reviews = {
                r.claim_line_id: r
                for r in AdjustmentReview.objects.filter(
                    claim_line_id__in={ln.claim_line_id for ln in lines}
                ).select_related("resolved_by")
            }
    out = []
    for ln in lines:
        p = paid.get((ln.training_contract_identifier, ln.subject_identifier))
        changed = []
        if p is not None:
            for name, label in (
                ("outcome", "outcome"),
                ("activity_start_date", "start date"),
                ("activity_end_date", "end date"),
            ):
                if getattr(p, name) != getattr(ln, name):
                    changed.append(label)
        out.append(
            {"line": ln, "paid": p, "changed": changed, "review": reviews.get(ln.claim_line_id)}
        )
    return out


def batch_line_get(batch: PaymentBatch, public_id: str) -> PaymentLine:
    with scopes_disabled():
        line = (
            PaymentLine.objects.filter(batch=batch, public_id=public_id)
            .select_related("rto", "claim_line")
            .first()
        )
    if line is None:
        raise Http404
    return line


def reference_rows(kind: str, q: str = ""):
    """Reference data for the department's browse pages (not tenant data, except PQS
    approvals, read across RTOs on purpose)."""
    q = q.strip()
    if kind == "programs":
        qs = FundingProgram.objects.all()
        return qs.filter(Q(code__icontains=q) | Q(name__icontains=q)) if q else qs
    if kind == "prices":
        qs = PriceListEntry.objects.select_related("program")
        return qs.filter(qualification_code__icontains=q) if q else qs
    if kind == "localities":
        qs = LocationLoading.objects.select_related("program")
        return qs.filter(Q(postcode__startswith=q) | Q(locality__icontains=q)) if q else qs
    if kind == "locality-list":
        qs = Locality.objects.all()
        return qs.filter(Q(postcode__startswith=q) | Q(locality__icontains=q)) if q else qs
    if kind == "contracts":
        qs = TrainingContract.objects.prefetch_related("srto_periods")
        return (
            qs.filter(Q(delta_number=q) | Q(qualification_code__iexact=q) | Q(srto_code=q))
            if q
            else qs
        )
    if kind == "holidays":
        qs = PublicHoliday.objects.all()
        if q:
            match = Q(name__icontains=q) | Q(jurisdiction__iexact=q)
            if q.isdigit() and len(q) == 4:
                match |= Q(date__year=int(q))
            qs = qs.filter(match)
        return qs
    if kind == "approvals":
        with scopes_disabled():
            qs = PqsApproval.objects.select_related("rto", "program")
            if q:
                qs = qs.filter(Q(rto__code=q) | Q(supplier_number__icontains=q))
            return list(qs)
    raise Http404


def approval_get(public_id: str) -> PqsApproval:
    with scopes_disabled():
        a = PqsApproval.objects.filter(public_id=public_id).select_related("rto", "program").first()
    if a is None:
        raise Http404
    return a


def department_claims_overview(*, today) -> dict:
    """Claims lodged vs expected this month and the newest batch (department overview).

    Expected: RTOs with a PQS approval current today. Lodged: those of them that lodged a
    claim this month. Three aggregate queries, whatever the number of RTOs or lines (the
    batch's totals are stored on the batch when it is calculated).
    """

    period = f"{today:%Y-%m}"
    first = today.replace(day=1)
    with scopes_disabled():
        current = PqsApproval.objects.filter(valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
        expected = current.values("rto_id").distinct().count()
        lodged = (
            ClaimSubmission.objects.filter(
                status=ClaimSubmission.Status.LODGED,
                lodged_at__date__gte=first,
                rto_id__in=current.values("rto_id"),
            )
            .values("rto_id")
            .distinct()
            .count()
        )
        latest = PaymentBatch.objects.order_by("-period").first()
    return {
        "period": period,
        "cutoff": batch_cutoff(period),
        "expected": expected,
        "lodged": lodged,
        "latest_batch": latest,
    }


def claims_waiting() -> dict | None:
    """The month whose lodged claims wait for a payment batch (department overview).

    Lines lodged after the cut-off of the newest approved (or exported, paid) batch are
    waiting; they fall in the batch of the month whose cut-off (23:59 on its last business
    day, payment-rules.md) is the first on or after their lodgement. Answers that month,
    how many lines and PQSs wait, and its batch if one has been run; None when nothing
    waits. Two aggregate queries.
    """

    with scopes_disabled():
        done_until = PaymentBatch.objects.filter(status__in=FROZEN_BATCH_STATUSES).aggregate(
            c=Max("cutoff")
        )["c"]
        lines = ClaimLine.objects.filter(lodged_at__isnull=False)
        if done_until is not None:
            lines = lines.filter(lodged_at__gt=done_until)
        agg = lines.aggregate(
            first=Min("lodged_at"), n=Count("id"), rtos=Count("rto_id", distinct=True)
        )
        if not agg["n"]:
            return None
        lodged = agg["first"].astimezone(BRISBANE)
        period = f"{lodged:%Y-%m}"
        if agg["first"] > batch_cutoff(period):
            nxt = (lodged.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            period = f"{nxt:%Y-%m}"
        batch = PaymentBatch.objects.filter(period=period).first()
    return {
        "period": period,
        "month": dt.date(int(period[:4]), int(period[5:]), 1),
        "lines": agg["n"],
        "rtos": agg["rtos"],
        "batch": batch,
    }
