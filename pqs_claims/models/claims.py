"""Claim submissions and claim lines (a lodged line is never edited, only superseded)."""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.models import TenantOwnedModel, new_public_id


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

    def __str__(self) -> str:
        return self.file_name


class ClaimLine(TenantOwnedModel):
    """One NAT00120 row of a claim with the Queensland fields and the learner details the
    rules need. Immutable once lodged; a later lodgement of the same key supersedes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not lodged"
        LODGED = "lodged", "Lodged"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    submission = models.ForeignKey(ClaimSubmission, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    client_identifier = models.CharField(max_length=10)
    usi = models.CharField(max_length=10, blank=True)
    family_name = models.CharField(max_length=60, blank=True)
    given_names = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    learner_key = models.CharField(max_length=80, db_index=True)
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
    training_contract_identifier = models.CharField(max_length=10, blank=True, db_index=True)
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
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submission_id", "line_number"]
        indexes = [
            models.Index(fields=["rto", "status", "lodged_at"]),
            models.Index(fields=["learner_key", "subject_identifier"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["submission", "line_number"], name="claim_line_key")
        ]
        triggers = [
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
