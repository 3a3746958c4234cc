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
    The table also refuses UPDATE and DELETE at the database (pgtrigger ``Protect``), so
    the application cannot rewrite history even by mistake.
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
            )
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
