"""PQS performance (issue 16): each KPI's definition on both sides of its boundary, the
flags against the program's thresholds, the pages' bounded queries, the downloads and bad
input. The persona × URL matrix (tests/isolation/dashboards.py) covers who sees what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from core.demo import demo_loaders
from dashboards import pqs_performance as perf
from dashboards.charts import bar_chart
from dashboards.demo import load_pqs_performance
from pqs_claims.demo import load_payments
from pqs_claims.models import (
    ClaimLine,
    ClaimSubmission,
    FundingProgram,
    PaymentBatch,
    PaymentBatchChunk,
    PqsApproval,
    TrainingContract,
)
from reference.demo import load_payment_reference
from reference.kinds.payments import IMPORTERS, ReferenceRowError
from rtos.demo import load_rtos
from tests.factories import make_rto

pytestmark = pytest.mark.django_db

BNE = ZoneInfo("Australia/Brisbane")
TODAY = dt.date(2026, 6, 15)  # financial year 2025-26
FY = 2025


# ----------------------------------------------------------------- builders
def program(**kw) -> FundingProgram:
    return FundingProgram.objects.create(
        code=kw.pop("code", "UC2528"), name="User Choice", starts=dt.date(2025, 7, 1), **kw
    )


def approve(rto, prog, valid_from=dt.date(2025, 7, 1)) -> PqsApproval:
    return PqsApproval.objects.create(
        rto=rto,
        supplier_number=f"PQS{rto.code}",
        program=prog,
        valid_from=valid_from,
        qualification_codes=["CPC30220"],
        bsb="064-000",
        account_number="12345678",
        account_name="PQS",
    )


def claim(rto, lodged_at: dt.datetime | None) -> ClaimSubmission:
    return ClaimSubmission.objects.create(
        rto=rto,
        file="claims/kpi.zip",
        file_name="kpi.zip",
        sha256="0" * 64,
        collection_year=2025,
        status="lodged" if lodged_at else "validated",
        lodged_at=lodged_at,
    )


def line(sub, n, *, unit="UNIT1", client="C1", end=None, reported=None, outcome="20", ok=True):
    """A claim line of ``sub``: lodged (passed its checks) when ``ok``, else left a draft
    with a validation code, as a lodgement leaves an invalid line."""
    return ClaimLine.objects.create(
        rto=sub.rto,
        submission=sub,
        line_number=n,
        client_identifier=client,
        learner_key=f"K{client}",
        subject_identifier=unit,
        program_identifier="CPC30220",
        training_contract_identifier="D1",
        activity_end_date=end,
        outcome=outcome,
        status="lodged" if ok else "draft",
        lodged_at=sub.lodged_at if ok else None,
        first_lodged_on=reported if ok else None,
        validation_codes=[] if ok else ["NOT_ON_SCHEDULE"],
    )


def at(day: dt.date, hour=10, minute=0, second=0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=BNE)


def year_figures(rto) -> perf.Figures:
    perf.pqs_performance_refresh(now=at(TODAY))
    return next(f for f in perf.yearly(rto=rto) if f.label == "2025–26")


@pytest.fixture
def pqs(world):
    with scopes_disabled():
        approve(world.rto_a, program())
    return world.rto_a


# ----------------------------------------------------------------- reporting timeliness
@pytest.mark.parametrize(("days", "on_time"), [(90, 1), (91, 0)])
def test_timeliness_day_90_on_time_day_91_late(pqs, days, on_time):
    end = dt.date(2025, 9, 1)
    with scopes_disabled():
        sub = claim(pqs, at(end + dt.timedelta(days=days)))
        line(sub, 1, end=end, reported=end + dt.timedelta(days=days))
        line(sub, 2, unit="UNIT2", end=end, reported=end, outcome="70")  # continuing: not final
        f = year_figures(pqs)
    assert (f.outcomes_reported, f.outcomes_on_time) == (1, on_time)
    assert f.timeliness == Decimal(100 * on_time)


def test_timeliness_uses_the_programs_report_lag(world):
    with scopes_disabled():
        approve(world.rto_a, program(max_report_lag_days=30))
        end = dt.date(2025, 9, 1)
        sub = claim(world.rto_a, at(end + dt.timedelta(days=31)))
        line(sub, 1, end=end, reported=end + dt.timedelta(days=31))
        f = year_figures(world.rto_a)
    assert (f.outcomes_reported, f.outcomes_on_time) == (1, 0)


# ----------------------------------------------------------------- months lodged by the cut-off
@pytest.mark.parametrize(
    ("lodged", "january", "february"),
    [
        # 31/01/2026 is a Saturday: the cut-off is Friday 30/01/2026 23:59 Brisbane
        (at(dt.date(2026, 1, 30), 23, 59, 30), 1, 0),
        (at(dt.date(2026, 1, 31), 0, 0, 30), 0, 1),
    ],
)
def test_month_lodged_only_by_its_cutoff(pqs, lodged, january, february):
    with scopes_disabled():
        claim(pqs, lodged)
        claim(pqs, None)  # validated, never lodged: no month
        perf.pqs_performance_refresh(now=at(TODAY))
        months = {f.label: f for f in perf.monthly(year=FY, rto=pqs)}
    assert months["01/2026"].lodged_months == january
    assert months["02/2026"].lodged_months == february
    assert months["01/2026"].approved == 1
    assert months["01/2026"].lodged == Decimal(100 * january)


def test_months_lodged_count_only_approved_months(world):
    with scopes_disabled():
        approve(world.rto_a, program(), valid_from=dt.date(2026, 3, 1))
        claim(world.rto_a, at(dt.date(2026, 3, 10)))
        f = year_figures(world.rto_a)
    # March to May approved and due; June's cut-off (30/06) has not passed yet
    assert (f.approved, f.lodged_months, f.lodged) == (3, 1, Decimal("33.3"))


def test_current_month_counts_once_lodged_or_past_its_cutoff(world):
    with scopes_disabled():
        approve(world.rto_a, program(), valid_from=dt.date(2026, 6, 1))
        before = year_figures(world.rto_a)
        claim(world.rto_a, at(dt.date(2026, 6, 10)))
        lodged = year_figures(world.rto_a)
    assert (before.approved, before.lodged) == (0, None)
    assert (lodged.approved, lodged.lodged_months) == (1, 1)


# ----------------------------------------------------------------- data validity
def test_validity_error_at_first_lodgement_then_fixed_stays_an_error(pqs):
    with scopes_disabled():
        first = claim(pqs, at(dt.date(2025, 10, 10)))
        line(first, 1, end=dt.date(2025, 9, 1), ok=False)  # error at first lodgement
        line(first, 2, unit="UNIT2", end=dt.date(2025, 9, 1), reported=dt.date(2025, 10, 10))
        fixed = claim(pqs, at(dt.date(2025, 11, 10)))
        line(fixed, 1, end=dt.date(2025, 9, 1), reported=dt.date(2025, 11, 10))  # corrected
        # a re-lodgement of a line already right is not a first lodgement either
        line(fixed, 2, unit="UNIT2", end=dt.date(2025, 9, 1), reported=dt.date(2025, 10, 10))
        f = year_figures(pqs)
        months = {m.label: m for m in perf.monthly(year=FY, rto=pqs)}
    assert (f.first_lines, f.first_lines_valid, f.validity) == (2, 1, Decimal("50.0"))
    assert (months["10/2025"].first_lines, months["11/2025"].first_lines) == (2, 0)


def test_validity_counts_only_lodged_claims(pqs):
    with scopes_disabled():
        draft = claim(pqs, None)
        line(draft, 1, end=dt.date(2025, 9, 1), ok=False)
        sub = claim(pqs, at(dt.date(2025, 10, 10)))
        line(sub, 1, end=dt.date(2025, 9, 1), reported=dt.date(2025, 10, 10))
        f = year_figures(pqs)
    assert (f.first_lines, f.first_lines_valid, f.validity) == (1, 1, Decimal("100.0"))


# ----------------------------------------------------------------- completions
def contract(n, srto, commenced, status):
    return TrainingContract.objects.create(
        delta_number=f"D{n}",
        family_name="X",
        date_of_birth=dt.date(2000, 1, 1),
        qualification_code="CPC30220",
        srto_code=srto,
        commencement_date=commenced,
        status=status,
        status_date=commenced,
    )


@pytest.mark.parametrize(("minimum", "flagged"), [("50.00", False), ("50.10", True)])
def test_completion_rate_of_the_commencing_cohort(world, minimum, flagged):
    with scopes_disabled():
        approve(world.rto_a, program(kpi_completion_min=Decimal(minimum)))
        code = world.rto_a.code
        contract(1, code, dt.date(2025, 8, 1), "completed")
        contract(2, code, dt.date(2025, 8, 1), "cancelled")
        contract(3, code, dt.date(2025, 9, 1), "active")  # still in training: not ended
        contract(4, code, dt.date(2024, 9, 1), "cancelled")  # the previous year's cohort
        contract(5, world.rto_b.code, dt.date(2025, 8, 1), "cancelled")  # another SRTO
        f = year_figures(world.rto_a)
        f.flag(perf.program_thresholds(world.rto_a))
    assert (f.commenced, f.completed, f.cancelled, f.completion) == (3, 1, 1, Decimal("50.0"))
    assert ("completion" in f.flags) is flagged


# ----------------------------------------------------------------- payments
def test_payments_count_approved_batches_only(world, pqs):
    with scopes_disabled():
        for period, status, amount in (
            ("2025-09", "approved", "1250.50"),
            ("2025-10", "calculated", "99"),
        ):
            batch = PaymentBatch.objects.create(
                period=period,
                cutoff=at(dt.date(2025, 9, 30)),
                run_by=world.dept_admin,
                status="calculated",
            )
            PaymentBatchChunk.objects.create(
                rto=pqs, batch=batch, status="done", total_amount=Decimal(amount)
            )
            if status == "approved":
                PaymentBatch.objects.filter(pk=batch.pk).update(
                    status="approved", approved_by=world.officer
                )
        perf.pqs_performance_refresh(now=at(TODAY))
        months = {f.label: f for f in perf.monthly(year=FY, rto=pqs)}
    assert months["09/2025"].paid_amount == Decimal("1250.50")
    assert months["10/2025"].paid_amount == Decimal("0.00")


# ----------------------------------------------------------------- thresholds and ranking
def test_ranking_flags_each_pqs_against_its_own_programs_thresholds(world):
    with scopes_disabled():
        approve(world.rto_a, program(code="STRICT", kpi_timeliness_min=Decimal("100")))
        approve(world.rto_b, program(code="LENIENT", kpi_timeliness_min=Decimal("50")))
        end = dt.date(2025, 9, 1)
        for rto in (world.rto_a, world.rto_b):
            sub = claim(rto, at(dt.date(2025, 10, 1)))
            line(sub, 1, end=end, reported=end + dt.timedelta(days=10))
            line(sub, 2, unit="UNIT2", end=end, reported=end + dt.timedelta(days=100))
        perf.pqs_performance_refresh(now=at(TODAY))
        ranked = perf.ranking(year=FY)
    by_code = {f.rto["code"]: f for f in ranked}
    assert by_code[world.rto_a.code].timeliness == Decimal("50.0")
    assert "timeliness" in by_code[world.rto_a.code].flags  # 50% < 100%
    assert "timeliness" not in by_code[world.rto_b.code].flags  # 50% is not below 50%
    assert ranked[0].rto["code"] == world.rto_a.code  # the flagged PQS first


def test_thresholds_default_without_a_program(world):
    assert perf.program_thresholds(world.rto_a) == {
        "timeliness": Decimal("95.00"),
        "lodged": Decimal("100.00"),
        "validity": Decimal("90.00"),
        "completion": Decimal("50.00"),
    }


def _many_pqs(n: int):
    prog = program(code=f"P{n}")
    for _ in range(n):
        rto = make_rto()
        approve(rto, prog)
        sub = claim(rto, at(dt.date(2025, 10, 1)))
        line(sub, 1, end=dt.date(2025, 9, 1), reported=dt.date(2025, 10, 1))


def test_pages_cost_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    with scopes_disabled():
        _many_pqs(2)
        perf.pqs_performance_refresh()
    officer, staff = client_for("officer"), client_for("staff_a")
    dept, own = "/department/pqs-performance/", f"/rto/{world.rto_a.code}/performance/"
    officer.get(dept), staff.get(own)  # warm the session / middleware caches
    with CaptureQueriesContext(connection) as few_dept, CaptureQueriesContext(connection):
        assert officer.get(dept).status_code == 200
    with CaptureQueriesContext(connection) as few_own:
        assert staff.get(own).status_code == 200
    with scopes_disabled():
        _many_pqs(12)
        perf.pqs_performance_refresh()
    with django_assert_max_num_queries(len(few_dept)):
        page = officer.get(dept).content.decode()
    with django_assert_max_num_queries(len(few_own)):
        assert staff.get(own).status_code == 200
    assert len(few_dept) <= 20 and len(few_own) <= 20
    assert "of 14 PQSs</strong>" in page  # 14 PQSs ranked
    assert page.count('<a href="/department/rtos/9') == 14  # each to its registry page


# ----------------------------------------------------------------- pages, downloads, bad input
def test_rto_page_shows_charts_with_their_tables(world, client_for, pqs):
    with scopes_disabled():
        sub = claim(pqs, at(dt.date(2025, 10, 1)))
        line(sub, 1, end=dt.date(2025, 9, 1), reported=dt.date(2025, 12, 31))  # 121 days: late
        perf.pqs_performance_refresh()
    year = perf.financial_year(dt.date.today())
    page = client_for("staff_a").get(f"/rto/{pqs.code}/performance/?fy={FY}").content.decode()
    assert page.count('<svg class="chart"') == 5
    assert page.count("<details>") == 5
    assert '<title id="rto-timeliness-t">Reporting timeliness by month</title>' in page
    assert "below it: 12/25" in page  # the late month named in the chart's desc
    assert "0.0%<br><small>0 of 1</small>" in page
    assert str(year) in page


def test_downloads_hold_the_same_figures(client_for, pqs):
    with scopes_disabled():
        sub = claim(pqs, at(dt.date(2025, 10, 1)))
        line(sub, 1, end=dt.date(2025, 9, 1), reported=dt.date(2025, 10, 1))
        perf.pqs_performance_refresh()
    c = client_for("staff_a")
    r = c.get(f"/rto/{pqs.code}/performance/?fy={FY}&download=csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    october = next(row for row in rows if row[1] == "10/2025")
    assert october[0] == pqs.code and october[2] == "100.0" and october[3] == "1"
    r = c.get(f"/rto/{pqs.code}/performance/?fy={FY}&download=xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Months", "Financial years"]
    values = [list(row) for row in wb["Months"].iter_rows(values_only=True)]
    assert next(v for v in values if v[1] == "10/2025")[2] == 100
    r = client_for("officer").get(f"/department/pqs-performance/?fy={FY}&download=xlsx")
    assert load_workbook(io.BytesIO(r.content)).sheetnames == ["PQSs", "Months", "Financial years"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("fy=1999", "There are no figures for the financial year &#x27;1999&#x27;"),
        ("fy=abc", "There are no figures for the financial year &#x27;abc&#x27;"),
        ("download=pdf", "Downloads are csv or xlsx, not &#x27;pdf&#x27;."),
        ("sort=name", "The ranking is sorted by"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client_for, query, message):
    r = client_for("officer").get(f"/department/pqs-performance/?{query}")
    assert r.status_code == 400
    assert message in r.content.decode()


def test_performance_pages_tenancy(world, client_for):
    own = f"/rto/{world.rto_a.code}/performance/"
    assert client_for("staff_a").get(own).status_code == 200
    assert client_for("staff_b").get(own).status_code == 404  # another RTO's page
    assert client_for("viewer_a").get(own).status_code == 403  # no claims permission
    assert client_for("staff_a").get("/department/pqs-performance/").status_code == 404
    assert client_for("officer").get("/department/pqs-performance/").status_code == 200


def test_pages_are_linked_from_the_navigation(world, client_for, pqs):
    assert (
        f"/rto/{pqs.code}/performance/"
        in client_for("staff_a").get(f"/rto/{pqs.code}/").content.decode()
    )
    assert (
        "/department/pqs-performance/" in client_for("officer").get("/department/").content.decode()
    )


# ----------------------------------------------------------------- charts and reference data
def test_chart_names_the_periods_below_its_threshold():
    svg = bar_chart(
        "c", "T", ["a", "b", "c"], [Decimal("96"), Decimal("94.9"), None], threshold=Decimal("95")
    )
    assert 'role="img"' in svg and 'aria-labelledby="c-t" aria-describedby="c-d"' in svg
    assert "below it: b." in svg and "below it: a" not in svg
    assert svg.count("<rect") == 2  # nothing drawn for the month with nothing measured


def _program_row(**kw):
    return {
        "code": "UC9",
        "name": "Program",
        "starts": "01/07/2025",
        "ends": "",
        "state_fund_source_codes": "UC1",
        **kw,
    }


def test_thresholds_import_as_funding_program_parameters(world):
    with scopes_disabled():
        IMPORTERS["funding-programs"](
            [_program_row(kpi_validity_min="85.5")], actor=world.dept_admin
        )
        p = FundingProgram.objects.get(code="UC9")
    assert p.kpi_validity_min == Decimal("85.5")
    assert p.kpi_timeliness_min == Decimal("95.00")  # a column left out keeps its default
    with pytest.raises(ReferenceRowError, match="at most 100"), scopes_disabled():
        IMPORTERS["funding-programs"]([_program_row(kpi_validity_min="101")], actor=None)


def test_demo_shows_the_demo_claims_figures():
    order = demo_loaders()
    assert order.index("pqs_claims.demo.load_payments") < order.index(
        "dashboards.demo.load_pqs_performance"
    )
    load_rtos(io.StringIO())
    with scopes_disabled():
        load_payment_reference(io.StringIO())
        load_payments(io.StringIO())
        load_pqs_performance(io.StringIO())
        figures = perf.yearly()
    assert sum(f.first_lines for f in figures) == 5  # the demo's lodged lines, first time
