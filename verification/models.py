"""Verification, documents and the learner portal.

- :class:`SigningKey` — *public* halves of the credential-signing keys (current and
  retired), published at ``/.well-known/jwks.json``. Private keys never reach the DB.
- :class:`GeneratedDocument` — a PDF an RTO issued for an award (tenant-owned).
- :class:`TranscriptDocument` — a learner's all-RTO transcript PDF (owned by the learner).
- :class:`VerificationLookup` — every public lookup (form, API, QR/credential page, share
  link item), with a keyed hash of the client — never the raw IP.
- :class:`LearnerSignInCode` — one-time codes for the learner portal (hashed).
- :class:`ShareLink` / :class:`ShareView` — expiring, revocable links a learner makes,
  and each view of them (when, never who).

The public credential id is the award's opaque ``public_id`` (a random 128-bit value):
``/credentials/<public_id>`` is what the QR code on a document carries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TenantOwnedModel, new_public_id


class SigningKey(models.Model):
    """A credential-signing key's public part (JWK), by key id (RFC 7638 thumbprint)."""

    kid = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kid} ({'retired' if self.retired_at else 'current'})"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class GeneratedDocument(TenantOwnedModel):
    """A PDF issued by an RTO for one award (rendered by a Celery task on the pdf queue).

    The row is the task's unit of work: ``pending`` → ``ready`` (file + sha256) or
    ``failed``. Re-issuing creates a new row; old rows stay for the record.
    """

    class Kind(models.TextChoices):
        TESTAMUR = "testamur", "Testamur (qualification certificate)"
        STATEMENT_OF_ATTAINMENT = "statement_of_attainment", "Statement of attainment"
        RECORD_OF_RESULTS = "record_of_results", "Record of results"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    award = models.ForeignKey(
        "achievements.Award", on_delete=models.PROTECT, related_name="documents"
    )
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    file = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rto", "award"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class TranscriptDocument(models.Model):
    """A learner's transcript across every RTO (learner-owned: not tenant data).

    ``verification_code`` is printed on the PDF with a QR code of its public check page
    (``/transcripts/<code>``), as the testamur carries its certificate number and QR.
    Transcripts prepared before the code existed have none."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    verification_code = models.CharField(max_length=24, unique=True, null=True, blank=True)
    learner = models.ForeignKey(
        "students.Learner", on_delete=models.PROTECT, related_name="transcripts"
    )
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    file = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Transcript ({self.get_status_display()})"


class VerificationLookup(models.Model):
    """One public lookup. Not tenant data: a no-match has no RTO. ``client_hash`` is a
    keyed hash (HMAC with the secret key) of the client address, for abuse detection
    and rate-limit reports only; learners see when and the result, never this.
    Written in batches from a Redis buffer (``verification.lookup_log``); ``entry_id``
    makes a repeated flush harmless."""

    class Channel(models.TextChoices):
        FORM = "form", "Verify page"
        API = "api", "JSON API"
        CREDENTIAL = "credential", "QR code / credential page"
        SHARE = "share", "Share link"

    class Result(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Superseded"
        STATUS_UNKNOWN = "status_unknown", "Status could not be checked"
        NO_MATCH = "no_match", "No match"
        RATE_LIMITED = "rate_limited", "Rate limited"

    entry_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    result = models.CharField(max_length=14, choices=Result.choices)
    award = models.ForeignKey(
        "achievements.Award", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rto = models.ForeignKey(
        "rtos.Rto", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_hash = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["award", "-at"]),
            models.Index(fields=["result", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.channel} {self.result}"


class LearnerSignInCode(models.Model):
    """A one-time code e-mailed to a learner: stored hashed, 10 minutes, 5 attempts.

    ``learner`` is empty for a decoy: a sign-in whose details matched no learner with an
    e-mail address stores a row all the same (services.learner_sign_in_start: the same
    work either way); it can never be confirmed."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    learner = models.ForeignKey(
        "students.Learner",
        on_delete=models.PROTECT,
        related_name="sign_in_codes",
        null=True,
        blank=True,
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in code {self.public_id[:8]}"


class ShareLink(models.Model):
    """A learner's link to chosen awards (or, with ``whole_transcript``, to everything on
    their transcript at the time of each view), valid until ``expires_at`` (≤ 90 days) unless
    revoked. ``token`` is the unguessable part of ``/share/<token>``."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    token = models.CharField(max_length=64, unique=True)
    learner = models.ForeignKey(
        "students.Learner", on_delete=models.PROTECT, related_name="share_links"
    )
    awards = models.ManyToManyField("achievements.Award", related_name="+")
    whole_transcript = models.BooleanField(
        default=False,
        help_text="Shows every award and unit the learner holds now, not chosen awards.",
    )
    label = models.CharField(max_length=100, blank=True)
    # opt-in: e-mail the learner when the link is viewed (at most once an hour per link)
    notify_on_view = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label or f"Share link {self.public_id[:8]}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class ShareView(models.Model):
    """One view of a share link: when. Never the viewer's address."""

    link = models.ForeignKey(ShareLink, on_delete=models.PROTECT, related_name="views")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"view of {self.link_id} at {self.viewed_at:%Y-%m-%d %H:%M}"


class StatusList(TenantOwnedModel):
    """An RTO's Bitstring Status Lists (W3C Bitstring Status List v1.0): one bit per
    award, at the index its :class:`CredentialStatusEntry` holds, in two lists that share
    the index — ``revocation`` (statusPurpose ``revocation``) and ``superseded``
    (statusPurpose ``message``, "the award was replaced by a corrected one"). Each list
    is published as a signed ``BitstringStatusListCredential`` (``vc+jwt``) at
    ``/status-lists/<rto code>/<list>``; the signed tokens are stored so that serving
    them never signs. ``next_index`` is the allocation counter (row-locked)."""

    SIZE = 131_072  # bits: the specification's minimum (16 KB), for herd privacy; a list
    # grows by whole blocks of this size when an RTO has more awards

    size = models.PositiveIntegerField(default=SIZE)
    next_index = models.PositiveIntegerField(default=0)
    revocation_jwt = models.TextField(blank=True)
    superseded_jwt = models.TextField(blank=True)
    bits_digest = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rto"], name="status_list_one_per_rto")]

    def __str__(self) -> str:
        return f"Status list of RTO {self.rto_id} ({self.next_index} used)"


class CredentialStatusEntry(TenantOwnedModel):
    """An award's bit index in its RTO's status lists (allocated once, never reused)."""

    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="entries")
    award = models.OneToOneField(
        "achievements.Award", on_delete=models.PROTECT, related_name="status_entry"
    )
    status_index = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="status_entry_index_unique"
            )
        ]

    def __str__(self) -> str:
        return f"award {self.award_id} → bit {self.status_index}"
