"""The deadlines calendar (issue 14): this month's claim cut-off and the 90-day windows
closing this month, as a server-rendered month grid on the RTO dashboard and the
department overview."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from core.models import PublicHoliday
from pqs_claims.deadlines import deadline_calendar
from pqs_claims.models import ClaimLine, ClaimSubmission

DEC = dt.date(2026, 12, 5)


def _lines(rto, specs):
    """Lodged claim lines ``(learner, unit, outcome, activity_end_date)`` of ``rto``."""
    with scopes_disabled():
        sub = ClaimSubmission.objects.create(
            rto=rto, file=f"claims/{rto.code}.zip", file_name="c.zip",
            sha256=rto.code.ljust(64, "0"), collection_year=2026, status="lodged",
        )  # fmt: skip
        for n, (learner, unit, outcome, ended) in enumerate(specs, start=1):
            ClaimLine.objects.create(
                rto=rto, submission=sub, line_number=n, client_identifier=learner,
                learner_key=f"ID:{learner}", subject_identifier=unit, outcome=outcome,
                activity_end_date=ended, status="lodged", lodged_at=timezone.now(),
            )  # fmt: skip


def _day(cal, day: dt.date) -> dict:
    return next(d for week in cal["weeks"] for d in week if d and d["date"] == day)


def test_the_cut_off_is_the_last_queensland_business_day(pqs):
    cal = deadline_calendar(today=DEC)
    assert cal["cutoff"] == dt.date(2026, 12, 31)  # a Thursday
    assert [e["kind"] for e in _day(cal, dt.date(2026, 12, 31))["events"]] == ["cutoff"]
    PublicHoliday.objects.create(date=dt.date(2026, 12, 31), jurisdiction="QLD", name="Test Day")
    PublicHoliday.objects.create(date=dt.date(2026, 12, 30), jurisdiction="VIC", name="Not here")
    cal = deadline_calendar(today=DEC)
    assert cal["cutoff"] == dt.date(2026, 12, 30)  # a Victorian holiday does not count
    assert [e["text"] for e in _day(cal, dt.date(2026, 12, 31))["events"]] == [
        "Public holiday: Test Day"
    ]
    assert _day(cal, dt.date(2026, 12, 30))["events"][0]["kind"] == "cutoff"


def test_the_grid_is_the_month_monday_first(pqs):
    cal = deadline_calendar(today=DEC)
    assert all(len(week) == 7 for week in cal["weeks"])
    days = [d["date"] for week in cal["weeks"] for d in week if d]
    assert days == [dt.date(2026, 12, n) for n in range(1, 32)]
    assert cal["weeks"][0][0] is None and cal["weeks"][0][1]["date"].day == 1  # a Tuesday
    assert [d["date"].day for w in cal["weeks"] for d in w if d and d["is_today"]] == [5]


def test_windows_closing_this_month_are_listed_on_their_day(pqs):
    ninety = dt.timedelta(days=90)
    _lines(
        pqs.rto1,
        [
            ("L1", "UNIT1", "70", dt.date(2026, 12, 10) - ninety),  # closes 10/12
            ("L2", "UNIT2", "85", dt.date(2026, 12, 10) - ninety),  # closes 10/12
            ("L3", "UNIT3", "70", dt.date(2026, 12, 2) - ninety),  # closed 2/12, unreported
            ("L4", "UNIT4", "70", dt.date(2027, 1, 4) - ninety),  # January: not this month
            ("L5", "UNIT5", "70", dt.date(2026, 12, 20) - ninety),  # reported: not listed
            ("L5", "UNIT5", "20", dt.date(2026, 12, 1)),
            ("L6", "UNIT6", "20", dt.date(2026, 12, 20) - ninety),  # a final outcome
        ],
    )
    _lines(pqs.rto2, [("M1", "UNITX", "70", dt.date(2026, 12, 10) - ninety)])
    mine = deadline_calendar(today=DEC, rto=pqs.rto1)
    (ten,) = _day(mine, dt.date(2026, 12, 10))["events"]
    assert ten["text"] == "90-day window closes: 2 final outcomes to report"
    assert ten["items"] == ["L1 · UNIT1", "L2 · UNIT2"]  # not the other RTO's M1
    (two,) = _day(mine, dt.date(2026, 12, 2))["events"]
    assert two["text"] == "90-day window closed, not reported: 1 final outcome to report"
    assert not _day(mine, dt.date(2026, 12, 20))["events"]
    assert [e["kind"] for e in mine["events"]] == ["window", "window", "cutoff"]
    every = deadline_calendar(today=DEC)
    (ten,) = _day(every, dt.date(2026, 12, 10))["events"]
    assert ten["text"] == "90-day window closes: 3 final outcomes to report"
    assert ten["items"] == ["RTO 90001: 2", "RTO 90002: 1"]


def test_many_lines_a_day_are_named_up_to_a_limit_in_three_queries(pqs):
    closes = dt.date(2026, 12, 15)
    _lines(pqs.rto1, [(f"L{n}", "UNIT1", "70", closes - dt.timedelta(days=90)) for n in range(8)])
    with CaptureQueriesContext(connection) as queries:
        cal = deadline_calendar(today=DEC, rto=pqs.rto1)
    assert len(queries) <= 3
    (event,) = _day(cal, closes)["events"]
    assert event["text"].startswith("90-day window closes: 8 final outcomes")
    assert event["items"][-1] == "and 3 more" and len(event["items"]) == 6


def _calendar_table(html: str) -> str:
    match = re.search(r'<table class="calendar".*?</table>', html, re.S)
    assert match, "no calendar table"
    return match.group(0)


def test_rto_dashboard_and_department_overview_show_the_calendar(pqs):
    today = timezone.localdate()
    _lines(pqs.rto1, [("C9", "CPCCWHS2001", "70", today - dt.timedelta(days=90))])  # today
    staff = Client()
    staff.force_login(pqs.staff1)
    table = _calendar_table(staff.get(f"/rto/{pqs.rto1.code}/").content.decode())
    assert f"<caption>Deadlines, {today:%B %Y}: claim cut-off" in table
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in table
    cell = re.search(r'<td aria-current="date".*?</td>', table, re.S).group(0)
    assert "90-day window closes: 1 final outcome to report" in cell
    assert "C9 · CPCCWHS2001" in cell
    assert "Claim cut-off, 11:59 pm" in table
    officer = Client()
    officer.force_login(pqs.officer)
    table = _calendar_table(officer.get("/department/").content.decode())
    cell = re.search(r'<td aria-current="date".*?</td>', table, re.S).group(0)
    assert "RTO 90001: 1" in cell and "C9" not in cell


def test_the_department_windows_are_kept_for_the_day_an_rto_s_are_not(pqs):
    """Every PQS's windows (an index probe per continuing line of the month) come from the
    cache for ten minutes; an RTO's own are read each time."""
    ninety = dt.timedelta(days=90)
    _lines(pqs.rto1, [("L1", "UNIT1", "70", dt.date(2026, 12, 10) - ninety)])
    assert _day(deadline_calendar(today=DEC), dt.date(2026, 12, 10))["events"]
    _lines(pqs.rto2, [("M1", "UNITX", "70", dt.date(2026, 12, 11) - ninety)])
    with CaptureQueriesContext(connection) as ctx:
        every = deadline_calendar(today=DEC)
    assert not _day(every, dt.date(2026, 12, 11))["events"]  # as counted before
    assert not any("pqs_claims_claimline" in q["sql"] for q in ctx.captured_queries)
    assert _day(deadline_calendar(today=DEC, rto=pqs.rto2), dt.date(2026, 12, 11))["events"]
    tomorrow = deadline_calendar(today=DEC + dt.timedelta(days=1))
    assert _day(tomorrow, dt.date(2026, 12, 11))["events"]
