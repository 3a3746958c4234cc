"""PQS approvals (an RTO's approval per program, with its paying account) and PQS
applications with their scope (issue 14)."""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.models import TenantOwnedModel, new_public_id

from .bank import RequestDecision, mask_account, validate_account_number, validate_bsb
from .reference import FundingProgram

PAYING_ACCOUNT_TRIGGER = "pqs_paying_account_verified_only"


class PqsApproval(TenantOwnedModel):
    """An RTO's Pre-Qualified Supplier approval for one program (its delivery schedule and
    the bank account payments go to)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    supplier_number = models.CharField(max_length=12)
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    qualification_codes = ArrayField(models.CharField(max_length=10), default=list)
    bsb = models.CharField("BSB", max_length=7, validators=[validate_bsb])
    account_number = models.CharField(max_length=9, validators=[validate_account_number])
    account_name = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_number", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "program", "valid_from"], name="pqs_approval_version"
            ),
            models.CheckConstraint(
                name="pqs_bsb_format", condition=Q(bsb__regex=r"^[0-9]{3}-[0-9]{3}$")
            ),
            models.CheckConstraint(
                name="pqs_account_format", condition=Q(account_number__regex=r"^[0-9]{1,9}$")
            ),
        ]
        triggers = [
            # safe against payment redirection: only a verified BankAccountChange moves
            # the account (bank_accounts.bank_change_verify ignores this trigger)
            pgtrigger.Protect(
                name=PAYING_ACCOUNT_TRIGGER,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("bsb", "account_number", "account_name"),
            )
        ]

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)

    @property
    def paying_account(self) -> tuple[str, str, str]:
        """Where payments go: BSB, account number, account name."""
        return (self.bsb, self.account_number, self.account_name)


# ----------------------------------------------------------------- PQS applications (issue 14)
class RtoScope(models.Model):
    """One qualification on an RTO's scope of registration (reference kind ``rto-scope``:
    rto code, qualification code, from, to). Only qualifications on scope can be
    nominated in a PQS application."""

    rto_code = models.CharField(max_length=10)
    qualification_code = models.CharField(max_length=10)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["rto_code", "qualification_code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto_code", "qualification_code", "valid_from"], name="rto_scope_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rto_code} {self.qualification_code} from {self.valid_from:%d/%m/%Y}"


class PqsApplication(TenantOwnedModel, RequestDecision):
    """An RTO's application for PQS status under a program, or a variation of its approval
    (qualifications added or removed). Decided by a department approver: approved, partly
    approved (some nominated qualifications left out, with the reason) or rejected. The
    decided rows are the approval's history (``schedule_before``/``schedule_after``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the department"
        APPROVED = "approved", "Approved"
        PARTLY = "partly", "Partly approved"
        REJECTED = "rejected", "Rejected"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(
        PqsApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    is_variation = models.BooleanField(default=False)
    nominated_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    remove_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    bsb = models.CharField("BSB", max_length=7, blank=True)
    account_number = models.CharField(max_length=9, blank=True)
    account_name = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    approved_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    schedule_before = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    schedule_after = ArrayField(models.CharField(max_length=10), default=list, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "program"],
                condition=Q(status="pending"),
                name="pqs_application_one_pending_per_program",
            ),
            # a rejection or a partial approval gives its reason; a decision names who/when
            models.CheckConstraint(
                name="pqs_application_decision_complete",
                condition=Q(status="pending", decided_at__isnull=True)
                | (
                    Q(status="approved", decided_at__isnull=False, approval__isnull=False)
                    & Q(decided_by__isnull=False)
                )
                | (
                    Q(status__in=["partly", "rejected"], decided_at__isnull=False)
                    & Q(decided_by__isnull=False)
                    & ~Q(reason="")
                ),
            ),
        ]

    def __str__(self) -> str:
        what = "Variation" if self.is_variation else "PQS application"
        return f"{what} {self.program_id} ({self.get_status_display()})"
