"""Business days: Monday to Friday, except the public holidays of a jurisdiction.

The holidays are reference data (``core.PublicHoliday``, loaded with
``manage.py import_reference public-holidays FILE``): a jurisdiction's business days skip
its own holidays and the ``NATIONAL`` ones. Used for the User Choice monthly cut-off,
"23:59 Australia/Brisbane on the last business day of the month" (payment-rules.md §5),
with jurisdiction ``QLD``.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .models import PublicHoliday

NATIONAL = PublicHoliday.Jurisdiction.NATIONAL


def holidays_between(start: dt.date, end: dt.date, jurisdiction: str) -> dict[dt.date, str]:
    """The holidays observed in ``jurisdiction`` from ``start`` to ``end`` (inclusive):
    date → name (the jurisdiction's own name first when both lists hold the day)."""
    rows = (
        PublicHoliday.objects.filter(
            date__range=(start, end), jurisdiction__in=[jurisdiction, NATIONAL]
        )
        .order_by("date", "jurisdiction")
        .values_list("date", "jurisdiction", "name")
    )
    out: dict[dt.date, str] = {}
    for day, where, name in rows:
        if day not in out or where == jurisdiction:
            out[day] = name
    return out


def is_business_day(day: dt.date, jurisdiction: str) -> bool:
    return day.weekday() < 5 and not holidays_between(day, day, jurisdiction)


def last_business_day(year: int, month: int, jurisdiction: str) -> dt.date:
    """The month's last Monday-Friday that is not a public holiday in ``jurisdiction``.

    One query for the month. If no day of the month qualified (not a real calendar), the
    search continues into the previous month rather than inventing a date.
    """
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    start = dt.date(year, month, 1)
    closed = holidays_between(start - dt.timedelta(days=31), end, jurisdiction)
    day = end
    while day.weekday() >= 5 or day in closed:
        day -= dt.timedelta(days=1)
    return day
