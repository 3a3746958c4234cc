"""The register (unit outcomes, awards), national training products and submissions.

See ``achievements/MODELS.md`` for a one-screen summary. Register rows are never deleted
(pgtrigger ``Protect`` on DELETE) and every insert/update is versioned by django-pghistory.

Versions of unit outcomes and awards are written by *statement-level* triggers with
transition tables (``pghistory.Statement``): one ``INSERT … SELECT`` into the version table
per statement, whatever wrote the rows — a form's ``save()``, the set-based ``INSERT …
SELECT … ON CONFLICT`` commit of a million rows, or a ``COPY``. Row-level triggers cost a
PL/pgSQL call, a subtransaction and a context upsert per row; a statement-level trigger
does the same work once per statement.
Context (user, reason, submission) is attached with ``pghistory.context(...)`` and read
once per statement.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from core.models import TenantOwnedModel, new_public_id
from students.models import ClientNatFields


class TrainingProduct(models.Model):
    """A nationally recognised qualification or unit (training.gov.au). Reference data.

    Not tenant data. ``superseded_by`` holds the code of the replacing product (may be
    blank even when superseded, or a code not loaded here).
    """

    class Type(models.TextChoices):
        QUALIFICATION = "QUALIFICATION", "Qualification"
        UNIT = "UNIT", "Unit of competency"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        SUPERSEDED = "superseded", "Superseded"

    type = models.CharField(max_length=16, choices=Type.choices)
    code = models.CharField(max_length=12, unique=True)
    title = models.CharField(max_length=200)
    nominal_hours = models.PositiveIntegerField(null=True, blank=True)
    aqf_level = models.CharField("AQF level", max_length=10, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    superseded_by = models.CharField(max_length=12, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


# ---------------------------------------------------------------------------- fields


class OutcomeNatFields(models.Model):
    """NAT00120 fields by canonical name (shared by UnitOutcome and its staging table).

    Codes are kept as the strings reported (so ``@@`` and leading zeros survive);
    ``N`` quantities that may be blank are nullable integers.
    """

    training_organisation_delivery_location_identifier = models.CharField(max_length=10, blank=True)
    subject_identifier = models.CharField(max_length=12)
    program_identifier = models.CharField(max_length=10, blank=True)
    activity_start_date = models.DateField()
    activity_end_date = models.DateField()
    delivery_mode_identifier = models.CharField(max_length=3, blank=True)
    outcome_identifier_national = models.CharField(max_length=2)
    funding_source_national = models.CharField(max_length=2, blank=True)
    commencing_program_identifier = models.CharField(max_length=1, blank=True)
    training_contract_identifier = models.CharField(max_length=10, blank=True)
    client_identifier_apprenticeships = models.CharField(max_length=10, blank=True)
    study_reason_identifier = models.CharField(max_length=2, blank=True)
    vet_in_schools_flag = models.CharField(max_length=1, blank=True)
    specific_funding_identifier = models.CharField(max_length=10, blank=True)
    school_type_identifier = models.CharField(max_length=2, blank=True)
    outcome_identifier_training_organisation = models.CharField(max_length=3, blank=True)
    funding_source_state_training_authority = models.CharField(max_length=3, blank=True)
    client_tuition_fee = models.IntegerField(null=True, blank=True)
    fee_exemption_concession_type_identifier = models.CharField(max_length=2, blank=True)
    purchasing_contract_identifier = models.CharField(max_length=12, blank=True)
    purchasing_contract_schedule_identifier = models.CharField(max_length=3, blank=True)
    hours_attended = models.IntegerField(null=True, blank=True)
    associated_course_identifier = models.CharField(max_length=10, blank=True)
    scheduled_hours = models.IntegerField(null=True, blank=True)
    predominant_delivery_mode = models.CharField(max_length=1, blank=True)

    class Meta:
        abstract = True


class AwardType(models.TextChoices):
    QUALIFICATION = "QUALIFICATION", "Qualification"
    STATEMENT_OF_ATTAINMENT = "STATEMENT_OF_ATTAINMENT", "Statement of attainment"


class AwardNatFields(models.Model):
    """NAT00130 fields (+ award type and the units a statement of attainment lists)."""

    award_type = models.CharField(
        max_length=24, choices=AwardType.choices, default=AwardType.QUALIFICATION
    )
    program_identifier = models.CharField(max_length=10)
    date_program_completed = models.DateField()
    issued_flag = models.CharField(max_length=1, default="Y")
    issued_on = models.DateField("parchment issue date", null=True, blank=True)
    certificate_number = models.CharField("parchment number", max_length=25, blank=True)
    units = models.JSONField(
        default=list, blank=True, help_text="Unit codes a statement of attainment lists."
    )

    class Meta:
        abstract = True


class Provenance(models.Model):
    """Who last wrote a register row, why, and from which submission (None = by hand).

    The two foreign keys are not indexed: nothing looks register rows up by them (the
    learner pages read them from the row), and each index costs every bulk insert a
    B-tree descent per row. Nor are they per-row FOREIGN KEY constraints: every row of a
    commit names the same submission and user, and a per-row constraint checks (and
    locks) those parent rows once per row. The statement-level triggers of
    :func:`register_reference_triggers` check them once per statement; a submission is
    never deleted and a user who wrote register rows cannot be (``Submission`` and
    ``accounts.User`` triggers), which is what the constraints would refuse.
    """

    source_submission = models.ForeignKey(
        "achievements.Submission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    change_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------- register


def register_reference_triggers(table: str) -> list[pgtrigger.Trigger]:
    """The references a register row shares with every other row of its commit — its RTO,
    its source submission and the user who wrote it — checked once per INSERT / COPY /
    UPDATE statement over the transition table, instead of by per-row FOREIGN KEYs.

    A million-row commit names one RTO, one submission and one user: per-row constraints
    would check and lock (FOR KEY SHARE) the same parent rows once per row — rows the
    commit's own transaction has already locked or updated, which makes each lock
    costly; per statement they are checked once (``bench/register_ingest.py`` measures the
    commit; figures in the README's performance table). The check is also stronger than
    the constraints: the source submission must be **of the row's RTO**. The user rows are
    locked FOR KEY SHARE once, as a constraint locks them, so a user cannot be deleted
    while rows naming them are being written; RTOs and submissions are never deleted
    (triggers on them). ``client_record`` and ``learner``, which differ row by row, keep
    their FOREIGN KEY constraints: a per-statement check would do the same work.
    """
    label = table.replace("_", " ")
    check = f"""
        PERFORM 1 FROM accounts_user u
        WHERE u.id IN (SELECT DISTINCT r.updated_by_id FROM new_rows r) FOR KEY SHARE;
        IF EXISTS (
            SELECT 1 FROM (SELECT DISTINCT rto_id, source_submission_id, updated_by_id
                           FROM new_rows) r
            WHERE NOT EXISTS (SELECT 1 FROM rtos_rto t WHERE t.id = r.rto_id)
               OR (r.source_submission_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM achievements_submission s
                       WHERE s.id = r.source_submission_id AND s.rto_id = r.rto_id))
               OR (r.updated_by_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM accounts_user u WHERE u.id = r.updated_by_id))) THEN
            RAISE EXCEPTION '{label} whose RTO, submission (of that RTO) or user does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;"""
    return [
        pgtrigger.Trigger(
            name=f"{table}_references_{op_name}",
            operation=op,
            when=pgtrigger.After,
            level=pgtrigger.Statement,
            referencing=pgtrigger.Referencing(**ref),
            func=check,
        )
        for op_name, op, ref in (
            ("insert", pgtrigger.Insert, {"new": "new_rows"}),
            ("update", pgtrigger.Update, {"old": "old_rows", "new": "new_rows"}),
        )
    ]


def _version_fk(to: str, *, null: bool = False) -> models.ForeignKey:
    """A foreign key copied into a version table: no constraint (pghistory's default) and,
    unlike pghistory's default, no index — versions are read by ``pgh_obj`` (indexed) and
    every extra index is paid per row by a bulk commit."""
    return models.ForeignKey(
        to,
        null=null,
        blank=null,
        db_constraint=False,
        db_index=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
        related_query_name="+",
    )


_VERSION_FKS = {
    "rto": _version_fk("rtos.Rto"),
    "client_record": _version_fk("students.ClientRecord"),
    "learner": _version_fk("students.Learner"),
    "source_submission": _version_fk("achievements.Submission", null=True),
    "updated_by": _version_fk(settings.AUTH_USER_MODEL, null=True),
}


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="UnitOutcomeVersion",
    level=pghistory.Statement,
    attrs=dict(_VERSION_FKS),
)
class UnitOutcome(OutcomeNatFields, Provenance, TenantOwnedModel):
    """One unit outcome (NAT00120 meaning) in the permanent register.

    Natural key (AVETMISS TA-06): RTO + delivery location + client + unit + program +
    activity start date. A correction updates the row; the previous state is kept as a
    ``UnitOutcomeVersion`` (pghistory, statement-level) with context user/reason/submission.

    Indexes are chosen for a table that takes a million rows per commit: the natural key
    leads with ``client_record`` (so it also serves "this record's outcomes", with or
    without the RTO, and no separate client-record or RTO index is needed), ``public_id``
    is a unique constraint (no ``varchar_pattern_ops`` twin: it is never searched by
    prefix), and ``learner`` has one index, not two.
    """

    # Redeclared from TenantOwnedModel to drop its single-column index (every query that
    # filters on the RTO has an index on it, below) and its per-row
    # constraint (checked per statement: ``register_reference_triggers``).
    rto = models.ForeignKey(
        "rtos.Rto", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    public_id = models.CharField(max_length=32, default=new_public_id, editable=False)
    client_record = models.ForeignKey(
        "students.ClientRecord", on_delete=models.PROTECT, related_name="outcomes", db_index=False
    )
    learner = models.ForeignKey(
        "students.Learner", on_delete=models.PROTECT, related_name="outcomes"
    )
    # Withdrawn: reported in error (``services.outcome_withdraw``). The row stays, with its
    # versions (who, when, why); the learner portal, verification, documents and exports
    # leave it out. No per-row FOREIGN KEY on the user, like ``updated_by``.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    withdrawn_reason = models.CharField(max_length=500, blank=True, db_default="")

    class Meta:
        ordering = ["-activity_end_date", "subject_identifier"]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="unit_outcome_public_id_unique"),
            models.UniqueConstraint(
                fields=[
                    "client_record",
                    "program_identifier",
                    "subject_identifier",
                    "activity_start_date",
                    "training_organisation_delivery_location_identifier",
                    "rto",
                ],
                name="unit_outcome_natural_key",
            ),
        ]
        indexes = [
            # Code first: they serve one RTO's outcomes in a unit / qualification and the
            # department's search for a code across every RTO; queries by RTO alone have
            # (rto, -activity_end_date).
            models.Index(
                fields=["subject_identifier", "rto"],
                include=["client_record"],
                name="outcome_subject_records",
            ),
            models.Index(
                fields=["program_identifier", "rto"],
                include=["client_record"],
                name="outcome_program_records",
            ),
            models.Index(fields=["rto", "-activity_end_date"]),
        ]
        triggers = [
            pgtrigger.Protect(name="unit_outcome_no_delete", operation=pgtrigger.Delete),
            *register_reference_triggers("unit_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_identifier} ({self.outcome_identifier_national})"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="AwardVersion",
    level=pghistory.Statement,
    attrs={**_VERSION_FKS, "superseded_by": _version_fk("achievements.Award", null=True)},
)
class Award(AwardNatFields, Provenance, TenantOwnedModel):
    """A qualification award or statement of attainment (NAT00130 meaning).

    ``certificate_number`` is the parchment number (unique per RTO when set). Natural key
    (AVETMISS PC-07): RTO + client + program + award type + date completed, among awards
    that are not superseded. Revoking sets ``status``/``revoked_*``; re-issuing creates a
    new award and points the old one's ``superseded_by`` at it. Never deleted.
    """

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Superseded"

    class RevokedReason(models.TextChoices):
        ISSUED_IN_ERROR = "issued_in_error", "Issued in error"
        FRAUD = "fraud", "Obtained fraudulently"
        REGULATOR = "regulator", "Cancelled by the regulator"
        OTHER = "other", "Other"

    # Not indexed on its own: the natural key and (rto, program) start with it. Checked per
    # statement (``register_reference_triggers``), not per row.
    rto = models.ForeignKey(
        "rtos.Rto", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    public_id = models.CharField(max_length=32, default=new_public_id, editable=False)
    client_record = models.ForeignKey(
        "students.ClientRecord", on_delete=models.PROTECT, related_name="awards"
    )
    learner = models.ForeignKey("students.Learner", on_delete=models.PROTECT, related_name="awards")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason_category = models.CharField(
        max_length=20, choices=RevokedReason.choices, blank=True
    )
    revoked_reason = models.TextField(blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    class Meta:
        ordering = ["-issued_on", "-date_program_completed", "program_identifier"]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="award_public_id_unique"),
            models.UniqueConstraint(
                fields=["rto", "certificate_number"],
                condition=~models.Q(certificate_number=""),
                name="award_certificate_number_unique_per_rto",
            ),
            models.UniqueConstraint(
                fields=[
                    "rto",
                    "client_record",
                    "program_identifier",
                    "award_type",
                    "date_program_completed",
                ],
                condition=~models.Q(status="superseded"),
                name="award_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["rto", "program_identifier"]),
            models.Index(fields=["certificate_number"]),
            # the department's register search, every RTO: by parchment number (case-blind)
            # and by qualification code
            models.Index(Upper("certificate_number"), name="award_certificate_upper"),
            models.Index(
                fields=["program_identifier"],
                include=["client_record"],
                name="award_program_records",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="award_no_delete", operation=pgtrigger.Delete),
            *register_reference_triggers("award"),
        ]

    def __str__(self) -> str:
        return f"{self.get_award_type_display()} {self.program_identifier}"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="NatReferenceRowVersion",
    level=pghistory.Statement,
)
class NatReferenceRow(TenantOwnedModel):
    """A delivery location (NAT00020), program (NAT00030) or subject (NAT00060) exactly as
    the RTO last reported it in a committed NAT file: ``fields`` holds every field of the
    row by canonical name (trimmed, as the NAT reader gives them), so that the register's
    export writes it back (issue 11 §1, interfaces.md §6). ``key`` is the location,
    program or subject identifier. Written by the commit (one set-based upsert per
    submission; rows with an error stay out), versioned, never deleted.
    """

    class File(models.TextChoices):
        NAT00020 = "NAT00020", "Delivery location (NAT00020)"
        NAT00030 = "NAT00030", "Program (NAT00030)"
        NAT00060 = "NAT00060", "Subject (NAT00060)"

    file_id = models.CharField(max_length=8, choices=File.choices)
    key = models.CharField(max_length=12)
    fields = models.JSONField(default=dict)
    source_submission = models.ForeignKey(
        "achievements.Submission", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["file_id", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "file_id", "key"], name="nat_reference_row_unique"
            )
        ]
        triggers = [
            pgtrigger.Protect(name="nat_reference_row_no_delete", operation=pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.key}"


# ---------------------------------------------------------------------------- submissions


class Submission(TenantOwnedModel):
    """One upload as received (bytes + sha256 stored before parsing) and its life cycle.

    received → validating → validated → committing → committed, or discarded / rejected
    (unreadable upload: ``rejected_reason`` says why) / failed (a task stopped with an
    error, or the stalled-work sweep gave up after ``SUBMISSION_MAX_ATTEMPTS`` restarts:
    ``rejected_reason`` says what and what to do; nothing was committed; uploading the same
    bytes again starts it afresh). ``attempts`` counts the sweep's restarts. A claim
    (``kind`` claim, a PQS's User Choice claim: pqs_claims.pipeline) goes validated →
    lodging → lodged instead, and with ``commit_records`` its records go into the register
    in the same lodgement. The row is the unit of work for the Celery tasks (locked,
    status-checked). ``(rto, sha256, kind)`` is unique: identical bytes uploaded again link
    to this submission instead of being processed twice.
    """

    class Kind(models.TextChoices):
        REGISTER = "register", "Register"
        CLAIM = "claim", "Claim"

    class Format(models.TextChoices):
        NAT = "nat", "AVETMISS NAT files"
        CSV = "csv", "CQR CSV template"
        XLSX = "xlsx", "CQR Excel template"
        MANUAL = "manual", "Manual entry"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        VALIDATING = "validating", "Validating"
        VALIDATED = "validated", "Validated"
        COMMITTING = "committing", "Committing"
        COMMITTED = "committed", "Committed"
        LODGING = "lodging", "Lodging"
        LODGED = "lodged", "Lodged"
        DISCARDED = "discarded", "Discarded"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGISTER)
    source_format = models.CharField(max_length=8, choices=Format.choices, blank=True)
    file_name = models.CharField(max_length=255)
    file = models.FileField(max_length=400, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    rejected_reason = models.TextField(blank=True)  # rejected or failed: why, what to do
    attempts = models.PositiveSmallIntegerField(default=0)  # restarts by the stalled sweep
    # validation options
    collection_year = models.PositiveIntegerField(null=True, blank=True)
    interim = models.BooleanField(default=False)
    # claims: also commit the claim's records to the register when it is lodged
    commit_records = models.BooleanField(default=False)
    release = models.CharField(max_length=4, default="8.0")
    # counts (filled by validation / commit)
    file_counts = models.JSONField(default=dict, blank=True)
    records_total = models.PositiveIntegerField(default=0)
    records_with_errors = models.PositiveIntegerField(default=0)
    errors_count = models.PositiveIntegerField(default=0)
    warnings_count = models.PositiveIntegerField(default=0)
    committed_count = models.PositiveIntegerField(default=0)
    commit_summary = models.JSONField(default=dict, blank=True)
    # progress
    phase = models.CharField(max_length=40, blank=True)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    # who / when
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    discarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "sha256", "kind"], name="submission_same_bytes_once"
            )
        ]
        indexes = [models.Index(fields=["rto", "status"])]
        # Kept as received, whatever becomes of it (discarded and rejected included); the
        # register's rows name the submission that wrote them (``Provenance``).
        triggers = [pgtrigger.Protect(name="submission_no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def seconds_left(self, now=None) -> int | None:
        """Estimated seconds to finish the current phase at its pace so far (rows done
        since ``phase_started_at``); ``None`` until there is a pace to go by."""

        if not (self.phase_started_at and self.rows_total and self.rows_done):
            return None
        elapsed = ((now or timezone.now()) - self.phase_started_at).total_seconds()
        if elapsed < 2 or self.rows_done >= self.rows_total:
            return None
        return round(elapsed * (self.rows_total - self.rows_done) / self.rows_done)

    @property
    def is_finished_validating(self) -> bool:
        return self.status not in (self.Status.RECEIVED, self.Status.VALIDATING)

    @property
    def records_clean(self) -> int:
        return max(self.records_total - self.records_with_errors, 0)


class SubmissionIssue(TenantOwnedModel):
    """One problem found in a submission (interfaces.md §2 issue shape + fix hint).

    ``record_key`` groups issues by the record they belong to (e.g. the client identifier
    for client rows, ``client/unit/start`` for outcomes), so the report can list what will
    stay out of the register.
    """

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="issues")
    file = models.CharField(max_length=20, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    field = models.CharField(max_length=80, blank=True)
    value = models.CharField(max_length=200, blank=True)
    rule = models.CharField(max_length=30)  # national rule ids and departmental codes
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    hint = models.TextField(blank=True)
    record_key = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["file", "line", "field", "id"]
        indexes = [
            models.Index(fields=["submission", "severity"]),
            models.Index(fields=["submission", "record_key"]),
            models.Index(fields=["submission", "rule"]),
        ]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.rule} {self.message}"


# ---------------------------------------------------------------------------- staging


class StagingRow(models.Model):
    """Common columns of the ingest staging tables (filled by COPY, read by the commit).

    Rows carry ``rto_id`` and ``submission_id`` explicitly (raw SQL paths filter on both);
    ``line_no`` is 1-based in ``file``; ``has_error`` marks rows that stay out of the
    register. Staging rows are kept with the submission (the report lists them).

    ``rto`` and ``submission`` have no database constraint and no index of their own: a
    NAT set puts a million rows here by COPY, and a referential-integrity check is a
    trigger call and an index look-up per row. Only ``ingest`` writes these rows, always
    with the locked submission's ids; the composite indexes of the tables start with
    ``submission``.
    """

    rto = models.ForeignKey(
        "rtos.Rto", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    file = models.CharField(max_length=20)
    line_no = models.PositiveIntegerField()
    record_key = models.CharField(max_length=80, blank=True)
    has_error = models.BooleanField(default=False)
    # The public id the register row gets if the commit inserts it. Made at staging from
    # os.urandom (one call per block of rows), not gen_random_uuid() in the commit (a call
    # per row inside the commit's one transaction). Blank: the commit makes one with
    # gen_random_uuid() (staged rows that have none).
    public_id = models.CharField(max_length=32, blank=True)

    objects = models.Manager()

    class Meta:
        abstract = True


class StagedClient(ClientNatFields, StagingRow):
    """A client row (NAT00080 + 85/90/100, or a CQR template row) awaiting commit."""

    learner_public_id = models.CharField(
        max_length=32, blank=True, help_text="Public id of the learner, if the commit adds one."
    )

    class Meta:
        indexes = [models.Index(fields=["submission", "client_identifier"])]

    def __str__(self) -> str:
        return f"{self.file}:{self.line_no}"


class StagedOutcome(OutcomeNatFields, StagingRow):
    """A NAT00120 row (or CQR template unit row) awaiting commit."""

    client_identifier = models.CharField(max_length=10)
    activity_start_date = models.DateField(null=True, blank=True)
    activity_end_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["submission", "line_no"])]

    def __str__(self) -> str:
        return f"{self.file}:{self.line_no}"


class StagedAward(AwardNatFields, StagingRow):
    """A NAT00130 row (or CQR template award row) awaiting commit."""

    client_identifier = models.CharField(max_length=10)
    date_program_completed = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["submission", "line_no"])]

    def __str__(self) -> str:
        return f"{self.file}:{self.line_no}"
