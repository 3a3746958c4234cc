"""What the RTO dashboard shows. Later apps add their panels here (bounded queries)."""

from django.utils import timezone

from core.models import AuditEvent


def dashboard_context(rto) -> dict:
    from achievements.selectors import dashboard_register
    from pqs_claims.selectors import rto_claim_deadline

    register = dashboard_register(rto=rto, year=timezone.localdate().year)
    panels = [{"template": "achievements/_dashboard_panel.html", "register": register}]
    deadline = rto_claim_deadline(rto=rto, now=timezone.now())
    if deadline:  # a Pre-Qualified Supplier: its next User Choice claim cut-off
        from pqs_claims.deadlines import deadline_calendar
        from pqs_claims.reminders import lines_at_risk

        today = timezone.localdate()
        panels.append(
            {
                "template": "pqs_claims/_dashboard_panel.html",
                "deadline": deadline,
                "at_risk": lines_at_risk(today=today, rto=rto, limit=20),
                "calendar": deadline_calendar(today=today, rto=rto),
            }
        )
    return {
        "recent_activity": AuditEvent.objects.filter(rto=rto)
        .exclude(action="officer.rto_access")
        .select_related("actor")[:8],
        "panels": panels,
    }
