"""What the RTO dashboard shows. Later apps add their panels here (bounded queries)."""

from django.utils import timezone

from core.models import AuditEvent


def dashboard_context(rto) -> dict:
    from achievements.selectors import dashboard_register

    register = dashboard_register(rto=rto, year=timezone.localdate().year)
    return {
        "recent_activity": AuditEvent.objects.filter(rto=rto)
        .exclude(action="officer.rto_access")
        .select_related("actor")[:8],
        "panels": [{"template": "achievements/_dashboard_panel.html", "register": register}],
    }
