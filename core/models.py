"""Shared kernel models: the tenant-owned base class and the hash-chained audit log."""

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django_scopes import ScopedManager


class TenantOwnedModel(models.Model):
    """Base for every row an RTO owns.

    The ``rto`` foreign key is never null, and the default manager is a django-scopes
    ``ScopedManager``: a query outside ``scope(rto=…)`` (or an explicit
    ``scopes_disabled()``) raises ``ScopeError`` instead of silently reading every tenant's
    rows (architecture.md §3; pretix's pattern). Child rows carry ``rto`` too so that raw
    SQL / COPY paths can filter by it directly.
    """

    rto = models.ForeignKey("rtos.Rto", on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(rto="rto")

    class Meta:
        abstract = True


def new_public_id() -> str:
    """Opaque id for URLs: never a sequential primary key (django-anchors B.3)."""
    return uuid.uuid4().hex


class AuditEvent(models.Model):
    """One audited action, written in the same transaction as the change it records.

    Events form a hash chain: ``hash = sha256(prev_hash + canonical JSON of the event)``,
    so editing or deleting any row breaks every later link (``manage.py audit_verify``).
    The table also refuses UPDATE, DELETE and TRUNCATE at the database (pgtrigger
    ``Protect``, row- and statement-level), so the application cannot rewrite history even
    by mistake. Deleting the newest rows (by someone who can bypass triggers) leaves a
    valid chain; the signed anchors written outside the database (``core.audit_anchor``)
    catch that.
    """

    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    rto = models.ForeignKey(
        "rtos.Rto", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["rto", "-occurred_at"]),
            models.Index(fields=["actor", "-occurred_at"]),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            # TRUNCATE fires no row triggers: refuse it with a statement-level one.
            pgtrigger.Trigger(
                name="audit_event_no_truncate",
                operation=pgtrigger.Truncate,
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                func=(
                    "RAISE EXCEPTION 'pgtrigger: Cannot truncate % table: the audit log is "
                    "append-only', TG_TABLE_NAME; RETURN NULL;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


# ---------------------------------------------------------------------------- reference data
class PublicHoliday(models.Model):
    """A whole-day public holiday (reference data, ``import_reference public-holidays``).

    Business-day rules skip the holidays of their jurisdiction plus ``NATIONAL`` ones: the
    User Choice monthly cut-off is the last Queensland business day of the month
    (payment-rules.md §5; ``core.holidays``). Part-day holidays (Christmas Eve from 6 pm) and
    district show holidays are not whole-state business-day closures and are not loaded.
    """

    class Jurisdiction(models.TextChoices):
        NATIONAL = "NATIONAL", "National"
        ACT = "ACT", "Australian Capital Territory"
        NSW = "NSW", "New South Wales"
        NT = "NT", "Northern Territory"
        QLD = "QLD", "Queensland"
        SA = "SA", "South Australia"
        TAS = "TAS", "Tasmania"
        VIC = "VIC", "Victoria"
        WA = "WA", "Western Australia"

    date = models.DateField()
    jurisdiction = models.CharField(max_length=8, choices=Jurisdiction.choices)
    name = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "jurisdiction"]
        constraints = [
            models.UniqueConstraint(fields=["date", "jurisdiction"], name="holiday_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.date:%d/%m/%Y} ({self.jurisdiction})"


class ReferenceUpload(models.Model):
    """A reference-data file uploaded in the department workspace, stored as received
    (bytes + sha256) before it is read, so that Apply imports exactly the bytes that were
    previewed. Preview and Apply both go through ``reference.importer.import_reference``
    (the ``manage.py import_reference`` code path; preview = its dry run), each in a Celery
    task (``reference.tasks``) for which this row is the unit of work:

    received → previewing → ready | has_errors | rejected; ready → applying → applied |
    has_errors (the data changed since the preview); previewing / applying → failed (an
    unexpected error: ``failure`` says what, nothing was applied)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Waiting for the preview"  # stored; its preview is queued
        PREVIEWING = "previewing", "Previewing"
        REJECTED = "rejected", "Rejected"  # the file could not be read as this kind
        HAS_ERRORS = "has_errors", "Has errors"  # row errors: nothing can be applied
        READY = "ready", "Ready to apply"
        APPLYING = "applying", "Applying"  # Apply pressed (by applied_by, with reason)
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"  # the preview or apply stopped: see failure

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=40)
    file = models.FileField(upload_to="reference/%Y/%m/", max_length=200)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices)
    rows = models.PositiveIntegerField(default=0)
    # {"message", "counts", "errors": [...], "error_count", "sample": {"created", "updated"}}
    preview = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    # applied_by / reason: who pressed Apply and why (set then; the upload is applied only
    # once applied_at is set and status is "applied").
    reason = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)  # counts of the apply
    failure = models.TextField(blank=True)  # status "failed": what went wrong
    attempts = models.PositiveSmallIntegerField(default=0)  # restarts by the stalled sweep
    # Every status change touches it: the stalled-work sweep restarts work left behind.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="reference_upload_applying_has_actor_and_reason",
                condition=~models.Q(status="applying")
                | (models.Q(applied_by__isnull=False) & ~models.Q(reason="")),
            ),
            models.CheckConstraint(
                name="reference_upload_applied_has_actor_and_reason",
                condition=~models.Q(status="applied")
                | (
                    models.Q(applied_by__isnull=False, applied_at__isnull=False)
                    & ~models.Q(reason="")
                ),
            ),
        ]
        triggers = [
            # An applied upload is a record of what changed the reference data: final.
            pgtrigger.Protect(
                name="reference_upload_applied_is_final",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="applied"),
            ),
            # Applied only from "applying" (the apply task, under the row lock): with the
            # trigger above, an upload becomes "applied" once.
            pgtrigger.Protect(
                name="reference_upload_applied_from_applying",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(new__status="applied") & ~pgtrigger.Q(old__status="applying"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"
