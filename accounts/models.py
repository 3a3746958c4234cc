"""People: one account per person (email login), department roles and grants, invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pgtrigger
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from core.models import new_public_id

from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("department_role", DepartmentRole.ADMIN)
        return self.create_user(email, password, **extra)


class DepartmentRole(models.TextChoices):
    NONE = "", "None"
    OFFICER = "officer", "Department officer"
    APPROVER = "approver", "Department approver"
    ADMIN = "admin", "Department admin"


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. RTO access comes from ``rtos.RtoMembership`` rows;
    department access from ``department_role`` plus ``OfficerGrant`` rows."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    # Django admin access (department admins only; see cqr_portal.urls).
    is_staff = models.BooleanField(default=False)
    department_role = models.CharField(
        max_length=16, choices=DepartmentRole.choices, blank=True, default=DepartmentRole.NONE
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        triggers = [
            # Unit outcomes and awards name the user who wrote them without a per-row
            # FOREIGN KEY (achievements.models.register_reference_triggers); deleting a
            # user who wrote register rows is refused here, as the constraint refused it.
            # People leave by being deactivated (``is_active``), never deleted.
            pgtrigger.Trigger(
                name="user_wrote_register_rows",
                operation=pgtrigger.Delete,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_rows"),
                func="""
                IF EXISTS (SELECT 1 FROM old_rows o
                           WHERE EXISTS (SELECT 1 FROM achievements_unitoutcome x
                                         WHERE x.updated_by_id = o.id)
                              OR EXISTS (SELECT 1 FROM achievements_award x
                                         WHERE x.updated_by_id = o.id)) THEN
                    RAISE EXCEPTION 'a user who wrote register records cannot be deleted'
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
                """,
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_department(self) -> bool:
        return bool(self.department_role)

    @property
    def is_department_admin(self) -> bool:
        return self.department_role == DepartmentRole.ADMIN

    @property
    def can_approve(self) -> bool:
        return self.department_role in (DepartmentRole.APPROVER, DepartmentRole.ADMIN)


class OfficerGrant(models.Model):
    """Explicit cross-tenant access for a department officer (architecture.md §3).

    ``all_rtos`` or a list of RTOs; ``can_act`` adds write permissions on top of read.
    Without a grant an officer sees no RTO workspace at all (404, like anyone else).
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="officer_grants")
    all_rtos = models.BooleanField(default=False)
    rtos = models.ManyToManyField("rtos.Rto", blank=True, related_name="+")
    can_act = models.BooleanField(default=False)
    reason = models.CharField(max_length=300)
    granted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        scope = "all RTOs" if self.all_rtos else "listed RTOs"
        return f"{self.user} — {scope} ({'act' if self.can_act else 'read'})"

    def is_current(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed invitation: to an RTO with a role, or to the department with a role.

    Only the token's sha256 is stored; the token itself exists in the e-mail alone.
    """

    TTL = timedelta(days=7)

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    email = models.EmailField()
    rto = models.ForeignKey(
        "rtos.Rto", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    rto_role = models.CharField(max_length=16, blank=True)
    department_role = models.CharField(max_length=16, choices=DepartmentRole.choices, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_targets_rto_or_department",
                condition=(
                    models.Q(rto__isnull=False, department_role="")
                    | models.Q(rto__isnull=True) & ~models.Q(department_role="")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.status})"

    @property
    def role_label(self) -> str:

        if self.rto_role:
            return Role(self.rto_role).label
        return DepartmentRole(self.department_role).label

    @classmethod
    def new_token(cls) -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def hash_token(cls, token: str) -> str:
        return _hash_token(token)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AccessApplication(models.Model):
    """A public application for an RTO's access to the portal (issue 14).

    Checked on arrival against the RTO registry (``import_reference rtos``): the code must
    be registered, the ABN must be the RTO's, and the RTO must not have ceased. No account
    exists until a department officer approves; approval invites the named administrator
    through the ordinary invitation flow (password, then MFA set-up). The applicant follows
    the status through a link in the acknowledgement e-mail; only the link token's sha256
    is stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the department"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    rto = models.ForeignKey("rtos.Rto", on_delete=models.PROTECT, related_name="+")
    rto_code = models.CharField("RTO code", max_length=10)
    legal_name = models.CharField(max_length=200)
    abn = models.CharField("ABN", max_length=11)
    contact_name = models.CharField(max_length=150)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=30, blank=True)
    admin_name = models.CharField(max_length=150)
    admin_email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one open application per RTO: a second waits for the first to be decided
            models.UniqueConstraint(
                fields=["rto"],
                condition=models.Q(status="pending"),
                name="access_application_one_pending_per_rto",
            ),
            # a decision names who and when; a rejection gives its reason; an approval
            # names the invitation it sent
            models.CheckConstraint(
                name="access_application_decision_complete",
                condition=models.Q(status="pending", decided_at__isnull=True)
                | models.Q(status="approved", decided_at__isnull=False, invitation__isnull=False)
                | (models.Q(status="rejected", decided_at__isnull=False) & ~models.Q(reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Access application {self.rto_code} ({self.get_status_display()})"


class NotificationPreference(models.Model):
    """Which e-mails a user wants (issue 13). No row = the defaults: every kind on.
    ``accounts.notifications`` reads it before each e-mail."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preference"
    )
    submission_result = models.BooleanField(
        "A submission I uploaded was validated or failed", default=True
    )
    claim_lodged = models.BooleanField("A User Choice claim I uploaded or lodged", default=True)
    batch_approved = models.BooleanField(
        "A User Choice payment batch was approved (with our remittance advice)", default=True
    )
    staff_invited = models.BooleanField(
        "Someone invited a new staff member to my RTO", default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    FIELDS = ("submission_result", "claim_lodged", "batch_approved", "staff_invited")

    def __str__(self) -> str:
        return f"E-mail preferences of {self.user_id}"


class Notification(models.Model):
    """One notification e-mail, written by the worker before it is sent (the send log).

    ``dedupe_key`` (event, object, recipient) is unique: a task delivered twice finds the
    row already ``sent`` and sends nothing; a row left ``pending`` by a killed worker is
    sent by the next run of the same task."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"

    event = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    email = models.EmailField()
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} → {self.email} ({self.status})"
