"""User Choice claims and monthly payments (payment-rules.md).

Reference data (funding programs, price list, localities, loadings, training contracts) is
the department's and is not tenant data; a PQS approval belongs to an RTO. Claim
submissions, claim lines and payment lines belong to the RTO that lodged them.

Database-enforced safety (issue 6 "Safety"):

* a lodged claim line cannot be edited or deleted (pgtrigger), only superseded;
* a payment batch is run by one officer and approved by another (CHECK constraint);
* an approved batch is frozen: its lines refuse INSERT/UPDATE/DELETE and its money
  fields refuse UPDATE (pgtrigger);
* a unit is paid at most once per training contract: partial UNIQUE index on
  ``(training_contract_identifier, subject_identifier) WHERE status = 'PAID' AND NOT voided``;
* a PQS approval's paying account (BSB, number, name) refuses UPDATE except inside
  ``bank_accounts.bank_change_verify`` (pgtrigger, ignored only there): every change goes
  through a ``BankAccountChange`` verified by a second person (issue 14);
* a payment line references an existing, unfrozen batch and a lodged claim line of its own
  RTO: checked once per statement by the payment line triggers (see ``PaymentLine``);
* a claim line is in a claim submission of its own RTO and supersedes only a lodged line of
  its RTO: checked once per statement by the claim line triggers (see ``ClaimLine``).
"""

from __future__ import annotations

import re
import secrets
import time
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from core.models import TenantOwnedModel, new_public_id

BSB_RE = re.compile(r"^\d{3}-\d{3}$")
ACCOUNT_RE = re.compile(r"^\d{1,9}$")


def validate_bsb(value: str) -> None:
    if not BSB_RE.match(value or ""):
        raise ValidationError("A BSB is six digits written nnn-nnn, e.g. 064-000.")


def validate_account_number(value: str) -> None:
    if not ACCOUNT_RE.match(value or ""):
        raise ValidationError("An account number is 1 to 9 digits.")


def mask_account(number: str) -> str:
    """Only the last three digits are ever shown outside the edit page."""
    number = number or ""
    return "•" * max(len(number) - 3, 0) + number[-3:]


# ----------------------------------------------------------------- reference data
class FundingProgram(models.Model):
    """One version of a User Choice program with its parameters (payment-rules.md §4)."""

    class LoadingBasis(models.TextChoices):
        MAX = "MAX", "Higher of delivery and residence"
        DELIVERY = "DELIVERY", "Delivery location"
        RESIDENCE = "RESIDENCE", "Residence"
        SUM = "SUM", "Sum of both"

    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    state_fund_source_codes = ArrayField(models.CharField(max_length=3), default=list)
    max_report_lag_days = models.PositiveIntegerField(default=90)
    loading_basis = models.CharField(
        max_length=10, choices=LoadingBasis.choices, default=LoadingBasis.MAX
    )
    # outcome code -> "1", "0", a decimal, "HOURS" (pro-rata) or "HELD"
    outcome_factors = models.JSONField(default=dict)
    ct_counts_to_max = models.BooleanField(default=True)
    ppg_uses_ppg_price = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["code", "starts"], name="funding_program_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceListEntry(models.Model):
    """A qualification's price (payment-rules.md §1). ``measure`` says whether the
    designated number (the divisor) and the maximum payable (the cap) count units of
    competency or points (a points-priced qualification's units have ``UnitPoints``)."""

    class Measure(models.TextChoices):
        UNITS = "UNITS", "Units of competency"
        POINTS = "POINTS", "Points"

    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="prices")
    qualification_code = models.CharField(max_length=10)
    contribution = models.DecimalField(max_digits=12, decimal_places=2)
    ppg_contribution = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    designated_units = models.PositiveIntegerField(
        help_text="The designated number of units or points: divides the contribution."
    )
    max_payable = models.PositiveIntegerField(
        help_text="The maximum payable units or points of a contract (the cap, §5 rule 6);"
        " the designated number when not given."
    )
    measure = models.CharField(max_length=6, choices=Measure.choices, default=Measure.UNITS)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program__code", "qualification_code", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "qualification_code", "effective_from"], name="price_version"
            ),
            models.CheckConstraint(
                name="price_units_positive", condition=Q(designated_units__gte=1)
            ),
            models.CheckConstraint(
                name="price_max_payable_positive", condition=Q(max_payable__gte=1)
            ),
            models.CheckConstraint(
                name="price_measure_known", condition=Q(measure__in=["UNITS", "POINTS"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_code} from {self.effective_from}"

    def save(self, *args, **kwargs):
        if self.max_payable is None:  # payment-rules.md §1: defaults to the designated number
            self.max_payable = self.designated_units
        super().save(*args, **kwargs)


class UnitPoints(models.Model):
    """Points of a unit for a qualification priced in points (default 1)."""

    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    qualification_code = models.CharField(max_length=10)
    unit_code = models.CharField(max_length=12)
    points = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "qualification_code", "unit_code"], name="unit_points_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_code} ({self.points} points)"


class Locality(models.Model):
    postcode = models.CharField(max_length=4)
    locality = models.CharField(max_length=60)
    state = models.CharField(max_length=3)

    class Meta:
        ordering = ["postcode", "locality"]
        constraints = [
            models.UniqueConstraint(fields=["postcode", "locality"], name="locality_key")
        ]

    def __str__(self) -> str:
        return f"{self.locality} {self.postcode}"


class LocationLoading(models.Model):
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="loadings")
    postcode = models.CharField(max_length=4)
    locality = models.CharField(max_length=60)
    loading_percent = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program__code", "postcode", "locality", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "postcode", "locality", "effective_from"],
                name="loading_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.locality} {self.postcode}: {self.loading_percent}%"


class TrainingContract(models.Model):
    """An apprenticeship/traineeship contract registered in DELTA by the department."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        SUSPENDED = "suspended", "Suspended"

    delta_number = models.CharField(max_length=10, unique=True)
    family_name = models.CharField(max_length=60)
    given_names = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField()
    qualification_code = models.CharField(max_length=10)
    srto_code = models.CharField("SRTO code", max_length=10)
    commencement_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_date = models.DateField()
    ppg = models.BooleanField("priority population group", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["delta_number"]

    def __str__(self) -> str:
        return f"DELTA {self.delta_number}"


class TrainingContractSrto(models.Model):
    """One SRTO period of a training contract (payment-rules.md §1 "SRTO history"): the
    RTO ``srto_code`` supervised the contract from ``valid_from`` to ``valid_to``
    (inclusive; open when null). ``NOT_SRTO`` (§2) reads the period containing the claim's
    lodgement date. ``TrainingContract.srto_code`` is the latest period's SRTO; a contract
    with no period rows (none imported) has that SRTO on every date."""

    contract = models.ForeignKey(
        TrainingContract, on_delete=models.CASCADE, related_name="srto_periods"
    )
    srto_code = models.CharField("SRTO code", max_length=10)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "valid_from"], name="contract_srto_period"),
            models.CheckConstraint(
                name="contract_srto_period_order",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.srto_code} from {self.valid_from}"


PAYING_ACCOUNT_TRIGGER = "pqs_paying_account_verified_only"


class PqsApproval(TenantOwnedModel):
    """An RTO's Pre-Qualified Supplier approval for one program (its delivery schedule and
    the bank account payments go to)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    supplier_number = models.CharField(max_length=12)
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    qualification_codes = ArrayField(models.CharField(max_length=10), default=list)
    bsb = models.CharField("BSB", max_length=7, validators=[validate_bsb])
    account_number = models.CharField(max_length=9, validators=[validate_account_number])
    account_name = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_number", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "program", "valid_from"], name="pqs_approval_version"
            ),
            models.CheckConstraint(
                name="pqs_bsb_format", condition=Q(bsb__regex=r"^[0-9]{3}-[0-9]{3}$")
            ),
            models.CheckConstraint(
                name="pqs_account_format", condition=Q(account_number__regex=r"^[0-9]{1,9}$")
            ),
        ]
        triggers = [
            # safe against payment redirection: only a verified BankAccountChange moves
            # the account (bank_accounts.bank_change_verify ignores this trigger)
            pgtrigger.Protect(
                name=PAYING_ACCOUNT_TRIGGER,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("bsb", "account_number", "account_name"),
            )
        ]

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)

    @property
    def paying_account(self) -> tuple[str, str, str]:
        """Where payments go: BSB, account number, account name."""
        return (self.bsb, self.account_number, self.account_name)


# ----------------------------------------------------------------- claims
class ClaimSubmission(TenantOwnedModel):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        VALIDATED = "validated", "Validated"
        FAILED = "failed", "Could not be read"
        LODGED = "lodged", "Lodged"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # The upload as received and its lifecycle (achievements.Submission, kind claim); this
    # row is made by the validation task and has the same public id.
    source = models.OneToOneField(
        "achievements.Submission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim",
    )
    file = models.FileField(upload_to="claims/%Y/%m/", max_length=400)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    collection_year = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lodged_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    valid_lines = models.PositiveIntegerField(default=0)
    invalid_lines = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    estimate = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # File-level and national issues (first few hundred), interfaces.md §2 shape.
    issues = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        triggers = [
            # The delete side of a claim line's submission reference (ClaimLine docstring).
            pgtrigger.Trigger(
                name="claim_submission_no_delete_with_lines",
                operation=pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF EXISTS (SELECT 1 FROM pqs_claims_claimline l WHERE l.submission_id = OLD.id) THEN
                    RAISE EXCEPTION 'claim submission % still has claim lines', OLD.public_id
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN OLD;
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


# The references of inserted / updated claim lines (ClaimLine docstring). The submission
# is locked FOR KEY SHARE once per statement, as a FOREIGN KEY check locks it per row.
_CLAIM_LINE_REFERENCES_SQL = """
                    PERFORM 1 FROM pqs_claims_claimsubmission s
                    WHERE s.id IN (SELECT r.submission_id FROM new_rows r) FOR KEY SHARE;
                    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT submission_id, rto_id
                                              FROM new_rows) r
                               WHERE NOT EXISTS (SELECT 1 FROM pqs_claims_claimsubmission s
                                                 WHERE s.id = r.submission_id
                                                   AND s.rto_id = r.rto_id)) THEN
                        RAISE EXCEPTION 'claim line without a claim submission of its RTO'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;
                    IF EXISTS (SELECT 1 FROM new_rows r
                               WHERE r.supersedes_id IS NOT NULL AND NOT EXISTS (
                                   SELECT 1 FROM pqs_claims_claimline c
                                   WHERE c.id = r.supersedes_id AND c.rto_id = r.rto_id
                                     AND c.lodged_at IS NOT NULL)) THEN
                        RAISE EXCEPTION 'claim line superseding no lodged line of its RTO'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;"""


class ClaimLine(TenantOwnedModel):
    """One NAT00120 row of a claim with the Queensland fields and the learner details the
    rules need. Immutable once lodged; a later lodgement of the same key supersedes it.

    References without per-row FOREIGN KEY checks: a claim validation inserts every line
    of the claim in a few statements, and an FK check is a query plus a row lock per line
    and key. The same guarantees are checked once per INSERT statement, and per UPDATE
    statement that changes a reference, by the ``claim_line_references_*`` triggers below,
    set-based over the transition table:

    * ``submission`` and ``rto``: the claim submission exists and belongs to the same RTO —
      stronger than the two FKs (a line can no longer sit in another tenant's claim). The
      submission is locked FOR KEY SHARE as an FK check would, and ``ClaimSubmission``'s
      ``claim_submission_no_delete_with_lines`` trigger is the delete side; the RTO exists
      because the submission's own FK holds;
    * ``supersedes``: the superseded line exists, is lodged and belongs to the same RTO.
      No lock is needed: a lodged claim line cannot be deleted nor change RTO or lodgement
      (``claim_line_lodged_*`` triggers).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Not lodged"
        LODGED = "lodged", "Lodged"
        SUPERSEDED = "superseded", "Superseded"

    # Indexes: every one is paid for by each line a claim validation inserts and again by
    # each line its lodgement updates (status and lodged_at are indexed, so the update is
    # not HOT and writes a new entry in every index). No single-column index on rto,
    # submission or learner_key: the (rto, status, lodged_at), (submission, line_number)
    # and (learner_key, subject_identifier) indexes serve those lookups; no index on
    # training_contract_identifier (no query selects claim lines by contract).
    # Unique through Meta.constraints, not unique=True: Django would add a second,
    # varchar_pattern_ops ("_like") index for LIKE queries nobody makes.
    public_id = models.CharField(max_length=32, default=new_public_id, editable=False)
    rto = models.ForeignKey(
        "rtos.Rto", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    submission = models.ForeignKey(
        ClaimSubmission,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    line_number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    client_identifier = models.CharField(max_length=10)
    usi = models.CharField(max_length=10, blank=True)
    family_name = models.CharField(max_length=60, blank=True)
    given_names = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    learner_key = models.CharField(max_length=80)
    residential_postcode = models.CharField(max_length=4, blank=True)
    residential_locality = models.CharField(max_length=60, blank=True)
    delivery_location_identifier = models.CharField(max_length=10, blank=True)
    delivery_postcode = models.CharField(max_length=4, blank=True)
    delivery_locality = models.CharField(max_length=60, blank=True)
    subject_identifier = models.CharField(max_length=12)
    nominal_hours = models.PositiveIntegerField(null=True, blank=True)
    program_identifier = models.CharField(max_length=10, blank=True)
    activity_start_date = models.DateField(null=True, blank=True)
    activity_end_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=2)
    funding_source_national = models.CharField(max_length=2, blank=True)
    funding_source_state = models.CharField(max_length=3, blank=True)
    training_contract_identifier = models.CharField(max_length=10, blank=True)
    purchasing_contract_identifier = models.CharField(max_length=12, blank=True)
    hours_attended = models.PositiveIntegerField(null=True, blank=True)
    national_errors = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # National error rule ids on the records the line depends on (client NAT00080/00085,
    # subject NAT00060, program NAT00030, location NAT00020, organisation NAT00010):
    # RELATED_RECORD_ERROR (payment-rules.md §2).
    related_errors = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # The client's highest school level completed (NAT00080): ``@@`` is MISSING_SCHOOL_LEVEL.
    school_level = models.CharField(max_length=2, blank=True)
    validation_codes = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    warning_codes = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    amount_estimate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lodged_at = models.DateTimeField(null=True, blank=True)
    first_lodged_on = models.DateField(null=True, blank=True)
    # Set by the lodgement on the lines that supersede another: its index is partial, so a
    # line that supersedes nothing (every line while a draft) has no entry in it.
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["submission_id", "line_number"]
        indexes = [
            models.Index(fields=["rto", "status", "lodged_at"]),
            models.Index(fields=["learner_key", "subject_identifier"]),
            # "Is this line superseded" (the batch's candidates; a delete's PROTECT check)
            models.Index(
                fields=["supersedes"],
                name="claim_line_supersedes",
                condition=Q(supersedes__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="claim_line_public_id"),
            models.UniqueConstraint(fields=["submission", "line_number"], name="claim_line_key"),
        ]
        triggers = [
            # The references (class docstring) that per-row FOREIGN KEYs would check: once
            # per INSERT statement over its transition table; on UPDATE only for the rows
            # whose references change (a lodgement sets supersedes on a few of its lines).
            pgtrigger.Trigger(
                name="claim_line_references_insert",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=f"""{_CLAIM_LINE_REFERENCES_SQL}
                    RETURN NULL;
                    """,
            ),
            pgtrigger.Trigger(
                name="claim_line_references_update",
                operation=pgtrigger.Update,
                when=pgtrigger.After,
                condition=pgtrigger.Q(old__submission_id__df=pgtrigger.F("new__submission_id"))
                | pgtrigger.Q(old__rto_id__df=pgtrigger.F("new__rto_id"))
                | pgtrigger.Q(old__supersedes_id__df=pgtrigger.F("new__supersedes_id")),
                func="""
                    PERFORM 1 FROM pqs_claims_claimsubmission s
                    WHERE s.id = NEW.submission_id AND s.rto_id = NEW.rto_id FOR KEY SHARE;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'claim line without a claim submission of its RTO'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;
                    IF NEW.supersedes_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM pqs_claims_claimline c
                        WHERE c.id = NEW.supersedes_id AND c.rto_id = NEW.rto_id
                          AND c.lodged_at IS NOT NULL) THEN
                        RAISE EXCEPTION 'claim line superseding no lodged line of its RTO'
                            USING ERRCODE = 'foreign_key_violation';
                    END IF;
                    RETURN NULL;
                    """,
            ),
            pgtrigger.Protect(
                name="claim_line_lodged_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__lodged_at__isnull=False)
                & (
                    pgtrigger.Q(old__subject_identifier__df=pgtrigger.F("new__subject_identifier"))
                    | pgtrigger.Q(old__client_identifier__df=pgtrigger.F("new__client_identifier"))
                    | pgtrigger.Q(
                        old__program_identifier__df=pgtrigger.F("new__program_identifier")
                    )
                    | pgtrigger.Q(
                        old__activity_start_date__df=pgtrigger.F("new__activity_start_date")
                    )
                    | pgtrigger.Q(old__activity_end_date__df=pgtrigger.F("new__activity_end_date"))
                    | pgtrigger.Q(old__outcome__df=pgtrigger.F("new__outcome"))
                    | pgtrigger.Q(
                        old__training_contract_identifier__df=pgtrigger.F(
                            "new__training_contract_identifier"
                        )
                    )
                    | pgtrigger.Q(old__hours_attended__df=pgtrigger.F("new__hours_attended"))
                    | pgtrigger.Q(old__lodged_at__df=pgtrigger.F("new__lodged_at"))
                    | pgtrigger.Q(old__rto_id__df=pgtrigger.F("new__rto_id"))
                ),
            ),
            pgtrigger.Protect(
                name="claim_line_lodged_no_delete",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__lodged_at__isnull=False),
            ),
        ]

    @property
    def supersession_key(self) -> tuple:
        return (
            self.rto_id,
            self.client_identifier,
            self.subject_identifier,
            self.program_identifier,
            self.training_contract_identifier,
        )


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
        from django.utils import timezone

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


# ----------------------------------------------------------------- bank accounts (issue 14)
class Bsb(models.Model):
    """One branch of the public BSB directory (reference kind ``bsb``; the directory's CSV
    columns). A PQS's nominated account must name a BSB listed here."""

    bsb = models.CharField("BSB", max_length=7, unique=True, validators=[validate_bsb])
    mnemonic = models.CharField("Institution", max_length=3)
    name = models.CharField("Branch", max_length=100)
    address = models.CharField(max_length=200, blank=True)
    suburb = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=3, blank=True)
    postcode = models.CharField(max_length=4, blank=True)
    payments_flags = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["bsb"]

    def __str__(self) -> str:
        return f"{self.bsb} {self.mnemonic} {self.name}"


class RequestDecision(models.Model):
    """Who asked and when; who decided and when (requests the department decides)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class BankAccountChange(TenantOwnedModel, RequestDecision):
    """A requested change of the account a PQS is paid into, and its verification.

    Safe against payment redirection (issue 14): the RTO administrator requests it after
    a fresh MFA check; it changes nothing until a department officer verifies it out of
    band, recording who, when and how, with the phone number copied from the RTO registry
    (never from the request). Verified rows are the account's versions; a payment batch
    stores the version current at its approval (``PaymentBatchAccount``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Not verified"

    class Method(models.TextChoices):
        PHONE = "phone", "Phoned the RTO on its registered number"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    approval = models.ForeignKey(PqsApproval, on_delete=models.PROTECT, related_name="+")
    bsb = models.CharField("BSB", max_length=7, validators=[validate_bsb])
    account_number = models.CharField(max_length=9, validators=[validate_account_number])
    account_name = models.CharField(max_length=32)
    old_bsb = models.CharField(max_length=7)
    old_account_number = models.CharField(max_length=9)
    old_account_name = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    phone_called = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["approval"],
                condition=Q(status="pending"),
                name="bank_change_one_pending_per_approval",
            ),
            # a verification names who, when, how and the number called
            models.CheckConstraint(
                name="bank_change_verification_complete",
                condition=Q(status="pending", decided_at__isnull=True)
                | Q(status="rejected", decided_at__isnull=False, decided_by__isnull=False)
                | (
                    Q(status="verified", decided_at__isnull=False, decided_by__isnull=False)
                    & ~Q(method="")
                    & ~Q(phone_called="")
                ),
            ),
            # the person who asked never verifies their own change
            models.CheckConstraint(
                name="bank_change_four_eyes",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
            ),
        ]

    def __str__(self) -> str:
        return f"Bank account change {self.bsb} {self.masked_account} ({self.status})"

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)

    @property
    def masked_old_account(self) -> str:
        return mask_account(self.old_account_number)


class PaymentBatchAccount(models.Model):
    """The account each PQS of a batch is paid into, fixed when the batch is approved:
    the ABA file and the remittances read it, so a change verified later never alters an
    approved batch."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="accounts")
    rto = models.ForeignKey("rtos.Rto", on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(PqsApproval, on_delete=models.PROTECT, related_name="+")
    change = models.ForeignKey(
        BankAccountChange, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bsb = models.CharField("BSB", max_length=7)
    account_number = models.CharField(max_length=9)
    account_name = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "rto"], name="batch_account_one_per_rto")
        ]

    def __str__(self) -> str:
        return f"{self.batch.period} pays {self.bsb} {mask_account(self.account_number)}"


# ----------------------------------------------------------------- PQS applications (issue 14)
class RtoScope(models.Model):
    """One qualification on an RTO's scope of registration (reference kind ``rto-scope``:
    rto code, qualification code, from, to). Only qualifications on scope can be
    nominated in a PQS application."""

    rto_code = models.CharField(max_length=10)
    qualification_code = models.CharField(max_length=10)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["rto_code", "qualification_code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto_code", "qualification_code", "valid_from"], name="rto_scope_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rto_code} {self.qualification_code} from {self.valid_from:%d/%m/%Y}"


class PqsApplication(TenantOwnedModel, RequestDecision):
    """An RTO's application for PQS status under a program, or a variation of its approval
    (qualifications added or removed). Decided by a department approver: approved, partly
    approved (some nominated qualifications left out, with the reason) or rejected. The
    decided rows are the approval's history (``schedule_before``/``schedule_after``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the department"
        APPROVED = "approved", "Approved"
        PARTLY = "partly", "Partly approved"
        REJECTED = "rejected", "Rejected"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(
        PqsApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    is_variation = models.BooleanField(default=False)
    nominated_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    remove_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    bsb = models.CharField("BSB", max_length=7, blank=True)
    account_number = models.CharField(max_length=9, blank=True)
    account_name = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    approved_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    schedule_before = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    schedule_after = ArrayField(models.CharField(max_length=10), default=list, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "program"],
                condition=Q(status="pending"),
                name="pqs_application_one_pending_per_program",
            ),
            # a rejection or a partial approval gives its reason; a decision names who/when
            models.CheckConstraint(
                name="pqs_application_decision_complete",
                condition=Q(status="pending", decided_at__isnull=True)
                | (
                    Q(status="approved", decided_at__isnull=False, approval__isnull=False)
                    & Q(decided_by__isnull=False)
                )
                | (
                    Q(status__in=["partly", "rejected"], decided_at__isnull=False)
                    & Q(decided_by__isnull=False)
                    & ~Q(reason="")
                ),
            ),
        ]

    def __str__(self) -> str:
        what = "Variation" if self.is_variation else "PQS application"
        return f"{what} {self.program_id} ({self.get_status_display()})"


# ----------------------------------------------------------------- reporting reminders
class ReportingReminder(TenantOwnedModel):
    """One reminder e-mail about a lodged continuing outcome (70/85) whose final outcome
    is not yet reported, at one threshold (days before its 90-day window closes; 0: the
    window has closed). The unique constraint makes it once per line and threshold, even
    when the beat runs twice or a worker dies (``pqs_claims.reminders``)."""

    claim_line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="+")
    threshold_days = models.PositiveSmallIntegerField()
    window_closes = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["claim_line", "threshold_days"], name="reminder_once_per_line_threshold"
            )
        ]
        indexes = [models.Index(fields=["rto", "sent_at"])]

    def __str__(self) -> str:
        return f"Reminder {self.threshold_days} days, closes {self.window_closes:%d/%m/%Y}"
