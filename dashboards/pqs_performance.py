"""PQS performance: the key performance indicators of the User Choice policy's Appendix 1,
for each PQS and department-wide, by month and financial year (1 July to 30 June).

The Appendix 1 list itself is not public (funding-register-verification.md §1.15,
assumption K1); the KPIs are the ones that assumption names, measured from the portal's
own records:

* **Reporting timeliness** — of the final outcomes (not 70/85) currently lodged, the share
  whose report date (payment-rules.md §5 rule 3, ``ClaimLine.first_lodged_on``) is at most
  the program's ``max_report_lag_days`` after the activity end date: day 90 is on time,
  day 91 late. Counted in the month of the report date.
* **Months lodged by the cut-off** — of the months in which the PQS held an approval, the
  share in which it lodged a claim after the previous month's cut-off and by this month's
  (23:59 Brisbane on the last business day, §5). A claim lodged after a cut-off counts for
  the next month, so the month it missed stays unlodged; the current month counts once
  its cut-off has passed (or as soon as a claim is lodged in it).
* **Data validity** — of the claim lines a PQS reported for the first time (the first
  lodged claim holding a line with that client, unit, program and contract), the share that
  was error free then (the lodgement lodged it; §2). A line with an error that a later claim
  corrects stays an error: it was not right first time. Counted in the month (Brisbane) of
  that first lodgement.
* **Completions** — of the training contracts a PQS supervises (its SRTO code) that
  commenced in the period (the commencing cohort), how many completed and how many were
  cancelled; the completion rate is completed / (completed + cancelled), the share of the
  cohort's ended contracts that ended completed (contracts still in training do not yet
  count either way, so a young cohort is not flagged for being young).
* **Payments** — the amounts of the PQS's paid lines in approved (frozen) monthly batches,
  by batch month.

The counts are kept per PQS and month in ``PqsMonth``, rebuilt by one set-based statement
(:data:`REFRESH_SQL`: a UNION ALL of one GROUP BY-ready part per KPI, then one GROUP BY);
every page query is an aggregate over those rows. The thresholds are parameters of the
PQS's funding program (``FundingProgram.kpi_*``; the program of its latest approval).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django_scopes import scopes_disabled

from core.holidays import holidays_between
from pqs_claims.models import FROZEN_BATCH_STATUSES, FundingProgram, PqsApproval

from .models import PqsMonth

BRISBANE = ZoneInfo("Australia/Brisbane")
CONTINUING = ("70", "85")

#: (key, label, threshold field) of the four percentage KPIs, in the pages' order.
KPIS = (
    ("timeliness", "Reporting timeliness", "kpi_timeliness_min"),
    ("lodged", "Months lodged by the cut-off", "kpi_lodged_months_min"),
    ("validity", "Data validity", "kpi_validity_min"),
    ("completion", "Completion rate", "kpi_completion_min"),
)
KPI_LABELS = {key: label for key, label, _f in KPIS}
FLAG_LABELS = {
    "timeliness": "Timeliness",
    "lodged": "Months lodged",
    "validity": "Data validity",
    "completion": "Completion",
}

# ----------------------------------------------------------------- the refresh

#: The counts of every PQS and month. Parameters: the months (first days), each month's
#: claim window (after the previous cut-off, up to its own cut-off) and the refresh time.
REFRESH_SQL = f"""
WITH months AS (
    SELECT * FROM unnest(%(months)s::date[], %(opens)s::timestamptz[],
                         %(cutoffs)s::timestamptz[]) AS m(month, opens, cutoff)
),
program AS (  -- each PQS's program: that of its latest approval
    SELECT DISTINCT ON (a.rto_id) a.rto_id, p.max_report_lag_days AS lag
    FROM pqs_claims_pqsapproval a JOIN pqs_claims_fundingprogram p ON p.id = a.program_id
    ORDER BY a.rto_id, a.valid_from DESC, a.id DESC
),
parts (rto_id, month, approved, due, claims, reported, on_time, first_lines, first_valid,
       commenced, completed, cancelled, paid) AS (
    -- the months a PQS held an approval (due: the month's cut-off has passed)
    SELECT DISTINCT a.rto_id, m.month, true, m.cutoff < %(now)s, 0, 0, 0, 0, 0, 0, 0, 0,
           0::numeric
    FROM pqs_claims_pqsapproval a
    JOIN months m ON a.valid_from < m.month + interval '1 month'
                 AND (a.valid_to IS NULL OR a.valid_to >= m.month)
    UNION ALL
    -- claims lodged in each month's window (by its cut-off)
    SELECT s.rto_id, m.month, false, false, count(*), 0, 0, 0, 0, 0, 0, 0, 0
    FROM pqs_claims_claimsubmission s
    JOIN months m ON s.lodged_at > m.opens AND s.lodged_at <= m.cutoff
    WHERE s.status = 'lodged'
    GROUP BY s.rto_id, m.month
    UNION ALL
    -- reporting timeliness: current final outcomes by the month of their report date
    SELECT c.rto_id, date_trunc('month', c.first_lodged_on)::date, false, false, 0, count(*),
           count(*) FILTER (WHERE c.first_lodged_on - c.activity_end_date
                                  <= coalesce(p.lag, 90)), 0, 0, 0, 0, 0, 0
    FROM pqs_claims_claimline c LEFT JOIN program p ON p.rto_id = c.rto_id
    WHERE c.status = 'lodged' AND c.outcome NOT IN {CONTINUING}
      AND c.first_lodged_on IS NOT NULL AND c.activity_end_date IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    -- data validity: each line's first lodged claim, error free when it was lodged
    SELECT f.rto_id, date_trunc('month', f.lodged_at AT TIME ZONE 'Australia/Brisbane')::date,
           false, false, 0, 0, 0, count(*), count(*) FILTER (WHERE f.ok), 0, 0, 0, 0
    FROM (
        SELECT DISTINCT ON (c.rto_id, c.client_identifier, c.subject_identifier,
                            c.program_identifier, c.training_contract_identifier)
               c.rto_id, s.lodged_at, c.lodged_at IS NOT NULL AS ok
        FROM pqs_claims_claimline c
        JOIN pqs_claims_claimsubmission s ON s.id = c.submission_id AND s.rto_id = c.rto_id
        WHERE s.status = 'lodged'
        ORDER BY c.rto_id, c.client_identifier, c.subject_identifier, c.program_identifier,
                 c.training_contract_identifier, s.lodged_at, c.line_number
    ) f
    GROUP BY 1, 2
    UNION ALL
    -- completions: contracts by their SRTO and commencement month
    SELECT r.id, date_trunc('month', t.commencement_date)::date, false, false, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE t.status = 'completed'),
           count(*) FILTER (WHERE t.status = 'cancelled'), 0
    FROM pqs_claims_trainingcontract t JOIN rtos_rto r ON r.code = t.srto_code
    GROUP BY 1, 2
    UNION ALL
    -- payments: approved batches, by batch month (a chunk's total is its paid amount)
    SELECT ch.rto_id, to_date(b.period, 'YYYY-MM'), false, false, 0, 0, 0, 0, 0, 0, 0, 0,
           sum(ch.total_amount)
    FROM pqs_claims_paymentbatchchunk ch JOIN pqs_claims_paymentbatch b ON b.id = ch.batch_id
    WHERE b.status IN {tuple(FROZEN_BATCH_STATUSES)}
    GROUP BY 1, 2
)
INSERT INTO dashboards_pqsmonth (rto_id, month, approved, claims_lodged, outcomes_reported,
    outcomes_on_time, first_lines, first_lines_valid, commenced, completed, cancelled,
    paid_amount, refreshed_at)
SELECT rto_id, month, bool_or(approved) AND (bool_or(due) OR sum(claims) > 0), sum(claims),
       sum(reported), sum(on_time), sum(first_lines), sum(first_valid), sum(commenced),
       sum(completed), sum(cancelled), sum(paid), %(now)s
FROM parts
WHERE month <= %(last)s
GROUP BY rto_id, month
"""


def claim_windows(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """(month, opens, cut-off) of each month from ``first`` to ``last``: the cut-off is
    23:59 Brisbane on the month's last business day in Queensland (payment-rules.md §5,
    ``pqs_claims.services.batch_cutoff``); a month's window opens at the previous month's
    cut-off. One query (the holidays of the whole range)."""
    closed = holidays_between(_add_months(first, -1), _month_end(last), "QLD")
    out, opens = [], None
    month = _add_months(first, -1)
    while month <= last:
        day = _month_end(month)
        while day.weekday() >= 5 or day in closed:
            day -= dt.timedelta(days=1)
        cutoff = dt.datetime.combine(day, dt.time(23, 59, 59, 999999), tzinfo=BRISBANE)
        if opens is not None:
            out.append((month, opens, cutoff))
        opens, month = cutoff, _add_months(month, 1)
    return out


def pqs_performance_refresh(*, now: dt.datetime | None = None) -> int:
    """Rebuild every ``PqsMonth`` row in one transaction (:data:`REFRESH_SQL`) and return
    how many there are. Months from the oldest record to the current month (Brisbane); a
    month counts as approved once its cut-off has passed (or a claim was lodged in it)."""
    now = now or timezone.now()
    today = timezone.localtime(now, BRISBANE).date()
    last = today.replace(day=1)
    with connection.cursor() as cur:
        cur.execute(
            """SELECT least((SELECT min(valid_from) FROM pqs_claims_pqsapproval),
                            (SELECT min(lodged_at) FROM pqs_claims_claimsubmission)::date)"""
        )
        oldest = cur.fetchone()[0] or last
    windows = claim_windows(min(oldest.replace(day=1), last), last)
    with transaction.atomic(), connection.cursor() as cur:
        # one refresh at a time (a slow one overlapping the next hour's): the second waits,
        # then rebuilds from the first's result instead of colliding on its rows
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('dashboards.pqs_performance'))")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("DELETE FROM dashboards_pqsmonth")
        cur.execute(
            REFRESH_SQL,
            {
                "months": [w[0] for w in windows],
                "opens": [w[1] for w in windows],
                "cutoffs": [w[2] for w in windows],
                "last": last,
                "now": now,
            },
        )
        return cur.rowcount


# ----------------------------------------------------------------- periods
def financial_year(day: dt.date) -> int:
    """The financial year (1 July to 30 June) holding ``day``, named by its first year."""
    return day.year if day.month >= 7 else day.year - 1


def fy_label(year: int) -> str:
    return f"{year}–{(year + 1) % 100:02d}"


def fy_months(year: int) -> list[dt.date]:
    return [_add_months(dt.date(year, 7, 1), i) for i in range(12)]


def _add_months(day: dt.date, n: int) -> dt.date:
    k = day.year * 12 + day.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# ----------------------------------------------------------------- figures
def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent to one decimal place; ``None`` when nothing was
    measured (never flagged)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Figures:
    """One period's counts (a month or a financial year; one PQS or every PQS) and its
    KPIs. ``approved``: PQS-months with an approval; ``lodged_months``: those of them with
    a claim lodged by the cut-off."""

    label: str
    approved: int = 0
    lodged_months: int = 0
    claims_lodged: int = 0
    outcomes_reported: int = 0
    outcomes_on_time: int = 0
    first_lines: int = 0
    first_lines_valid: int = 0
    commenced: int = 0
    completed: int = 0
    cancelled: int = 0
    paid_amount: Decimal = Decimal("0.00")
    flags: list[str] = field(default_factory=list)
    rto: object = None

    @property
    def timeliness(self):
        return percent(self.outcomes_on_time, self.outcomes_reported)

    @property
    def lodged(self):
        return percent(self.lodged_months, self.approved)

    @property
    def validity(self):
        return percent(self.first_lines_valid, self.first_lines)

    @property
    def completion(self):
        return percent(self.completed, self.completed + self.cancelled)

    def kpi(self, key: str):
        return getattr(self, key)

    @property
    def cells(self) -> list[tuple]:
        """(percent, part, whole) of the four KPIs in :data:`KPIS` order (the tables)."""
        return [
            (self.timeliness, self.outcomes_on_time, self.outcomes_reported),
            (self.lodged, self.lodged_months, self.approved),
            (self.validity, self.first_lines_valid, self.first_lines),
            (self.completion, self.completed, self.completed + self.cancelled),
        ]

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[key] for key in self.flags]

    def flag(self, thresholds: dict[str, Decimal]) -> Figures:
        """Name each KPI below its threshold (a KPI with nothing measured is not)."""
        values = {key: self.kpi(key) for key in thresholds}
        self.flags = [k for k, v in values.items() if v is not None and v < thresholds[k]]
        return self


#: The aggregates of a set of ``PqsMonth`` rows, named ``n_<Figures field>`` (an annotation
#: may not shadow the field its filter reads).
_SUMS = {
    "n_approved": Count("pk", filter=Q(approved=True)),
    "n_lodged_months": Count("pk", filter=Q(approved=True, claims_lodged__gt=0)),
    **{
        f"n_{name}": Sum(name)
        for name in (
            "claims_lodged",
            "outcomes_reported",
            "outcomes_on_time",
            "first_lines",
            "first_lines_valid",
            "commenced",
            "completed",
            "cancelled",
            "paid_amount",
        )
    },
}


def _figures(label: str, row: dict, rto=None) -> Figures:
    values = {k[2:]: row.get(k) or 0 for k in _SUMS}
    values["paid_amount"] = Decimal(values["paid_amount"]).quantize(Decimal("0.01"))
    return Figures(label=label, rto=rto, **values)


def _rows(rto=None):
    qs = PqsMonth.objects.all()
    return qs.filter(rto=rto) if rto is not None else qs


def monthly(*, year: int, rto=None) -> list[Figures]:
    """The twelve months of financial year ``year``: one PQS's, or every PQS's summed
    (``rto`` None). One query."""
    months = fy_months(year)
    with scopes_disabled():
        rows = {
            r["month"]: r
            for r in _rows(rto)
            .filter(month__range=(months[0], months[-1]))
            .values("month")
            .annotate(**_SUMS)
            .order_by()
        }
    return [_figures(f"{m:%m/%Y}", rows.get(m, {})) for m in months]


def yearly(*, rto=None) -> list[Figures]:
    """Every financial year with figures, oldest first. One query."""
    fy = ExpressionWrapper(
        ExtractYear("month") - Case(When(month__month__lt=7, then=Value(1)), default=Value(0)),
        output_field=IntegerField(),
    )
    with scopes_disabled():
        rows = list(_rows(rto).annotate(fy=fy).values("fy").annotate(**_SUMS).order_by("fy"))
    return [_figures(fy_label(r["fy"]), r) for r in rows]


def years_available(*, rto=None) -> list[int]:
    """The financial years with figures (newest first) and the current one. One query."""
    current = financial_year(timezone.localtime(timezone.now(), BRISBANE).date())
    with scopes_disabled():
        oldest = _rows(rto).aggregate(oldest=Min("month"))["oldest"]
    start = financial_year(oldest) if oldest else current
    return list(range(current, min(start, current) - 1, -1))


def refreshed_at():
    """When the figures were last rebuilt (``None``: never). One query."""
    with scopes_disabled():
        return PqsMonth.objects.aggregate(at=Max("refreshed_at"))["at"]


def _default_thresholds() -> dict[str, Decimal]:
    return {key: FundingProgram._meta.get_field(f).default for key, _l, f in KPIS}


def program_thresholds(rto=None) -> dict[str, Decimal]:
    """The thresholds of ``rto``'s funding program (that of its latest approval), or for
    the department's own figures those of the newest program; the model's defaults when
    there is none. One query."""
    with scopes_disabled():
        if rto is not None:
            program = (
                PqsApproval.objects.filter(rto=rto)
                .select_related("program")
                .order_by("-valid_from", "-pk")
                .first()
            )
            program = program.program if program else None
        else:
            program = FundingProgram.objects.order_by("-starts", "-pk").first()
    if program is None:
        return _default_thresholds()
    return {key: getattr(program, f) for key, _l, f in KPIS}


#: The ranking's orders: key → (label, sort key of a ``Figures``).
SORTS = {
    "flags": "most KPIs below a threshold first",
    "timeliness": "reporting timeliness, lowest first",
    "lodged": "months lodged by the cut-off, lowest first",
    "validity": "data validity, lowest first",
    "completion": "completion rate, lowest first",
    "paid": "paid, highest first",
}


def ranking(*, year: int, sort: str = "flags") -> list[Figures]:
    """Every PQS with figures in financial year ``year``, its KPIs flagged against its own
    program's thresholds, in the order ``sort`` (:data:`SORTS`; the RTO code breaks ties).
    Two queries (the sums per PQS; each PQS's latest approval with its program)."""
    months = fy_months(year)
    with scopes_disabled():
        rows = list(
            PqsMonth.objects.filter(month__range=(months[0], months[-1]))
            .values("rto_id", "rto__code", "rto__legal_name", "rto__trading_name")
            .annotate(**_SUMS)
            .order_by()
        )
        latest = {
            a.rto_id: a.program
            for a in PqsApproval.objects.filter(rto_id__in=[r["rto_id"] for r in rows])
            .select_related("program")
            .order_by("rto_id", "-valid_from", "-pk")
            .distinct("rto_id")
        }
    defaults = _default_thresholds()
    out = []
    for r in rows:
        program = latest.get(r["rto_id"])
        limits = {k: getattr(program, f) for k, _l, f in KPIS} if program else defaults
        who = {
            "id": r["rto_id"],
            "code": r["rto__code"],
            "name": r["rto__trading_name"] or r["rto__legal_name"],
            "thresholds": limits,
        }
        out.append(_figures(r["rto__code"], r, rto=who).flag(limits))
    return sorted(out, key=_sort_key(sort))


def _sort_key(sort: str):
    def missing_last(value):
        return (value is None, value if value is not None else 0)

    if sort == "paid":
        return lambda f: (-f.paid_amount, f.label)
    if sort in KPI_LABELS:
        return lambda f: (missing_last(f.kpi(sort)), f.label)
    return lambda f: (-len(f.flags), missing_last(f.timeliness), f.label)


__all__ = [
    "KPIS",
    "SORTS",
    "Figures",
    "claim_windows",
    "financial_year",
    "fy_label",
    "monthly",
    "pqs_performance_refresh",
    "program_thresholds",
    "ranking",
    "refreshed_at",
    "yearly",
    "years_available",
]
