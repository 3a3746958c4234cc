"""Submission pages under /rto/<code>/submissions/ (thin: services and selectors do the work)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.decorators import rto_perm_required
from core.errors import ApplicationError
from core.uploads import UploadRejected
from rtos.models import Perm

from . import exports, selectors, services
from .forms import SubmissionUploadForm
from .models import Submission

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
                if len(files) == 1:
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
                        if len(files) == 1
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
    return {
        "rule_counts": selectors.submission_rule_counts(sub),
        "issues": Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page")),
        "issue_filters": filters,
        "filtered": any(filters.values()),
    }


@rto_perm_required(Perm.VIEW)
def submission_detail(request, rto_code, public_id):
    sub = selectors.submission_get_for_actor(rto=request.rto, public_id=public_id)
    working = sub.status in (
        Submission.Status.RECEIVED,
        Submission.Status.VALIDATING,
        Submission.Status.COMMITTING,
        Submission.Status.LODGING,
    )
    ctx = {"sub": sub, "working": working, "can_submit": request.rto_access.has(Perm.SUBMIT)}
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        if not working:
            resp = HttpResponse(status=204)
            resp["HX-Refresh"] = "true"
            return resp
        return render(request, "achievements/_progress.html", ctx)
    if sub.kind == Submission.Kind.CLAIM:  # a claim's page is in the claims workspace
        return redirect("claims:submission", rto_code=request.rto.code, public_id=sub.public_id)
    if not working:
        ctx.update(submission_report_context(request, sub))
    return render(request, "achievements/submission_detail.html", ctx)


@require_POST
@rto_perm_required(Perm.SUBMIT)
def submission_commit_view(request, rto_code, public_id):
    sub = selectors.submission_get_for_actor(rto=request.rto, public_id=public_id)
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
    sub = selectors.submission_get_for_actor(rto=request.rto, public_id=public_id)
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
    sub = selectors.submission_get_for_actor(rto=request.rto, public_id=public_id)
    issues = sub.issues.order_by("file", "line", "field", "id").iterator(chunk_size=5000)
    name = f"issues-{sub.public_id[:8]}"
    if fmt == "csv":
        data = exports.csv_bytes(exports.ISSUE_COLUMNS, exports.issue_rows(issues))
        return _download(data, f"{name}.csv", "text/csv; charset=utf-8")
    if fmt == "xlsx":
        data = exports.xlsx_bytes([("Issues", exports.ISSUE_COLUMNS, exports.issue_rows(issues))])
        return _download(data, f"{name}.xlsx", XLSX)
    raise Http404
