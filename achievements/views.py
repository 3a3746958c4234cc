"""Submission pages under /rto/<code>/submissions/ (thin: services and selectors do the work)."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.decorators import rto_perm_required
from core.errors import ApplicationError
from core.htmx import Progress, progress_poll, vary_on_htmx
from core.templatetags.cqr import time_left
from core.uploads import UploadRejected
from rtos.models import Perm

from . import exports, selectors, services
from .forms import SubmissionUploadForm
from .models import Submission
from .nat_export import export_register_zip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Issues per page of a submission report (the downloads hold them all).
ISSUES_PER_PAGE = 200


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp["Cache-Control"] = "private, no-store"
    return resp


@rto_perm_required(Perm.VIEW)
def submission_list(request, rto_code):
    subs = selectors.submission_list(rto=request.rto)[:100]
    return render(
        request,
        "achievements/submission_list.html",
        {"submissions": subs, "can_submit": request.rto_access.has(Perm.SUBMIT)},
    )


@rto_perm_required(Perm.SUBMIT)
def submission_upload(request, rto_code):
    """One NAT zip / CSV / XLSX file, or several loose NAT .txt files (bundled into one
    stored zip, as ``manage.py submission_upload DIR`` does). Refusals are 400 with the
    reason next to the file field; nothing is stored."""
    status = 200
    if request.method == "POST":
        form = SubmissionUploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["file"]
            year = form.cleaned_data["collection_year"]
            interim = form.cleaned_data["interim"]
            try:
                # one NAT .txt on its own is bundled like several (a zip is what is read)
                if len(files) == 1 and not files[0].name.lower().endswith(".txt"):
                    f = files[0]
                    sub, created = services.submission_create(
                        rto=request.rto, actor=request.user, file_name=f.name, fh=f,
                        size=f.size, collection_year=year, interim=interim,
                    )  # fmt: skip
                else:
                    sub, created = services.submission_create_from_nat_files(
                        rto=request.rto, actor=request.user, collection_year=year,
                        interim=interim, files=[(f.name, f) for f in files],
                    )  # fmt: skip
            except (UploadRejected, ApplicationError) as exc:
                form.add_error("file", exc.message)
                status = 400
            else:
                if not created:
                    messages.info(
                        request,
                        "This exact file was uploaded before; here is that submission."
                        if len(files) == 1 and not files[0].name.lower().endswith(".txt")
                        else "These exact files were uploaded before; here is that submission.",
                    )
                return redirect(
                    "achievements:submission_detail", rto_code=request.rto.code,
                    public_id=sub.public_id,
                )  # fmt: skip
        else:
            status = 400
    else:
        form = SubmissionUploadForm()
    return render(request, "achievements/submission_upload.html", {"form": form}, status=status)


@rto_perm_required(Perm.VIEW)
def submission_template(request, rto_code, fmt):
    if fmt == "csv":
        return _download(exports.template_csv(), "cqr-template.csv", "text/csv; charset=utf-8")
    if fmt == "xlsx":
        return _download(exports.template_xlsx(), "cqr-template.xlsx", XLSX)
    raise Http404


@rto_perm_required(Perm.SUBMIT)
def register_export(request, rto_code):
    """The RTO's register as a NAT 8.0 zip (interfaces.md §6; ``?year=YYYY`` keeps that
    calendar year). Importing it again changes nothing."""

    year = request.GET.get("year", "").strip()
    if year and not (year.isdigit() and 1990 <= int(year) <= 2100):
        return HttpResponse("year must be a calendar year, e.g. 2025.", status=400)
    path, _counts = export_register_zip(
        request.rto, actor=request.user, year=int(year) if year else None
    )
    resp = FileResponse(_deleted_on_close(path), as_attachment=True, content_type="application/zip")
    suffix = f"-{year}" if year else ""
    resp["Content-Disposition"] = f'attachment; filename="register-{request.rto.code}{suffix}.zip"'
    resp["Cache-Control"] = "private, no-store"
    return resp


def _deleted_on_close(path: str):
    """The file opened for reading, removed once the response has sent it."""

    fh = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until then (POSIX)
    return fh


def submission_report_context(request, sub: Submission) -> dict:
    """The report of a validated submission (register upload or claim): counts by rule,
    the issues filtered by rule / severity / client and paginated, grouped by record."""
    filters = {
        "rule": request.GET.get("rule", "").strip()[:30],
        "severity": request.GET.get("severity", "") if request.GET.get("severity") in
        ("error", "warning") else "",
        "client": request.GET.get("client", "").strip()[:20],
    }  # fmt: skip
    issues = selectors.submission_issues(sub, **filters)
    page = Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    source = exports.IssueSource(sub)  # NAT file / line / field, or the template's row / column
    page.object_list = source.decorate(page.object_list)
    return {
        "rule_counts": selectors.submission_rule_counts(sub),
        "issues": page,
        "issue_source": source,
        "issue_filters": filters,
        "filtered": any(filters.values()),
    }


@rto_perm_required(Perm.VIEW)
def submission_detail(request, rto_code, public_id):
    sub = selectors.submission_get_for_rto(rto=request.rto, public_id=public_id)
    working = sub.status in (
        Submission.Status.RECEIVED,
        Submission.Status.VALIDATING,
        Submission.Status.COMMITTING,
        Submission.Status.LODGING,
    )
    poll = progress_poll(
        request, working=working, progress=lambda: submission_progress(request.rto.code, sub)
    )
    if poll is not None:
        return poll
    if sub.kind == Submission.Kind.CLAIM:  # a claim's page is in the claims workspace
        return redirect("claims:submission", rto_code=request.rto.code, public_id=sub.public_id)
    ctx = {"sub": sub, "working": working, "can_submit": request.rto_access.has(Perm.SUBMIT)}
    if working:
        ctx["progress"] = submission_progress(request.rto.code, sub)
    else:
        ctx.update(submission_report_context(request, sub))
    return vary_on_htmx(render(request, "achievements/submission_detail.html", ctx))


def submission_progress(rto_code: str, sub: Submission) -> Progress:
    """The progress partial for a submission (and a claim, whose page polls this one):
    status, phase, rows done of about the total, and the time left at the phase's pace."""
    url = reverse("achievements:submission_detail", args=(rto_code, sub.public_id))
    detail = ""
    if sub.rows_done:
        detail = f"{sub.rows_done} row{pluralize(sub.rows_done)}"
        if sub.rows_total:
            detail += f" of about {sub.rows_total}"
    return Progress(
        poll_url=f"{url}?part=progress",
        page_url=url,
        status=sub.get_status_display(),
        phase=sub.phase,
        detail=detail,
        done=sub.rows_done or 0,
        total=sub.rows_total or 0,
        eta=time_left(sub.seconds_left()),
    )


@require_POST
@rto_perm_required(Perm.SUBMIT)
def submission_commit_view(request, rto_code, public_id):
    """Commit is irreversible (nothing in the register is ever deleted), so it asks first:
    the report's commit form has a confirmation box, and a POST without it commits nothing
    and says why."""
    sub = selectors.submission_get_for_rto(rto=request.rto, public_id=public_id)
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            "Nothing was committed: tick the box to confirm that these records go into the"
            " permanent register, where they can be corrected but never deleted.",
        )
        return redirect(
            "achievements:submission_detail", rto_code=request.rto.code, public_id=sub.public_id
        )
    try:
        services.submission_request_commit(sub, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Commit started: the records without errors are going in.")
    return redirect(
        "achievements:submission_detail", rto_code=request.rto.code, public_id=sub.public_id
    )


@require_POST
@rto_perm_required(Perm.SUBMIT)
def submission_discard_view(request, rto_code, public_id):
    sub = selectors.submission_get_for_rto(rto=request.rto, public_id=public_id)
    try:
        services.submission_discard(sub, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Submission discarded; nothing from it went into the register.")
    return redirect(
        "achievements:submission_detail", rto_code=request.rto.code, public_id=sub.public_id
    )


@rto_perm_required(Perm.VIEW)
def submission_issues_download(request, rto_code, public_id, fmt):
    sub = selectors.submission_get_for_rto(rto=request.rto, public_id=public_id)
    issues = sub.issues.order_by("file", "line", "field", "id").iterator(chunk_size=5000)
    name = f"issues-{sub.public_id[:8]}"
    # NAT file / line / field, or the template's row / column; each rule's page in the guide
    source = exports.IssueSource(sub, rule_url=_rule_page_url(request))
    if fmt == "csv":
        data = exports.csv_bytes(source.columns, source.rows(issues))
        return _download(data, f"{name}.csv", "text/csv; charset=utf-8")
    if fmt == "xlsx":
        data = exports.xlsx_bytes([("Issues", source.columns, source.rows(issues))])
        return _download(data, f"{name}.xlsx", XLSX)
    raise Http404


def _rule_page_url(request):
    """Rule id -> the absolute address of its page in the guide's rules catalogue."""
    pages: dict[str, str] = {}

    def url(rule: str) -> str:
        if rule not in pages:
            pages[rule] = request.build_absolute_uri(reverse("guide:rule", args=[rule]))
        return pages[rule]

    return url


@rto_perm_required(Perm.VIEW)
def rules_page(request, rto_code):
    """The rules catalogue moved to the public guide (``guide:rules``, one page per rule):
    this address, linked from older reports, leads there."""
    return redirect("guide:rules")
