"""Batch periods: a month's bounds, its last business day and cut-off, and the scheduler's
actor (payment-rules.md §5)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError
from core.holidays import last_business_day as last_day

BRISBANE = ZoneInfo("Australia/Brisbane")
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SCHEDULER_EMAIL = "payments-scheduler@cqr.invalid"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    if not PERIOD_RE.match(period or ""):
        raise ApplicationError(f"Period {period!r} is not YYYY-MM.")
    year, month = int(period[:4]), int(period[5:])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def last_business_day(period: str) -> dt.date:
    """Last business day of the month in Queensland (payment-rules.md §5): the last
    Monday-Friday that is not a Queensland or national public holiday
    (``core.PublicHoliday`` reference data, ``import_reference public-holidays``)."""

    start = period_bounds(period)[0]
    return last_day(start.year, start.month, "QLD")


def batch_cutoff(period: str) -> dt.datetime:
    """23:59 Australia/Brisbane on the last business day of the month (inclusive to the
    end of that minute)."""
    day = last_business_day(period)
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=BRISBANE)


def period_not_begun(period: str, *, today: dt.date | None = None) -> None:
    """payment-rules.md §5: a month that has not begun (in Brisbane) is refused — by the
    command, the page and beat alike, all of which go through ``payment_batch_run``. The
    current month may be calculated as a preview; approval waits for its cut-off."""
    start, _ = period_bounds(period)
    today = today or timezone.localtime(timezone.now(), BRISBANE).date()
    if start > today:
        raise ApplicationError(
            f"The {period} batch cannot be calculated before the month begins on {start:%d/%m/%Y}."
        )


def previous_period(period: str) -> str:
    start, _ = period_bounds(period)
    prev = start - dt.timedelta(days=1)
    return f"{prev:%Y-%m}"


def scheduler_user():
    """The actor recorded when a batch is run by Celery beat or by the command without
    ``--by`` (an inactive account that cannot sign in or approve)."""

    user, _ = User.objects.get_or_create(
        email=SCHEDULER_EMAIL,
        defaults={"full_name": "Payment scheduler", "is_active": False},
    )
    return user
