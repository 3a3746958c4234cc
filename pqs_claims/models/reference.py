"""The department's reference data (not tenant data): funding programs, price list, unit
points, localities, location loadings, training contracts."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


# ----------------------------------------------------------------- reference data
class FundingProgram(models.Model):
    """One version of a User Choice program with its parameters (payment-rules.md §4)."""

    class LoadingBasis(models.TextChoices):
        MAX = "MAX", "Higher of delivery and residence"
        DELIVERY = "DELIVERY", "Delivery location"
        RESIDENCE = "RESIDENCE", "Residence"
        SUM = "SUM", "Sum of both"

    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    state_fund_source_codes = ArrayField(models.CharField(max_length=3), default=list)
    max_report_lag_days = models.PositiveIntegerField(default=90)
    loading_basis = models.CharField(
        max_length=10, choices=LoadingBasis.choices, default=LoadingBasis.MAX
    )
    # outcome code -> "1", "0", a decimal, "HOURS" (pro-rata) or "HELD"
    outcome_factors = models.JSONField(default=dict)
    ct_counts_to_max = models.BooleanField(default=True)
    ppg_uses_ppg_price = models.BooleanField(default=True)
    # PQS performance thresholds (the policy's Appendix 1 KPIs; the list itself is not
    # public: funding-register-verification.md assumption K1): a PQS whose figure for a
    # financial year is below one is flagged on the department's PQS performance page.
    kpi_timeliness_min = models.DecimalField(
        "minimum reporting timeliness %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("95.00"),
        help_text="Share of final outcomes reported within the report lag.",
    )
    kpi_lodged_months_min = models.DecimalField(
        "minimum months lodged by the cut-off %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text="Share of the approved months with a claim lodged by the month's cut-off.",
    )
    kpi_validity_min = models.DecimalField(
        "minimum data validity %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("90.00"),
        help_text="Share of lines error free at their first lodgement.",
    )
    kpi_completion_min = models.DecimalField(
        "minimum completion rate %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        help_text="Share of a commencing cohort's ended contracts that ended completed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["code", "starts"], name="funding_program_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceListEntry(models.Model):
    """A qualification's price (payment-rules.md §1). ``measure`` says whether the
    designated number (the divisor) and the maximum payable (the cap) count units of
    competency or points (a points-priced qualification's units have ``UnitPoints``)."""

    class Measure(models.TextChoices):
        UNITS = "UNITS", "Units of competency"
        POINTS = "POINTS", "Points"

    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="prices")
    qualification_code = models.CharField(max_length=10)
    contribution = models.DecimalField(max_digits=12, decimal_places=2)
    ppg_contribution = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    designated_units = models.PositiveIntegerField(
        help_text="The designated number of units or points: divides the contribution."
    )
    max_payable = models.PositiveIntegerField(
        help_text="The maximum payable units or points of a contract (the cap, §5 rule 6);"
        " the designated number when not given."
    )
    measure = models.CharField(max_length=6, choices=Measure.choices, default=Measure.UNITS)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program__code", "qualification_code", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "qualification_code", "effective_from"], name="price_version"
            ),
            models.CheckConstraint(
                name="price_units_positive", condition=Q(designated_units__gte=1)
            ),
            models.CheckConstraint(
                name="price_max_payable_positive", condition=Q(max_payable__gte=1)
            ),
            models.CheckConstraint(
                name="price_measure_known", condition=Q(measure__in=["UNITS", "POINTS"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_code} from {self.effective_from}"

    def save(self, *args, **kwargs):
        if self.max_payable is None:  # payment-rules.md §1: defaults to the designated number
            self.max_payable = self.designated_units
        super().save(*args, **kwargs)


class UnitPoints(models.Model):
    """Points of a unit for a qualification priced in points (default 1)."""

    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="+")
    qualification_code = models.CharField(max_length=10)
    unit_code = models.CharField(max_length=12)
    points = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "qualification_code", "unit_code"], name="unit_points_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_code} ({self.points} points)"


class Locality(models.Model):
    postcode = models.CharField(max_length=4)
    locality = models.CharField(max_length=60)
    state = models.CharField(max_length=3)

    class Meta:
        ordering = ["postcode", "locality"]
        constraints = [
            models.UniqueConstraint(fields=["postcode", "locality"], name="locality_key")
        ]

    def __str__(self) -> str:
        return f"{self.locality} {self.postcode}"


class LocationLoading(models.Model):
    program = models.ForeignKey(FundingProgram, on_delete=models.PROTECT, related_name="loadings")
    postcode = models.CharField(max_length=4)
    locality = models.CharField(max_length=60)
    loading_percent = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program__code", "postcode", "locality", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "postcode", "locality", "effective_from"],
                name="loading_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.locality} {self.postcode}: {self.loading_percent}%"


class TrainingContract(models.Model):
    """An apprenticeship/traineeship contract registered in DELTA by the department."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        SUSPENDED = "suspended", "Suspended"

    delta_number = models.CharField(max_length=10, unique=True)
    family_name = models.CharField(max_length=60)
    given_names = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField()
    qualification_code = models.CharField(max_length=10)
    srto_code = models.CharField("SRTO code", max_length=10)
    commencement_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_date = models.DateField()
    ppg = models.BooleanField("priority population group", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["delta_number"]

    def __str__(self) -> str:
        return f"DELTA {self.delta_number}"


class TrainingContractSrto(models.Model):
    """One SRTO period of a training contract (payment-rules.md §1 "SRTO history"): the
    RTO ``srto_code`` supervised the contract from ``valid_from`` to ``valid_to``
    (inclusive; open when null). ``NOT_SRTO`` (§2) reads the period containing the claim's
    lodgement date. ``TrainingContract.srto_code`` is the latest period's SRTO; a contract
    with no period rows (none imported) has that SRTO on every date."""

    contract = models.ForeignKey(
        TrainingContract, on_delete=models.CASCADE, related_name="srto_periods"
    )
    srto_code = models.CharField("SRTO code", max_length=10)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "valid_from"], name="contract_srto_period"),
            models.CheckConstraint(
                name="contract_srto_period_order",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.srto_code} from {self.valid_from}"
