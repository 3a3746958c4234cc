"""Monthly payment batches, their chunks and payment lines (payment-rules.md §6)."""

from __future__ import annotations

import secrets
import time
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.models import TenantOwnedModel, new_public_id

from .claims import ClaimLine

# ----------------------------------------------------------------- payments
FROZEN_BATCH_STATUSES = ("approved", "exported", "paid")


class PaymentBatch(models.Model):
    """The department's payment run for one month (period YYYY-MM)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        CALCULATED = "calculated", "Calculated"
        APPROVED = "approved", "Approved"
        EXPORTED = "exported", "Exported"
        PAID = "paid", "Paid"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    period = models.CharField(max_length=7, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cutoff = models.DateTimeField()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    run_started_at = models.DateTimeField(null=True, blank=True)
    calculated_at = models.DateTimeField(null=True, blank=True)
    run_count = models.PositiveIntegerField(default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    export_id = models.CharField(max_length=32, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    paid_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(
                name="batch_period_format", condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
            ),
            models.CheckConstraint(
                name="batch_maker_checker",
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("run_by")),
            ),
            models.CheckConstraint(
                name="batch_approved_has_approver",
                condition=~Q(status__in=FROZEN_BATCH_STATUSES)
                | Q(approved_by__isnull=False, run_by__isnull=False),
            ),
        ]
        triggers = [
            # Once approved, the money cannot change: only the later workflow stamps may.
            pgtrigger.Protect(
                name="batch_frozen_after_approval",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status__in=FROZEN_BATCH_STATUSES)
                & (
                    pgtrigger.Q(old__total_amount__df=pgtrigger.F("new__total_amount"))
                    | pgtrigger.Q(old__line_count__df=pgtrigger.F("new__line_count"))
                    | pgtrigger.Q(old__paid_count__df=pgtrigger.F("new__paid_count"))
                    | pgtrigger.Q(old__run_by_id__df=pgtrigger.F("new__run_by_id"))
                    | pgtrigger.Q(old__approved_by_id__df=pgtrigger.F("new__approved_by_id"))
                    | pgtrigger.Q(old__cutoff__df=pgtrigger.F("new__cutoff"))
                    | pgtrigger.Q(old__period__df=pgtrigger.F("new__period"))
                    | pgtrigger.Q(new__status__in=("draft", "calculated"))
                ),
            ),
            pgtrigger.Protect(
                name="batch_no_delete_after_approval",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status__in=FROZEN_BATCH_STATUSES),
            ),
            # The delete side of PaymentLine.batch (which has no per-row FOREIGN KEY, see
            # there): a batch with lines cannot be deleted. Locking the row before this
            # runs waits for a transaction inserting lines (it holds FOR KEY SHARE on the
            # batch), and the query then sees its committed lines (READ COMMITTED).
            pgtrigger.Trigger(
                name="batch_no_delete_with_lines",
                operation=pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF EXISTS (SELECT 1 FROM pqs_claims_paymentline l WHERE l.batch_id = OLD.id) THEN
                    RAISE EXCEPTION 'payment batch % still has payment lines', OLD.period
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN OLD;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"Payment batch {self.period}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_BATCH_STATUSES

    @property
    def is_preview(self) -> bool:
        """Calculated before its cut-off (payment-rules.md §5): a preview of the current
        month, recalculated as lodgements arrive; it cannot be approved yet."""

        return not self.is_frozen and timezone.now() <= self.cutoff


class PaymentBatchChunk(TenantOwnedModel):
    """The unit of work of a calculation: one RTO of one batch (one transaction).

    pending → done, or failed: the stalled-work sweep restarted it ``attempts`` times
    (``core.leases.MAX_ATTEMPTS``) and it never finished; ``failure`` says so and the batch
    page shows it (Recalculate starts the batch afresh)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="chunks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    run_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # restarts by the stalled sweep
    failure = models.TextField(blank=True)  # status "failed": what went wrong, what to do

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "rto"], name="batch_chunk_key")]


# The references of inserted / updated payment lines (PaymentLine docstring), checked in
# the statement-level triggers. The batch is locked FOR KEY SHARE once per statement, as a
# FOREIGN KEY check locks it per row.
_LINE_REFERENCES_SQL = """
                    PERFORM 1 FROM pqs_claims_paymentbatch b
                    WHERE b.id IN (SELECT r.batch_id FROM new_rows r) FOR KEY SHARE;
                    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM new_rows) r
                               WHERE NOT EXISTS (SELECT 1 FROM pqs_claims_paymentbatch b
                                                 WHERE b.id = r.batch_id)) THEN
                        RAISE EXCEPTION 'payment line of a payment batch that does not exist'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;
                    IF EXISTS (SELECT 1 FROM new_rows r
                               WHERE NOT EXISTS (
                                   SELECT 1 FROM pqs_claims_claimline c
                                   WHERE c.id = r.claim_line_id AND c.rto_id = r.rto_id
                                     AND c.lodged_at IS NOT NULL)) THEN
                        RAISE EXCEPTION 'payment line without a lodged claim line of its RTO'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;"""


def new_line_public_id() -> str:
    """Opaque, time-ordered id of a payment line: 48-bit Unix milliseconds then 80 random
    bits, 32 hex digits (UUIDv7's layout without the version bits). Unguessable like
    ``core.new_public_id``, but consecutive lines land next to each other in the unique
    index instead of on a random page of it (a monthly calculation inserts ~1M lines).
    ``batch_sql`` builds the same shape in SQL."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


class PaymentLine(TenantOwnedModel):
    """One claim line's determination in one batch (payment-rules.md §6).

    References without per-row FOREIGN KEY checks. A monthly calculation inserts ~1M lines
    and an FK check is a query plus a row lock per line and key — locking every referenced
    claim line rewrites (and WAL-logs) every page of the claim line table each month. The
    same guarantees are checked once per INSERT/UPDATE statement by the
    ``payment_line_frozen_*`` triggers below, set-based over the transition table:

    * ``batch``: the batch exists and is not frozen; the trigger locks it FOR KEY SHARE as
      an FK check would, and ``PaymentBatch``'s ``batch_no_delete_with_lines`` trigger is
      the delete side;
    * ``claim_line`` and ``rto``: the claim line exists, is lodged and belongs to the same
      RTO — stronger than the two FKs (a line can no longer point at another tenant's claim).
      No lock is needed: a lodged claim line cannot be deleted nor change RTO or lodgement
      (``ClaimLine`` triggers), and the RTO exists because the claim line's own FK holds.
    """

    FINAL_STATUSES = (
        "PAID",
        "INVALID",
        "LATE_REPORT",
        "PREVIOUSLY_COMPLETED",
        "ALREADY_PAID",
        "OVER_MAX_UNITS",
        "OUTCOME_NOT_PAYABLE",
    )
    OPEN_STATUSES = ("NOT_FINALISED", "NO_PRICE")

    # Unique through Meta.constraints, not unique=True: Django would add a second,
    # varchar_pattern_ops ("_like") index for LIKE queries nobody makes.
    public_id = models.CharField(max_length=32, default=new_line_public_id, editable=False)
    # Indexes: every one is paid for by each of the ~1M lines a monthly calculation inserts
    # (bench/payment_batch.py). No single-column index on batch / claim_line / status: the
    # (batch, rto, status) index and the (claim_line, batch) unique index serve those
    # lookups. rto keeps its index (an RTO's statements list its batches).
    rto = models.ForeignKey(
        "rtos.Rto", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    batch = models.ForeignKey(
        PaymentBatch,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    claim_line = models.ForeignKey(
        ClaimLine,
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,
        db_constraint=False,
    )
    submission_public_id = models.CharField(max_length=32)
    file_line_number = models.PositiveIntegerField()
    client_identifier = models.CharField(max_length=10)
    learner_name = models.CharField(max_length=130, blank=True)
    subject_identifier = models.CharField(max_length=12)
    program_identifier = models.CharField(max_length=10, blank=True)
    funding_program = models.CharField(max_length=20, blank=True)
    training_contract_identifier = models.CharField(max_length=10, blank=True)
    activity_start_date = models.DateField(null=True, blank=True)
    activity_end_date = models.DateField(null=True, blank=True)
    lodgement_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=2)
    contribution = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    designated_units = models.PositiveIntegerField(null=True, blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    unit_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    delivery_loading_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    residential_loading_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    applied_loading_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    outcome_factor = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(max_length=30)
    reasons = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    explanation = models.TextField()
    counts_to_max = models.BooleanField(default=False)
    voided = models.BooleanField(default=False)

    class Meta:
        ordering = ["batch_id", "rto_id", "training_contract_identifier", "activity_end_date", "id"]
        indexes = [
            models.Index(fields=["batch", "rto", "status"]),
            models.Index(fields=["training_contract_identifier", "subject_identifier"]),
            # The officers' adjustment-review list (a handful of lines among millions): a
            # partial index holds only the flagged lines, so it costs a batch nothing else.
            models.Index(
                fields=["batch"],
                name="payment_line_adj_review",
                condition=Q(status="ALREADY_PAID", reasons__contains=["ADJUSTMENT_REVIEW"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="payment_line_public_id"),
            # claim_line first: it is also the index of "was this claim line decided before"
            models.UniqueConstraint(fields=["claim_line", "batch"], name="payment_line_per_claim"),
            models.UniqueConstraint(
                fields=["training_contract_identifier", "subject_identifier"],
                condition=Q(status="PAID", voided=False),
                name="unit_paid_once_per_contract",
            ),
            models.CheckConstraint(
                name="payment_amount_only_when_paid",
                condition=Q(status="PAID") | Q(amount=Decimal("0")),
            ),
        ]
        triggers = [
            # Statement-level (transition tables): one set-based check per INSERT/COPY,
            # UPDATE or DELETE statement, not one per row — the frozen batch, and the
            # references (class docstring) that per-row FOREIGN KEYs would check.
            *(
                pgtrigger.Trigger(
                    name=f"payment_line_frozen_{op_name}",
                    operation=op,
                    when=pgtrigger.After,
                    level=pgtrigger.Statement,
                    referencing=pgtrigger.Referencing(**ref),
                    func=f"""
                    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM {rows}) r
                               JOIN pqs_claims_paymentbatch b ON b.id = r.batch_id
                               WHERE b.status IN ('approved', 'exported', 'paid')) THEN
                        RAISE EXCEPTION 'payment batch is approved and frozen'
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    {_LINE_REFERENCES_SQL if op_name != "delete" else ""}
                    RETURN NULL;
                    """,
                )
                for op_name, op, ref, rows in (
                    ("insert", pgtrigger.Insert, {"new": "new_rows"}, "new_rows"),
                    (
                        "update",
                        pgtrigger.Update,
                        {"old": "old_rows", "new": "new_rows"},
                        # The alias is required before PostgreSQL 16.
                        "(SELECT batch_id FROM old_rows UNION ALL SELECT batch_id FROM new_rows)"
                        " AS changed",
                    ),
                    ("delete", pgtrigger.Delete, {"old": "old_rows"}, "old_rows"),
                )
            ),
        ]
