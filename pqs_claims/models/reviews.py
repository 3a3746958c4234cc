"""Adjustment reviews of payment lines."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TenantOwnedModel, new_public_id

from .batches import PaymentLine
from .claims import ClaimLine


# ----------------------------------------------------------------- adjustment reviews
class AdjustmentReview(TenantOwnedModel):
    """An officer's decision on a claim line flagged ``ADJUSTMENT_REVIEW``
    (payment-rules.md §5 rule 5: a corrected re-lodgement of a unit already paid on the
    contract, whose outcome or dates changed; it is ``ALREADY_PAID`` and never pays twice).

    Keyed by the corrected **claim line** — lodged claim lines are immutable and survive
    recalculation, whereas a draft batch's payment lines are re-created by every run. One
    decision per claim line (unique), final once made (``adjustment_review_immutable``);
    recorded and audited by ``services.adjustment_review_resolve``. Neither decision pays
    or takes back money in this system: rule 5 never pays a unit twice, and a recovery is
    pursued by the department outside it.

    ``paid_line`` is the earlier PAID line the correction re-lodges (null when none is
    found). It keeps history like PROTECT, without a per-row FOREIGN KEY (see
    ``PaymentLine``: an FK or a Django-side PROTECT on it would add a check to each of the
    ~1M payment lines a recalculation deletes, and Django would load them to collect):
    ``adjustment_review_references`` accepts only a PAID line of an approved batch for the
    same contract and unit, and the lines of an approved batch can never be changed or
    deleted (``payment_line_frozen_*``), so the link cannot dangle. SET_NULL would have
    been the way to lose it.
    """

    class Decision(models.TextChoices):
        # the earlier payment stands; rule 5 never pays the unit twice
        ACCEPTED = "accepted", "Correction noted: no further payment"
        # pursued by the department outside this system; nothing changes here
        RECOVERY_REQUESTED = "recovery_requested", "Recovery of the earlier payment requested"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    claim_line = models.OneToOneField(
        ClaimLine, on_delete=models.PROTECT, related_name="adjustment_review"
    )
    paid_line = models.ForeignKey(
        PaymentLine,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField(max_length=2000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField()

    class Meta:
        ordering = ["-resolved_at"]
        constraints = [
            models.CheckConstraint(
                name="adjustment_review_decision",
                condition=Q(decision__in=["accepted", "recovery_requested"]),
            ),
            models.CheckConstraint(
                name="adjustment_review_note_required", condition=Q(note__regex=r"\S")
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="adjustment_review_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            pgtrigger.Trigger(
                name="adjustment_review_references",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                IF NOT EXISTS (SELECT 1 FROM pqs_claims_claimline c
                               WHERE c.id = NEW.claim_line_id AND c.rto_id = NEW.rto_id
                                 AND c.lodged_at IS NOT NULL) THEN
                    RAISE EXCEPTION 'adjustment review without a lodged claim line of its RTO'
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                IF NEW.paid_line_id IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM pqs_claims_paymentline p
                    JOIN pqs_claims_paymentbatch b ON b.id = p.batch_id
                    JOIN pqs_claims_claimline c ON c.id = NEW.claim_line_id
                    WHERE p.id = NEW.paid_line_id AND p.status = 'PAID' AND NOT p.voided
                      AND b.status IN ('approved', 'exported', 'paid')
                      AND p.training_contract_identifier = c.training_contract_identifier
                      AND p.subject_identifier = c.subject_identifier) THEN
                    RAISE EXCEPTION 'adjustment review paid line: not a PAID line of its unit'
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"Adjustment review: {self.get_decision_display()}"
