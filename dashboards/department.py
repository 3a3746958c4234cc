"""The department overview: RTOs by status and a figure from each app above them (register
submissions, claims, payments, reporting, verification). It composes the apps, so it sits
above them (no app imports this module)."""

import datetime as dt

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from achievements.selectors import department_submission_counts
from core.decorators import department_required
from pqs_claims.deadlines import deadline_calendar
from pqs_claims.reminders import reporting_overview
from pqs_claims.selectors import claims_waiting, department_claims_overview
from rtos.models import Rto
from verification.selectors import verification_mix


@department_required()
def overview(request):
    """Department overview (screens.md): RTOs by status, register submissions this month,
    claims lodged vs expected, the newest payment batch, public verification this week.
    A fixed number of aggregate queries (tests/core/test_department_overview.py)."""
    today = timezone.localdate()
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    by_status = dict(Rto.objects.values_list("status").annotate(n=Count("id")).order_by())
    submissions = department_submission_counts(since=month_start)
    mix = verification_mix(days=7)
    return render(
        request,
        "department/overview.html",
        {
            "active_count": by_status.get("active", 0),
            "ceased_count": by_status.get("ceased", 0),
            "submissions": submissions,
            "submissions_in_progress": sum(
                submissions.get(k, 0) for k in ("received", "validating", "committing")
            ),
            "submissions_total": sum(submissions.values()),
            "claims": department_claims_overview(today=today),
            "waiting": claims_waiting(),
            "reporting": reporting_overview(today=today),
            "deadlines": deadline_calendar(today=today),
            "verification": mix,
            "verification_not_current": mix.get("revoked", 0) + mix.get("superseded", 0),
            "verification_total": sum(mix.values()),
        },
    )
