"""Reporting reminders sent to RTOs."""

from __future__ import annotations

from django.db import models

from core.models import TenantOwnedModel

from .claims import ClaimLine


# ----------------------------------------------------------------- reporting reminders
class ReportingReminder(TenantOwnedModel):
    """One reminder e-mail about a lodged continuing outcome (70/85) whose final outcome
    is not yet reported, at one threshold (days before its 90-day window closes; 0: the
    window has closed). The unique constraint makes it once per line and threshold, even
    when the beat runs twice or a worker dies (``pqs_claims.reminders``)."""

    claim_line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="+")
    threshold_days = models.PositiveSmallIntegerField()
    window_closes = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["claim_line", "threshold_days"], name="reminder_once_per_line_threshold"
            )
        ]
        indexes = [models.Index(fields=["rto", "sent_at"])]

    def __str__(self) -> str:
        return f"Reminder {self.threshold_days} days, closes {self.window_closes:%d/%m/%Y}"
