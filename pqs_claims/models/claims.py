"""Claim submissions and claim lines (a lodged line is never edited, only superseded)."""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

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
            # The reporting deadlines (pqs_claims.reminders, deadlines): lodged continuing
            # lines by activity end date, a small part of the table.
            models.Index(
                fields=["activity_end_date"],
                name="claim_line_continuing",
                condition=Q(status="lodged", outcome__in=["70", "85"]),
            ),
            # Lines waiting for a batch (selectors.claims_waiting): lodged after a cut-off.
            models.Index(
                fields=["lodged_at"],
                name="claim_line_lodged_at",
                condition=Q(lodged_at__isnull=False),
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
