"""Adjustment reviews: an officer's decision on a lodged correction of a paid line."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import OfficerGrant
from core.audit import audit_record
from core.errors import ApplicationError

from ..models import (
    FROZEN_BATCH_STATUSES,
    AdjustmentReview,
    ClaimLine,
    PaymentLine,
)

ADJUSTMENT_REVIEW = "ADJUSTMENT_REVIEW"
ADJUSTMENT_NOTE_MAX = 2000


def adjustment_review_resolvable_rtos(user) -> tuple[bool, frozenset[int]]:
    """The RTOs whose flagged lines ``user`` may decide: ``(every RTO, RTO ids)``.

    Department admins decide for every RTO; a department officer needs a current officer
    grant with "act" (the grant that lets an officer change an RTO's records,
    ``rtos.access``; a read-only grant does not) covering the claim's RTO — all RTOs or
    naming it. Anyone else: none. Two queries at most, for a whole page of lines."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False, frozenset()
    if not user.is_department:
        return False, frozenset()
    if user.is_department_admin:
        return True, frozenset()

    now = timezone.now()
    grants = list(
        OfficerGrant.objects.filter(user=user, revoked_at__isnull=True, can_act=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .prefetch_related("rtos")
    )
    if any(g.all_rtos for g in grants):
        return True, frozenset()
    return False, frozenset(r.pk for g in grants for r in g.rtos.all())


def adjustment_review_can_resolve(user, rto_id: int | None = None) -> bool:
    """May ``user`` record adjustment-review decisions (for the RTO ``rto_id``; without
    it: for some RTO)? See :func:`adjustment_review_resolvable_rtos`."""
    every, rto_ids = adjustment_review_resolvable_rtos(user)
    if rto_id is None:
        return every or bool(rto_ids)
    return every or rto_id in rto_ids


def adjustment_review_paid_line(claim_line: ClaimLine) -> PaymentLine | None:
    """The earlier PAID line of the claim line's unit on its training contract (at most one:
    ``unit_paid_once_per_contract``), in an approved batch — the line a correction flagged
    ``ADJUSTMENT_REVIEW`` re-lodges (payment-rules.md §5 rule 5). Paid to any RTO (a
    contract may change supervising RTO), hence scopes_disabled."""
    if not claim_line.training_contract_identifier:
        return None
    with scopes_disabled():
        return (
            PaymentLine.objects.filter(
                status="PAID",
                voided=False,
                training_contract_identifier=claim_line.training_contract_identifier,
                subject_identifier=claim_line.subject_identifier,
                batch__status__in=FROZEN_BATCH_STATUSES,
            )
            .select_related("batch")
            .first()
        )


def adjustment_review_resolve(*, claim_line: ClaimLine, paid_line, actor, decision: str, note: str):
    """Record an officer's decision on a line flagged ``ADJUSTMENT_REVIEW`` (payment-rules.md
    §5 rule 5: a corrected re-lodgement of a paid unit whose outcome or dates changed; it
    is ``ALREADY_PAID`` and is never paid twice).

    The decision is one of ``AdjustmentReview.Decision`` — the correction is noted and the
    earlier payment stands (nothing more is paid), or the department will seek recovery of
    the earlier payment outside this system — with a required note. Neither changes a
    payment line or a batch. One decision per claim line (unique; a second is refused)
    and final (database trigger); ``paid_line`` must be the unit's PAID line
    (:func:`adjustment_review_paid_line`, None when there is none). Audited with the actor
    and the note. Raises ``ApplicationError`` with a message for the officer."""

    note = (note or "").strip()
    if decision not in AdjustmentReview.Decision.values:
        raise ApplicationError("Choose a decision.")
    if not note:
        raise ApplicationError("Write a note: what was checked with the RTO and why.")
    if len(note) > ADJUSTMENT_NOTE_MAX:
        raise ApplicationError(f"Keep the note to {ADJUSTMENT_NOTE_MAX:,} characters.")
    if not adjustment_review_can_resolve(actor, claim_line.rto_id):
        raise ApplicationError(
            "Recording a decision needs a department admin or an officer grant with act"
            " permission for this RTO."
        )
    # Department action across RTOs (the paid line may be another RTO's): scopes disabled.
    with transaction.atomic(), scopes_disabled():
        flagged = (
            PaymentLine.objects.filter(
                claim_line=claim_line,
                status="ALREADY_PAID",
                reasons__contains=[ADJUSTMENT_REVIEW],
                voided=False,
            )
            .select_related("batch")
            .order_by("-batch__period")
            .first()
        )
        if flagged is None:
            raise ApplicationError("This claim line is not flagged for an adjustment review.")
        expected = adjustment_review_paid_line(claim_line)
        if getattr(paid_line, "pk", None) != getattr(expected, "pk", None):
            raise ApplicationError(
                "That is not the paid line of this unit and contract; reload the page."
            )
        existing = AdjustmentReview.objects.filter(claim_line=claim_line)
        if existing.exists():
            raise ApplicationError("A decision was already recorded for this line; it is final.")
        try:
            with transaction.atomic():
                review = AdjustmentReview.objects.create(
                    rto_id=claim_line.rto_id,
                    claim_line=claim_line,
                    paid_line=expected,
                    decision=decision,
                    note=note,
                    resolved_by=actor,
                    resolved_at=timezone.now(),
                )
        except IntegrityError:
            if existing.exists():  # another officer's decision committed first
                raise ApplicationError(
                    "A decision was already recorded for this line; it is final."
                ) from None
            raise
        audit_record(
            "adjustment_review.resolve",
            actor=actor,
            rto=claim_line.rto_id,
            obj=review,
            extra={
                "decision": decision,
                "note": note,
                "claim_line": claim_line.public_id,
                "flagged_line": flagged.public_id,
                "batch": flagged.batch.period,
                "paid_line": getattr(expected, "public_id", None),
                "contract": claim_line.training_contract_identifier,
                "unit": claim_line.subject_identifier,
            },
        )
    return review


# ---------------------------------------------------------------------------- stalled work
