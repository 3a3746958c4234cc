"""The deadlines calendar of the RTO dashboard and the department overview (issue 14).

A month grid (Monday first) of the month of ``today`` in Brisbane, each day listing its
events:

* the claim cut-off: 11:59 pm Brisbane on the month's last business day, skipping
  Queensland and national public holidays (payment-rules.md §5, ``services.batch_cutoff``);
* the Queensland public holidays themselves (why the cut-off moved);
* the 90-day reporting windows that close that day: lodged continuing outcomes (70/85)
  with no final outcome lodged for the learner and unit (``reminders.unreported``),
  listed by learner and unit for an RTO, by PQS for the department.

Three queries whatever the number of lines (holidays, the cut-off's holidays, windows;
the department's windows from the cache when counted in the last ten minutes).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.core.cache import cache
from django_scopes import scopes_disabled

from core.holidays import holidays_between
from rtos.models import Rto

from .reminders import (
    OVERVIEW_CACHE_SECONDS,
    REPORTING_WINDOW_DAYS,
    lines_at_risk,
    rtos_with_lines_at_risk,
    unreported,
)
from .services import last_business_day

#: Lines (RTO) or PQSs (department) named per day before "and N more"; the day's
#: count is always given.
NAMED_PER_DAY = 5


def deadline_calendar(*, today: dt.date, rto=None) -> dict:
    """``{"month", "cutoff", "weeks", "events"}``: ``weeks`` is a list of 7-day lists of
    ``{"date", "is_today", "events"}`` (``None`` for days outside the month); each event
    is ``{"kind", "text", "items"}`` (kind ``cutoff``, ``holiday`` or ``window``).
    ``rto``: that RTO's windows only (the RTO dashboard); ``None``: every PQS's."""

    first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    by_day: dict[dt.date, list[dict]] = defaultdict(list)

    for day, name in holidays_between(first, last, "QLD").items():
        by_day[day].append({"kind": "holiday", "text": f"Public holiday: {name}", "items": []})
    cutoff = last_business_day(f"{first:%Y-%m}")
    by_day[cutoff].insert(
        0,
        {
            "kind": "cutoff",
            "text": "Claim cut-off, 11:59 pm Brisbane time (last business day)",
            "items": [],
        },
    )
    windows = _department_windows if rto is None else _windows
    for day, event in windows(first, last, today, rto).items():
        by_day[day].append(event)

    weeks = [
        [
            {
                "date": d,
                "is_today": d == today,
                "events": by_day.get(d, []),
            }
            if d.month == first.month
            else None
            for d in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    events = [{"date": d, **e} for d in sorted(by_day) for e in by_day[d]]
    return {"month": first, "cutoff": cutoff, "weeks": weeks, "events": events}


def _department_windows(first: dt.date, last: dt.date, today: dt.date, _rto=None) -> dict:
    """Every PQS's windows of the month, kept in the cache per day for
    ``reminders.OVERVIEW_CACHE_SECONDS``, like the overview's reporting figures: the
    query looks up a final outcome for each continuing line of the month across every
    PQS (thousands of index probes at national size), and its answer changes only when
    a final outcome is lodged or a day passes."""
    key = f"pqs:department-windows:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = _windows(first, last, today, None)
        cache.set(key, found, OVERVIEW_CACHE_SECONDS)
    return found


def _windows(first: dt.date, last: dt.date, today: dt.date, rto) -> dict[dt.date, dict]:
    """The reporting windows closing each day of the month: one query, ordered."""
    window = dt.timedelta(days=REPORTING_WINDOW_DAYS)
    with scopes_disabled():
        qs = unreported().filter(activity_end_date__range=(first - window, last - window))
        if rto is not None:
            qs = qs.filter(rto=rto)
        rows = list(
            qs.order_by("activity_end_date", "rto__code", "client_identifier", "pk").values_list(
                "activity_end_date", "rto__code", "client_identifier", "subject_identifier"
            )
        )
    grouped: dict[dt.date, list[tuple]] = defaultdict(list)
    for ended, code, learner, unit in rows:
        grouped[ended + window].append((code, learner, unit))
    out = {}
    for day, lines in grouped.items():
        n = len(lines)
        state = "closed, not reported" if day < today else "closes"
        noun = f"{n} final outcome{'s' if n != 1 else ''}"
        if rto is not None:
            items = [f"{learner} · {unit}" for _c, learner, unit in lines[:NAMED_PER_DAY]]
            if n > NAMED_PER_DAY:
                items.append(f"and {n - NAMED_PER_DAY} more")
        else:
            per_rto: dict[str, int] = defaultdict(int)
            for code, _l, _u in lines:
                per_rto[code] += 1
            items = [f"RTO {code}: {k}" for code, k in list(per_rto.items())[:NAMED_PER_DAY]]
            if len(per_rto) > NAMED_PER_DAY:
                items.append(f"and {len(per_rto) - NAMED_PER_DAY} more PQSs")
        out[day] = {
            "kind": "window",
            "text": f"90-day window {state}: {noun} to report",
            "items": items,
        }
    return out


def rto_reporting_panel(*, today: dt.date, rto) -> dict:
    """The RTO dashboard's reporting panel — its lines at risk (``reminders.
    lines_at_risk``, the first ``RTO_PANEL_AT_RISK``) and this month's calendar — kept in
    the cache per RTO and day for ``reminders.OVERVIEW_CACHE_SECONDS``, like the
    department overview's figures: both look up a final outcome for each of the RTO's
    lodged continuing lines (an anti-join over its claim history), and the answer changes
    only when a final outcome is lodged or a day passes. The daily reminder run
    (``rto_reporting_panels_refresh``) refreshes it for every RTO with a line at risk."""
    found = cache.get(_panel_key(today, rto.pk))
    if found is None:
        found = rto_reporting_panel_refresh(today=today, rto=rto)
    return found


#: Lines at risk the RTO dashboard names (the rest are on the reminders' e-mails).
RTO_PANEL_AT_RISK = 20


def rto_reporting_panel_refresh(*, today: dt.date, rto) -> dict:
    """Work out the RTO's reporting panel now and keep it (see ``rto_reporting_panel``)."""
    panel = {
        "at_risk": lines_at_risk(today=today, rto=rto, limit=RTO_PANEL_AT_RISK),
        "calendar": deadline_calendar(today=today, rto=rto),
    }
    cache.set(_panel_key(today, rto.pk), panel, OVERVIEW_CACHE_SECONDS)
    return panel


def rto_reporting_panels_refresh(*, today: dt.date) -> int:
    """The daily run's refresh of every RTO's panel that has a line at risk; returns
    how many were refreshed."""
    rtos = list(Rto.objects.filter(pk__in=rtos_with_lines_at_risk(today=today)))
    for rto in rtos:
        rto_reporting_panel_refresh(today=today, rto=rto)
    return len(rtos)


def _panel_key(today: dt.date, rto_id: int) -> str:
    return f"pqs:rto-reporting-panel:{rto_id}:{today.isoformat()}"
