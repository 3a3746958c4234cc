"""Bank details: BSB and account validation, the BSB directory, verified bank account
changes (issue 14) and the accounts a payment batch paid to."""

from __future__ import annotations

import re

from django.conf import settings
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
    approval = models.ForeignKey(
        "pqs_claims.PqsApproval", on_delete=models.PROTECT, related_name="+"
    )
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

    batch = models.ForeignKey(
        "pqs_claims.PaymentBatch", on_delete=models.PROTECT, related_name="accounts"
    )
    rto = models.ForeignKey("rtos.Rto", on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(
        "pqs_claims.PqsApproval", on_delete=models.PROTECT, related_name="+"
    )
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
