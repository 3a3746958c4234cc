"""PQS performance pages: a PQS's own (RTO workspace) and the department's (every PQS
ranked and flagged), with CSV / XLSX downloads of the same figures. Thin: the figures
come from ``dashboards.pqs_performance``, the charts from ``dashboards.charts``."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.decorators import department_required, rto_perm_required
from core.spreadsheets import csv_text, xlsx_bytes
from core.templatetags.cqr import aud
from rtos.models import Perm

from . import pqs_performance as perf
from .charts import bar_chart

DOWNLOADS = {"csv", "xlsx"}
HEADER = [
    "PQS",
    "Period",
    "Reporting timeliness %",
    "Final outcomes reported",
    "Reported within the lag",
    "Months lodged by the cut-off %",
    "Approved months",
    "Months lodged",
    "Claims lodged",
    "Data validity %",
    "Lines first lodged",
    "Error free at first lodgement",
    "Completion rate %",
    "Contracts commenced",
    "Completed",
    "Cancelled",
    "Paid (AUD)",
]
NUMERIC = range(2, len(HEADER))


def _row(scope: str, f: perf.Figures) -> list:
    return [
        scope,
        f.label,
        f.timeliness,
        f.outcomes_reported,
        f.outcomes_on_time,
        f.lodged,
        f.approved,
        f.lodged_months,
        f.claims_lodged,
        f.validity,
        f.first_lines,
        f.first_lines_valid,
        f.completion,
        f.commenced,
        f.completed,
        f.cancelled,
        f.paid_amount,
    ]


def _choose_year(request, years: list[int]) -> tuple[int, str]:
    """The financial year asked for (``?fy=2025`` for 2025–26), or the newest; a year
    without figures is refused with the years there are."""
    asked = request.GET.get("fy", "").strip()
    if not asked:
        return years[0], ""
    if asked.isdigit() and int(asked) in years:
        return int(asked), ""
    choices = ", ".join(f"{y} ({perf.fy_label(y)})" for y in years)
    return years[0], f"There are no figures for the financial year {asked!r}: choose {choices}."


def _detail(key: str, f: perf.Figures) -> str:
    """The counts behind one month's figure, in words (the chart's table)."""
    if key == "timeliness":
        return f"{f.outcomes_on_time} of {f.outcomes_reported} final outcomes"
    if key == "lodged":
        return f"{f.lodged_months} of {f.approved} approved months ({f.claims_lodged} claims)"
    if key == "validity":
        return f"{f.first_lines_valid} of {f.first_lines} lines"
    if key == "completion":
        return f"{f.completed} completed, {f.cancelled} cancelled, {f.commenced} commenced"
    return ""


def _charts(prefix: str, months: list[perf.Figures], thresholds: dict) -> list[dict]:
    """Each KPI's chart with its table rows (month, figure, counts, below threshold)."""
    labels = [f.label[:2] + "/" + f.label[-2:] for f in months]
    charts = [
        {
            "key": key,
            "title": f"{label} by month",
            "svg": bar_chart(
                f"{prefix}-{key}",
                f"{label} by month",
                labels,
                [f.kpi(key) for f in months],
                threshold=thresholds[key],
            ),
            "threshold": thresholds[key],
            "rows": [
                (
                    f.label,
                    f.kpi(key),
                    _detail(key, f),
                    f.kpi(key) is not None and f.kpi(key) < thresholds[key],
                )
                for f in months
            ],
        }
        for key, label, _f in perf.KPIS
    ]
    charts.append(
        {
            "key": "paid",
            "title": "Paid by month",
            "svg": bar_chart(
                f"{prefix}-paid",
                "Paid by month",
                labels,
                [f.paid_amount for f in months],
                percent=False,
            ),
            "threshold": None,
            "rows": [(f.label, None, aud(f.paid_amount), False) for f in months],
        }
    )
    return charts


def _download(kind: str, name: str, sheets: list[tuple[str, list[list]]]) -> HttpResponse:
    if kind == "csv":
        rows = [row for _title, sheet in sheets for row in sheet]
        body = "\ufeff" + csv_text(HEADER, rows, numeric=NUMERIC)
        response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes([(title, HEADER, sheet) for title, sheet in sheets]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _bad_download(request) -> str:
    kind = request.GET.get("download", "")
    if kind and kind not in DOWNLOADS:
        return f"Downloads are csv or xlsx, not {kind!r}."
    return ""


@rto_perm_required(Perm.PREPARE_CLAIMS)
def rto_performance(request, rto_code):
    """The PQS's own KPIs: by month of a financial year, and by financial year."""
    rto = request.rto
    years = perf.years_available(rto=rto)
    year, error = _choose_year(request, years)
    error = error or _bad_download(request)
    months = perf.monthly(year=year, rto=rto)
    by_year = perf.yearly(rto=rto)
    thresholds = perf.program_thresholds(rto)
    for f in (*months, *by_year):
        f.flag(thresholds)
    kind = request.GET.get("download")
    if kind in DOWNLOADS and not error:
        scope = rto.code
        return _download(
            kind,
            f"pqs-performance-{rto.code}-{year}",
            [
                ("Months", [_row(scope, f) for f in months]),
                ("Financial years", [_row(scope, f) for f in by_year]),
            ],
        )
    return render(
        request,
        "dashboards/pqs_performance_rto.html",
        {
            "year": year,
            "year_label": perf.fy_label(year),
            "years": [(y, perf.fy_label(y)) for y in years],
            "months": months,
            "by_year": by_year,
            "thresholds": thresholds,
            "kpis": perf.KPIS,
            "charts": _charts("rto", months, thresholds),
            "refreshed_at": perf.refreshed_at(),
            "error": error,
        },
        status=400 if error else 200,
    )


@department_required()
def department_performance(request):
    """Every PQS's KPIs for a financial year, ranked, each flagged below its program's
    thresholds; the department-wide figures by month and by financial year."""
    years = perf.years_available()
    year, error = _choose_year(request, years)
    error = error or _bad_download(request)
    sort = request.GET.get("sort", "flags")
    if sort not in perf.SORTS:
        error = error or f"The ranking is sorted by {', '.join(perf.SORTS)}, not {sort!r}."
        sort = "flags"
    months = perf.monthly(year=year)
    by_year = perf.yearly()
    thresholds = perf.program_thresholds()
    for f in (*months, *by_year):
        f.flag(thresholds)
    ranked = perf.ranking(year=year, sort=sort)
    detail = reverse("department:rto_detail", kwargs={"code": "0"})[:-2]  # one reverse, not 400
    for f in ranked:
        f.rto["url"] = f"{detail}{f.rto['code']}/"
    kind = request.GET.get("download")
    if kind in DOWNLOADS and not error:
        return _download(
            kind,
            f"pqs-performance-{year}",
            [
                ("PQSs", [_row(f.rto["code"], f) for f in ranked]),
                ("Months", [_row("All PQSs", f) for f in months]),
                ("Financial years", [_row("All PQSs", f) for f in by_year]),
            ],
        )
    return render(
        request,
        "dashboards/pqs_performance_department.html",
        {
            "year": year,
            "year_label": perf.fy_label(year),
            "years": [(y, perf.fy_label(y)) for y in years],
            "months": months,
            "by_year": by_year,
            "thresholds": thresholds,
            "kpis": perf.KPIS,
            "charts": _charts("dept", months, thresholds),
            "ranked": ranked,
            "flagged": sum(1 for f in ranked if f.flags),
            "sort": sort,
            "sorts": perf.SORTS,
            "sort_label": perf.SORTS[sort],
            "refreshed_at": perf.refreshed_at(),
            "error": error,
        },
        status=400 if error else 200,
    )
