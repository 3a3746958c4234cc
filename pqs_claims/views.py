"""Claims (RTO workspace) and payment batches (department workspace; the payment reference
data pages are in ``reference.views``).
Thin views: forms in, a service or selector call, a template out."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from achievements.views import submission_progress, submission_report_context
from core.decorators import department_required, rto_perm_required
from core.errors import ApplicationError
from core.uploads import UploadRejected
from rtos.models import Perm

from . import exports, selectors, services
from .bank_accounts import bank_change_request
from .engine import STATUSES
from .forms import (
    AdjustmentDecisionForm,
    AdjustmentFilterForm,
    BankAccountForm,
    BatchRunForm,
    ClaimUploadForm,
    PaidForm,
)
from .models import BankAccountChange, PaymentLine
from .pipeline import DEPARTMENTAL_CODES


def _pdf(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{name}"'
    return resp


# ----------------------------------------------------------------- RTO: claims
@rto_perm_required(Perm.VIEW)
def claims_index(request, rto_code):
    rto = request.rto
    return render(
        request,
        "pqs_claims/claims_index.html",
        {
            "approvals": selectors.pqs_approvals_for(rto),
            "submissions": selectors.claim_submission_list(rto=rto)[:50],
            "statements": selectors.statements_for(rto=rto),
            "can_prepare": request.rto_access.has(Perm.PREPARE_CLAIMS),
            "form": ClaimUploadForm(),
        },
    )


@rto_perm_required(Perm.PREPARE_CLAIMS)
def claim_upload(request, rto_code):
    """The claim goes through the register's upload door and is validated by the worker:
    nothing is parsed here. Refusals are 400 with the reason next to the file field."""
    post = request.method == "POST"
    form = ClaimUploadForm(request.POST, request.FILES) if post else ClaimUploadForm()
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            sub, created = services.claim_submission_create(
                rto=request.rto, actor=request.user, file_name=f.name, fh=f, size=f.size,
                collection_year=form.cleaned_data["collection_year"],
                commit_records=form.cleaned_data["commit_records"],
            )  # fmt: skip
        except (UploadRejected, ApplicationError) as exc:
            form.add_error("file", exc.message)
        else:
            if not created:
                messages.info(request, "This exact file was uploaded before; here is that claim.")
            return redirect("claims:submission", rto_code=request.rto.code, public_id=sub.public_id)
    return render(
        request,
        "pqs_claims/claim_upload.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.VIEW)
def claim_submission(request, rto_code, public_id):
    """Progress while the worker validates or lodges (the register's progress partial),
    then the claim: estimate, lodge, and the register's report of the submission."""

    sub = selectors.claim_submission_get_for_rto(rto=request.rto, public_id=public_id)
    claim = getattr(sub, "claim", None)
    working = sub.status in ("received", "validating", "lodging")
    ctx = {
        "sub": sub,
        "claim": claim,
        "working": working,
        "can_lodge": request.rto_access.has(Perm.LODGE_CLAIMS),
    }
    if working:
        ctx["progress"] = submission_progress(request.rto.code, sub)
    else:
        ctx.update(submission_report_context(request, sub))
        found = {r["rule"] for r in ctx["rule_counts"]}
        ctx["code_meanings"] = [(c, w) for c, w in DEPARTMENTAL_CODES.items() if c in found]
        if claim is not None:
            ctx["groups"] = selectors.claim_estimate_groups(claim)
            ctx["lines_shown"] = selectors.ESTIMATE_LINES_SHOWN
    return render(request, "pqs_claims/claim_submission.html", ctx)


@require_POST
@rto_perm_required(Perm.LODGE_CLAIMS)
def claim_lodge(request, rto_code, public_id):
    sub = selectors.claim_submission_get_for_rto(rto=request.rto, public_id=public_id)
    try:
        services.claim_submission_request_lodge(submission=sub, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Lodgement started: the valid lines are being lodged.")
    return redirect("claims:submission", rto_code=request.rto.code, public_id=sub.public_id)


@rto_perm_required(Perm.VIEW)
def statement(request, rto_code, public_id):
    batch = selectors.statement_batch_get(public_id=public_id)

    if request.GET.get("format") in ("csv", "xlsx"):  # the PQS's own lines, every field
        return _lines_download(
            exports.export_rows(batch, rto=request.rto),
            request.GET["format"],
            f"payment-statement-{batch.period}-{request.rto.code}",
        )
    status = request.GET.get("status", "")
    lines = PaymentLine.objects.filter(batch=batch, rto=request.rto)
    total = lines.aggregate(t=Sum("amount"))["t"] or 0
    if status:
        lines = lines.filter(status=status)
    page = Paginator(
        lines.order_by("learner_name", "training_contract_identifier", "activity_end_date", "id"),
        100,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "pqs_claims/statement.html",
        {"batch": batch, "page": page, "status": status, "statuses": STATUSES, "total": total},
    )


@rto_perm_required(Perm.VIEW)
def statement_remittance(request, rto_code, public_id):
    batch = selectors.statement_batch_get(public_id=public_id)
    total = next((t for t in services.pqs_totals(batch) if t["rto"].pk == request.rto.pk), None)
    if total is None:
        total = {"rto": request.rto, "approval": None, "total": 0, "paid": 0}
        approvals = selectors.pqs_approvals_for(request.rto)
        total["approval"] = approvals[-1] if approvals else None
    return _pdf(
        exports.remittance_pdf(batch, total), f"remittance-{batch.period}-{request.rto.code}.pdf"
    )


# ----------------------------------------------------------------- department: batches
@department_required()
def batch_list(request):
    form = (
        BatchRunForm(request.POST)
        if request.method == "POST"
        else BatchRunForm(initial={"period": request.GET.get("period", "")[:7]})
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.payment_batch_run(
                period=form.cleaned_data["period"], actor=request.user
            )
        except ApplicationError as exc:
            form.add_error("period", exc.message)
        else:
            messages.success(request, f"Batch {batch.period} calculated.")
            return redirect("payments:batch_detail", public_id=batch.public_id)
    return render(
        request,
        "pqs_claims/batch_list.html",
        {"batches": selectors.batch_list(), "form": form},
        status=400 if form.errors else 200,
    )


@department_required()
def batch_detail(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    f = {k: request.GET.get(k, "").strip() for k in ("status", "rto", "program", "q")}
    lines = selectors.batch_lines(
        batch, status=f["status"], rto_code=f["rto"], program=f["program"], q=f["q"]
    )
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "pqs_claims/batch_detail.html",
        {
            "batch": batch,
            "summary": selectors.batch_summary(batch),
            "page": page,
            "f": f,
            "statuses": STATUSES,
            "paid_form": PaidForm(),
            "can_approve": request.user.can_approve and batch.run_by_id != request.user.pk,
        },
    )


@department_required()
def batch_line(request, public_id, line_id):
    batch = selectors.batch_get(public_id=public_id)
    line = selectors.batch_line_get(batch, line_id)
    return render(request, "pqs_claims/batch_line.html", {"batch": batch, "line": line})


@require_POST
@department_required()
def batch_run(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    try:
        services.payment_batch_run(period=batch.period, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.period} recalculated.")
    return redirect("payments:batch_detail", public_id=batch.public_id)


@require_POST
@department_required(approver=True)
def batch_approve(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    try:
        services.payment_batch_approve(
            batch=batch, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.period} approved: it can no longer change.")
    return redirect("payments:batch_detail", public_id=batch.public_id)


@require_POST
@department_required(approver=True)
def batch_aba(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    try:
        aba = services.batch_aba_export(batch=batch, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payments:batch_detail", public_id=batch.public_id)
    resp = HttpResponse(aba["data"], content_type="text/plain; charset=us-ascii")
    resp["Content-Disposition"] = f'attachment; filename="{aba["name"]}"'
    return resp


@require_POST
@department_required(approver=True)
def batch_paid(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    form = PaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the payment date as DD/MM/YYYY.")
    else:
        try:
            services.payment_batch_mark_paid(
                batch=batch, actor=request.user, paid_on=form.cleaned_data["paid_on"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Batch {batch.period} marked paid.")
    return redirect("payments:batch_detail", public_id=batch.public_id)


@department_required()
def batch_export(request, public_id):
    batch = selectors.batch_get(public_id=public_id)
    return _lines_download(
        exports.export_rows(batch), request.GET.get("format"), f"payment-lines-{batch.period}"
    )


def _lines_download(rows: list[dict], fmt: str | None, name: str) -> HttpResponse:
    """Payment lines as interfaces.md §5 JSON, XLSX or (default) CSV."""
    if fmt == "json":
        resp = HttpResponse(json.dumps(rows, indent=1), content_type="application/json")
        ext = "json"
    elif fmt == "xlsx":
        resp = HttpResponse(
            exports.export_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        ext = "xlsx"
    else:
        resp = HttpResponse(exports.export_csv(rows), content_type="text/csv; charset=utf-8")
        ext = "csv"
    resp["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
    return resp


@department_required()
def batch_remittance(request, public_id, rto_code):
    batch = selectors.batch_get(public_id=public_id)
    pdf = services.batch_remittance_pdf(batch=batch, rto_code=rto_code)
    if pdf is None:
        raise Http404
    name, data = pdf
    return _pdf(data, name)


# ----------------------------------------------------------------- department: PQS bank
@department_required(admin=True)
def approval_bank(request, public_id):
    """A department admin asks for a PQS's account to change (e.g. on the supplier's
    signed request). It is a ``BankAccountChange`` like the RTO's own: another approver
    verifies it by phone before anything is paid to it (``bank_accounts``)."""
    approval = selectors.approval_get(public_id)
    form = BankAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            bank_change_request(actor=request.user, approval=approval, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Change of {approval.supplier_number}'s bank account requested. Another "
                "approver must verify it with the RTO; until then payments go to the "
                "current account.",
            )
            return redirect("reference:reference", kind="approvals")
    with scopes_disabled():
        pending = BankAccountChange.objects.filter(approval=approval, status="pending").first()
    return render(
        request,
        "pqs_claims/approval_bank.html",
        {"approval": approval, "form": form, "pending": pending},
        status=400 if form.errors else 200,
    )


# ----------------------------------------------------------------- department: adjustments
NO_ADJUSTMENT_DECISION = (
    "Recording an adjustment decision needs a department admin or an officer grant with act"
    " permission for the RTO."
)


def _decision_form(line, data=None) -> AdjustmentDecisionForm:
    # one form per row: element ids carry the claim line's id, field names do not
    return AdjustmentDecisionForm(data, auto_id=f"adj-{line.claim_line_public_id}-%s")


@department_required()
def adjustment_reviews(request):
    """Lines flagged ADJUSTMENT_REVIEW (payment-rules.md §5 rule 5) across batches, each
    beside the paid line it re-lodges, with filters (awaiting a decision by default) and
    counts per batch month. Undecided lines carry the decision form for those who may
    record one (``services.adjustment_review_resolvable_rtos``); decided lines show the
    decision, who, when and the note. Bounded queries, whatever the number of lines."""
    form = AdjustmentFilterForm(request.GET or None)
    f = {"period": "", "rto": "", "program": "", "q": "", "state": ""}
    if form.is_bound and form.is_valid():
        f.update({k: (v or "").strip() for k, v in form.cleaned_data.items()})
    lines = selectors.adjustment_reviews(
        period=f["period"],
        rto_code=f["rto"],
        program=f["program"],
        q=f["q"],
        state=f["state"] or "unresolved",
    )
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    rows = selectors.with_paid_lines(list(page.object_list))
    every, rto_ids = services.adjustment_review_resolvable_rtos(request.user)
    for r in rows:
        if r["review"] is None and (every or r["line"].rto_id in rto_ids):
            r["form"] = _decision_form(r["line"])
    return render(
        request,
        "pqs_claims/adjustment_reviews.html",
        {
            "form": form,
            "f": f,
            "filtered": any(f[k] for k in ("period", "rto", "program", "q")),
            "page": page,
            "rows": rows,
            "counts": selectors.adjustment_review_counts(),
            "here": request.get_full_path(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _adjustments_back(request) -> str:
    """Back to the list the officer came from (its filters), never off the site."""
    listing = reverse("payments:adjustment_reviews")
    back = request.POST.get("next", "")
    if back.startswith(listing) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return listing


@require_POST
@department_required()
def adjustment_review_resolve(request, public_id):
    """Record the decision on a flagged line, keyed by its claim line's public id (stable
    across recalculations; payment-rules.md §5 rule 5). Department admins, or officers
    with an "act" grant covering the RTO (403 otherwise); 404 for a claim line that is
    unknown or not flagged; 400 with the errors beside the fields; 409 once decided."""
    if not services.adjustment_review_can_resolve(request.user):
        raise PermissionDenied(NO_ADJUSTMENT_DECISION)
    line = selectors.adjustment_review_line_get(public_id)
    if not services.adjustment_review_can_resolve(request.user, line.rto_id):
        raise PermissionDenied(NO_ADJUSTMENT_DECISION)
    row = selectors.with_paid_lines([line])[0]
    form = _decision_form(line, request.POST)
    status = 400
    if row["review"] is not None:
        status = 409
        form = None
    elif form.is_valid():
        try:
            services.adjustment_review_resolve(
                claim_line=line.claim_line,
                paid_line=row["paid"],
                actor=request.user,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Decision recorded for {line.rto.code}, DELTA {line.training_contract_identifier},"
                f" {line.subject_identifier}.",
            )
            return redirect(_adjustments_back(request))
    return render(
        request,
        "pqs_claims/adjustment_review_resolve.html",
        {"row": row, "form": form, "next": _adjustments_back(request)},
        status=status,
    )
