"""The PQS performance figures of each PQS and month (``dashboards.pqs_performance``).

One row per RTO and calendar month, rebuilt set-based from the claim, contract and payment
tables by ``pqs_performance_refresh`` (hourly in beat, ``manage.py
refresh_pqs_performance`` on demand): the two performance pages read these few thousand
rows, not the millions of claim and payment lines they summarise.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from core.models import TenantOwnedModel


class PqsMonth(TenantOwnedModel):
    """One PQS's counts for one month (``month`` is the first day). Each count's
    definition is in ``dashboards.pqs_performance`` (the refresh statement's parts)."""

    month = models.DateField()
    approved = models.BooleanField(default=False)  # a PQS approval was valid in the month
    claims_lodged = models.PositiveIntegerField(default=0)  # lodged by this month's cut-off
    outcomes_reported = models.PositiveIntegerField(default=0)
    outcomes_on_time = models.PositiveIntegerField(default=0)
    first_lines = models.PositiveIntegerField(default=0)
    first_lines_valid = models.PositiveIntegerField(default=0)
    commenced = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["rto_id", "month"]
        constraints = [models.UniqueConstraint(fields=["rto", "month"], name="pqs_month_key")]
        # the department's page reads one financial year of every PQS
        indexes = [models.Index(fields=["month"], name="pqs_month_month")]

    def __str__(self) -> str:
        return f"PQS performance {self.month:%m/%Y}"
