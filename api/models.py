"""API tokens, idempotency keys, webhooks and their deliveries: all owned by one RTO."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TenantOwnedModel, new_public_id


class ApiToken(TenantOwnedModel):
    """A credential of one RTO's student-management system (issue 16).

    Only the SHA-256 of the secret is kept (the secret has 256 bits of randomness, so a
    plain hash is as strong as a slow one and can be looked up by index); the secret is
    shown once, when it is made. ``scopes`` is a subset of ``SCOPES``. A token works until
    ``expires_at`` and unless ``revoked_at`` is set."""

    SUBMIT = "submit"
    READ = "read"
    SCOPES = {SUBMIT: "Submit files, commit and lodge", READ: "Read learners, records, statements"}

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)  # the start of the secret, to tell tokens apart
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def label(self) -> str:
        """How the audit log names this token as an actor."""
        return f"API token {self.prefix}… ({self.name})"[:200]

    def is_usable(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "Revoked"
        return "Active" if self.is_usable() else "Expired"


class IdempotencyKey(TenantOwnedModel):
    """``Idempotency-Key`` of a ``POST /api/v1/submissions``: the same key from the same RTO
    gives back the same submission (unique per RTO)."""

    key = models.CharField(max_length=200)
    submission = models.ForeignKey(
        "achievements.Submission", on_delete=models.PROTECT, related_name="+"
    )
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rto", "key"], name="api_idempotency_once")]


class Webhook(TenantOwnedModel):
    """The URL an RTO's system registers to hear when a submission's validation finishes.
    One per RTO. ``secret`` signs each delivery (HMAC-SHA256), so it is kept (shown once)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rto"],
                condition=models.Q(removed_at__isnull=True),
                name="api_one_webhook_per_rto",
            )
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwnedModel):
    """One event sent (or being sent) to a webhook: status, attempts, the last response."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=40)
    submission = models.ForeignKey(
        "achievements.Submission", on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "submission", "event"], name="api_delivery_once_per_event"
            )
        ]
