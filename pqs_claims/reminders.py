"""Deadlines: lines at risk of missing the 90-day reporting window, and reminders.

Rule (issue 14; payment-rules.md): a continuing outcome (70 or 85) lodged for a unit must
be followed by the final outcome within 90 days of the activity's end date. A line is at
risk when no final outcome is lodged for the same learner and unit and its window closes
within ``AT_RISK_DAYS``; overdue once it has closed. The PQS is e-mailed at each threshold
of ``settings.CQR_REPORTING_REMINDER_DAYS`` (days before the window closes; 0: overdue)
exactly once per line and threshold: ``ReportingReminder``'s unique constraint refuses a
second row, and a row is marked sent in the transaction that sends its e-mail.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from rtos.models import Role, RtoMembership

from .models import ClaimLine, ReportingReminder

REPORTING_WINDOW_DAYS = 90
AT_RISK_DAYS = 30
CONTINUING = ("70", "85")


def thresholds() -> tuple[int, ...]:
    return tuple(sorted(getattr(settings, "CQR_REPORTING_REMINDER_DAYS", (30, 7, 0))))


def unreported():
    """Lodged continuing lines (70/85) with no final outcome lodged for the same learner
    and unit: each has a 90-day window to report it."""
    final = ClaimLine.objects.filter(
        rto=OuterRef("rto"),
        learner_key=OuterRef("learner_key"),
        subject_identifier=OuterRef("subject_identifier"),
        status=ClaimLine.Status.LODGED,
    ).exclude(outcome__in=CONTINUING)
    return ClaimLine.objects.filter(status=ClaimLine.Status.LODGED, outcome__in=CONTINUING).filter(
        ~Exists(final)
    )


def _at_risk(today: dt.date):
    latest_end = today + dt.timedelta(days=AT_RISK_DAYS - REPORTING_WINDOW_DAYS)
    return unreported().filter(activity_end_date__lte=latest_end)


def rtos_with_lines_at_risk(*, today: dt.date) -> set[int]:
    """The ids of the RTOs with a line at risk or overdue (``lines_at_risk``)."""
    with scopes_disabled():
        return set(_at_risk(today).values_list("rto_id", flat=True).distinct())


def lines_at_risk(*, today: dt.date, rto=None, limit: int = 5000):
    """Lodged continuing lines with no final outcome lodged for the learner and unit,
    whose window closes within ``AT_RISK_DAYS`` of ``today`` (or has closed), soonest
    first, each with ``window_closes`` and ``days_left``. One query."""
    with scopes_disabled():
        qs = _at_risk(today).select_related("rto").order_by("activity_end_date", "pk")
        if rto is not None:
            qs = qs.filter(rto=rto)
        lines = list(qs[:limit])
    for line in lines:
        line.window_closes = line.activity_end_date + dt.timedelta(days=REPORTING_WINDOW_DAYS)
        line.days_left = (line.window_closes - today).days
    return lines


#: How long the department overview's reporting figures are reused (seconds).
OVERVIEW_CACHE_SECONDS = 600


def reporting_overview(*, today: dt.date) -> dict:
    """Department overview: lines at risk (window closing within ``AT_RISK_DAYS``) and
    overdue (closed), across every PQS, as of at most ``OVERVIEW_CACHE_SECONDS`` ago.

    A pre-aggregate, not a count per page view: the count reads every lodged continuing
    line of the whole claim history and looks up a final outcome for each (an anti-join
    over the national claim line table, seconds at national size), too slow for a page
    that every officer opens. The figures change only when a final outcome is lodged or
    a day passes, so they are kept in the cache per day for ten minutes; the daily
    reminder run (``reminders_run``) refreshes them. One query when not cached."""
    key = f"pqs:reporting-overview:{today.isoformat()}"
    figures = cache.get(key)
    if figures is None:
        figures = reporting_overview_refresh(today=today)
    return figures


def reporting_overview_refresh(*, today: dt.date) -> dict:
    """Count the department overview's reporting figures now and keep them (see above)."""
    closed_before = today - dt.timedelta(days=REPORTING_WINDOW_DAYS)
    with scopes_disabled():
        figures = _at_risk(today).aggregate(
            at_risk=Count("pk", filter=Q(activity_end_date__gte=closed_before)),
            overdue=Count("pk", filter=Q(activity_end_date__lt=closed_before)),
        )
    cache.set(f"pqs:reporting-overview:{today.isoformat()}", figures, OVERVIEW_CACHE_SECONDS)
    return figures


def reminders_record(*, today: dt.date) -> int:
    """Record the reminders now due (idempotent: existing rows are left alone)."""
    rows = [
        ReportingReminder(
            rto_id=line.rto_id,
            claim_line=line,
            threshold_days=t,
            window_closes=line.window_closes,
        )
        for line in lines_at_risk(today=today)
        for t in thresholds()
        if line.days_left <= t
    ]
    with scopes_disabled():
        before = ReportingReminder.objects.count()
        # ON CONFLICT DO NOTHING: a row that exists (another run, a dead worker's) stays
        ReportingReminder.objects.bulk_create(rows, ignore_conflicts=True)
        return ReportingReminder.objects.count() - before


def reminders_send() -> int:
    """E-mail each RTO its unsent reminders, one e-mail per RTO, and mark them sent in
    the same transaction (rows another worker holds are skipped). A worker that dies
    before its commit leaves them unsent for the next run."""
    sent = 0
    with scopes_disabled():
        rto_ids = set(
            ReportingReminder.objects.filter(sent_at__isnull=True).values_list("rto_id", flat=True)
        )
        for rto_id in sorted(rto_ids):
            with transaction.atomic():
                due = list(
                    ReportingReminder.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(rto_id=rto_id, sent_at__isnull=True)
                    .select_related("claim_line", "rto")
                    .order_by("window_closes", "claim_line_id", "threshold_days")
                )
                if not due:
                    continue
                _mail(due)
                ReportingReminder.objects.filter(pk__in=[r.pk for r in due]).update(
                    sent_at=timezone.now()
                )
                sent += len(due)
    return sent


def _mail(due: list[ReportingReminder]) -> None:

    rto = due[0].rto
    admins = RtoMembership.objects.filter(rto=rto, role=Role.ADMIN, is_active=True)
    to = sorted({rto.contact_email, *admins.values_list("user__email", flat=True)} - {""})
    if not to:
        return
    # one line each, at its nearest threshold (a first run may reach several at once;
    # ``due`` is ordered by threshold within a line)
    nearest = {}
    for r in due:
        nearest.setdefault(r.claim_line_id, r)
    context = {"rto": rto, "due": list(nearest.values())}
    body = render_to_string("pqs_claims/email/reporting_reminder.txt", context)
    send_mail(f"User Choice: final outcomes to report ({rto.code})", body, None, to)


def reminders_run(*, today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    recorded, sent = reminders_record(today=today), reminders_send()
    reporting_overview_refresh(today=today)
    return recorded, sent
