"""The RTO dashboard: the RTO's recent activity and a panel from each app above it (the
register, and the PQS claim deadline), all bounded queries. It composes the apps, so it
sits above them (no app imports this module)."""

from django.shortcuts import render
from django.utils import timezone

from achievements.selectors import dashboard_register
from core.decorators import rto_perm_required
from core.models import AuditEvent
from pqs_claims.deadlines import rto_reporting_panel
from pqs_claims.selectors import rto_claim_deadline
from rtos.models import Perm


def dashboard_context(rto, *, can_claim: bool = False) -> dict:
    register = dashboard_register(rto=rto, year=timezone.localdate().year)
    panels = [{"template": "achievements/_dashboard_panel.html", "register": register}]
    deadline = rto_claim_deadline(rto=rto, now=timezone.now())
    if deadline:  # a Pre-Qualified Supplier: its next User Choice claim cut-off
        today = timezone.localdate()
        panels.append(
            {
                "template": "pqs_claims/_dashboard_panel.html",
                "deadline": deadline,
                **rto_reporting_panel(today=today, rto=rto),
            }
        )
        if can_claim:  # its PQS performance page (the claims permission)
            panels.append({"template": "dashboards/_performance_panel.html"})
    return {
        "recent_activity": AuditEvent.objects.filter(rto=rto)
        .exclude(action__in=("officer.rto_access", "api_token.used"))  # per request: noise
        .select_related("actor")[:8],
        "panels": panels,
    }


@rto_perm_required(Perm.VIEW)
def dashboard(request, rto_code):
    can_claim = request.rto_access.has(Perm.PREPARE_CLAIMS)
    return render(
        request, "rtos/dashboard.html", dashboard_context(request.rto, can_claim=can_claim)
    )
