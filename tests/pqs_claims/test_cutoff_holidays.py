"""The monthly cut-off skips Queensland public holidays (payment-rules.md §5: 23:59
Australia/Brisbane on the last business day of the month)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.holidays import is_business_day
from core.models import PublicHoliday
from pqs_claims import services
from reference.importer import import_reference

BNE = services.BRISBANE
DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data" / "public-holidays.csv"


def holiday(day: dt.date, name: str = "Test holiday", where: str = "QLD") -> None:
    PublicHoliday.objects.create(date=day, jurisdiction=where, name=name)


@pytest.mark.django_db
def test_without_holidays_the_last_weekday_is_the_cutoff_day():
    assert services.last_business_day("2026-10") == dt.date(2026, 10, 30)  # Friday
    assert services.last_business_day("2026-05") == dt.date(2026, 5, 29)  # 30-31 weekend
    assert services.batch_cutoff("2026-10") == dt.datetime(
        2026, 10, 30, 23, 59, 59, 999999, tzinfo=BNE
    )


@pytest.mark.django_db
def test_a_holiday_on_the_last_weekday_moves_the_cutoff_back():
    holiday(dt.date(2026, 10, 30))  # Friday, the month's last weekday
    assert services.last_business_day("2026-10") == dt.date(2026, 10, 29)
    assert services.batch_cutoff("2026-10") == dt.datetime(
        2026, 10, 29, 23, 59, 59, 999999, tzinfo=BNE
    )


@pytest.mark.django_db
def test_a_long_weekend_at_month_end_skips_holidays_and_the_weekend():
    # Monday 31/08/2026 and Friday 28/08/2026 both holidays: back to Thursday 27/08
    holiday(dt.date(2026, 8, 31), "Monday holiday")
    holiday(dt.date(2026, 8, 28), "Friday holiday")
    assert services.last_business_day("2026-08") == dt.date(2026, 8, 27)


@pytest.mark.django_db
def test_other_states_holidays_are_ignored_and_national_ones_count():
    holiday(dt.date(2026, 6, 30), "Tuesday elsewhere", where="VIC")
    assert services.last_business_day("2026-06") == dt.date(2026, 6, 30)
    holiday(dt.date(2026, 6, 30), "National day of mourning", where="NATIONAL")
    assert services.last_business_day("2026-06") == dt.date(2026, 6, 29)


@pytest.mark.django_db
def test_queensland_calendar_2025_to_2027():
    assert import_reference("public-holidays", DEMO).ok
    # December: Christmas/Boxing Day (and 2026's additional Monday 28/12) fall before the
    # last weekday, which is never a holiday in these years
    assert services.last_business_day("2025-12") == dt.date(2025, 12, 31)  # Wednesday
    assert services.last_business_day("2026-12") == dt.date(2026, 12, 31)  # Thursday
    assert services.last_business_day("2027-12") == dt.date(2027, 12, 31)  # Friday
    # Easter 2027 ends on Monday 29/03; the month's last weekday (Wednesday 31/03) is open
    assert services.last_business_day("2027-03") == dt.date(2027, 3, 31)
    # Boxing Day 2026 is a Saturday: the additional day Monday 28/12 is closed
    assert not is_business_day(dt.date(2026, 12, 28), "QLD")
    assert is_business_day(dt.date(2026, 12, 29), "QLD")
    # with Christmas 2026 moved to the month's last weekday (a constructed calendar) the
    # cut-off steps back over it
    holiday(dt.date(2026, 12, 31), "Constructed: last weekday closed")
    holiday(dt.date(2026, 12, 30), "Constructed: second last weekday closed")
    assert services.last_business_day("2026-12") == dt.date(2026, 12, 29)


def test_a_line_lodged_on_the_closed_last_weekday_waits_for_next_month(pqs):
    """Lodged on Friday 30/10/2026, a (constructed) holiday: after October's cut-off."""
    from django_scopes import scope, scopes_disabled

    from pqs_claims.models import PaymentLine
    from pqs_claims.sample import claim_zip
    from tests.pqs_claims.conftest import nguyen_claim, smith_claim

    holiday(dt.date(2026, 10, 30))
    for rto, staff, claim, when in (
        (pqs.rto1, pqs.staff1, nguyen_claim(), dt.datetime(2026, 10, 29, 23, 0, tzinfo=BNE)),
        (pqs.rto2, pqs.staff2, smith_claim(), dt.datetime(2026, 10, 30, 9, 0, tzinfo=BNE)),
    ):
        with scope(rto=rto.pk):
            sub = services.claim_submission_load(
                rto=rto, data=claim_zip(claim), actor=staff, collection_year=2026
            )
            services.claim_submission_lodge(submission=sub, actor=staff, at=when)
    batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    assert batch.cutoff == dt.datetime(2026, 10, 29, 23, 59, 59, 999999, tzinfo=BNE)
    with scopes_disabled():
        assert list(
            PaymentLine.objects.filter(batch=batch).values_list("rto__code", flat=True)
        ) == ["90001"]
