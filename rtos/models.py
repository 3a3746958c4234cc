"""The tenant: a Registered Training Organisation, and who works for it."""

import pgtrigger
from django.conf import settings
from django.db import models

from accounts.roles import GRANT_ACT_PERMS, GRANT_READ_PERMS, ROLE_PERMS, Perm, Role
from core.models import new_public_id
from core.validators import validate_abn

# Re-exported: migrations name rtos.models.validate_abn, and callers import the roles from here.
__all__ = [
    "GRANT_ACT_PERMS",
    "GRANT_READ_PERMS",
    "ROLE_PERMS",
    "STATES",
    "Perm",
    "Role",
    "Rto",
    "RtoMembership",
    "validate_abn",
]

STATES = [
    ("NSW", "New South Wales"),
    ("VIC", "Victoria"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("WA", "Western Australia"),
    ("TAS", "Tasmania"),
    ("NT", "Northern Territory"),
    ("ACT", "Australian Capital Territory"),
    ("OTH", "Other (overseas)"),
]


class Rto(models.Model):
    """A registered training organisation (the tenant).

    ``code`` is the national RTO code (training.gov.au). An RTO that ceases keeps every
    record: learners and verifiers still see them, its staff can no longer change them.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CEASED = "ceased", "Ceased"

    code = models.CharField(max_length=10, unique=True)
    legal_name = models.CharField(max_length=200)
    trading_name = models.CharField(max_length=200, blank=True)
    abn = models.CharField("ABN", max_length=11, validators=[validate_abn])
    state = models.CharField(max_length=3, choices=STATES)
    contact_email = models.EmailField(blank=True)
    # The registry's phone number: the one an officer calls to verify a bank account change
    # (never a number given in the request itself).
    phone = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ceased_on = models.DateField(null=True, blank=True)
    certificate_signatory = models.CharField(max_length=150, blank=True)
    certificate_signatory_title = models.CharField(max_length=150, blank=True)
    # The RTO's logo for new documents: a PNG the portal re-encoded from the admin's upload
    # (rtos.services.normalise_logo), in the default storage; never served as a file.
    logo = models.FileField(upload_to="rto-logos/", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="rto_ceased_has_date",
                condition=models.Q(status="active", ceased_on__isnull=True)
                | models.Q(status="ceased", ceased_on__isnull=False),
            )
        ]
        # An RTO ceases; it is never deleted (its records stay available, and the register
        # checks its rows' RTO once per statement rather than by per-row constraints).
        triggers = [pgtrigger.Protect(name="rto_no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.trading_name or self.legal_name

    @property
    def is_ceased(self) -> bool:
        return self.status == self.Status.CEASED


class RtoMembership(models.Model):
    """A user works for an RTO in one role. Deactivated memberships stay for the record."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    rto = models.ForeignKey(Rto, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rto__code", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "rto"], name="one_membership_per_rto")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.rto.code} ({self.get_role_display()})"

    @property
    def perms(self) -> frozenset[str]:
        return ROLE_PERMS[self.role]
