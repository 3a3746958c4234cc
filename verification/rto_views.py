"""RTO workspace: awards and their documents (issue, download, revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from achievements.models import Award
from core.decorators import rto_perm_required
from core.errors import ApplicationError
from core.htmx import render_page_or_fragment
from rtos.models import Perm

from .forms import RevokeForm
from .models import DocumentStatus, GeneratedDocument
from .selectors import award_get_for_rto, award_list, document_get_for_rto, document_list
from .services import (
    BULK_ISSUE_MAX,
    award_revoke,
    document_issue,
    document_kinds_for,
    documents_issue_bulk,
)
from .statements import award_statement, credential_url


@rto_perm_required(Perm.VIEW)
def award_list_view(request, rto_code):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in Award.Status.values:
        status = ""
    page = Paginator(award_list(rto=request.rto, q=q, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "verification/rto/award_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": Award.Status.choices,
            "recent_documents": document_list(rto=request.rto)[:10],
            "can_issue": request.rto_access.has(Perm.ISSUE_DOCUMENTS),
            "bulk_max": BULK_ISSUE_MAX,
        },
    )


@require_POST
@rto_perm_required(Perm.ISSUE_DOCUMENTS)
def documents_issue_bulk_view(request, rto_code):
    """Issue documents for the awards ticked on the list (one POST, all or nothing)."""
    back = request.POST.get("back", "")
    if not back.startswith(f"/rto/{request.rto.code}/documents/"):
        back = f"/rto/{request.rto.code}/documents/"
    try:
        docs = documents_issue_bulk(
            actor=request.user,
            rto=request.rto,
            award_public_ids=request.POST.getlist("awards"),
            choice=request.POST.get("choice", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    counts: dict[str, int] = {}
    for d in docs:
        counts[d.get_kind_display()] = counts.get(d.get_kind_display(), 0) + 1
    what = ", ".join(f"{n} × {label}" for label, n in counts.items())
    messages.success(
        request,
        f"Requested {what}. They are prepared in a few seconds; each award's page has "
        "its download.",
    )
    return redirect(back)


@rto_perm_required(Perm.VIEW)
def award_detail(request, rto_code, public_id):
    award = award_get_for_rto(rto=request.rto, public_id=public_id)
    return render(
        request,
        "verification/rto/award_detail.html",
        {
            "award": award,
            "statement": award_statement(award),
            "credential_url": credential_url(award),
            "documents": document_list(rto=request.rto, award=award),
            "kinds": document_kinds_for(award),
            "can_issue": request.rto_access.has(Perm.ISSUE_DOCUMENTS),
        },
    )


@require_POST
@rto_perm_required(Perm.ISSUE_DOCUMENTS)
def document_issue_view(request, rto_code, public_id):
    award = award_get_for_rto(rto=request.rto, public_id=public_id)
    try:
        doc = document_issue(actor=request.user, award=award, kind=request.POST.get("kind", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(
            "rto_documents:award_detail", rto_code=request.rto.code, public_id=public_id
        )
    messages.success(request, f"{doc.get_kind_display()} requested.")
    return redirect(
        "rto_documents:document_detail", rto_code=request.rto.code, public_id=doc.public_id
    )


@rto_perm_required(Perm.ISSUE_DOCUMENTS)
def award_revoke_view(request, rto_code, public_id):
    award = award_get_for_rto(rto=request.rto, public_id=public_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            award_revoke(
                actor=request.user,
                award=award,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                via="rto",
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Award revoked. Verification now answers “revoked”.")
            return redirect(
                "rto_documents:award_detail", rto_code=request.rto.code, public_id=public_id
            )
    return render(
        request,
        "verification/rto/award_revoke.html",
        {"award": award, "form": form},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.VIEW)
def document_detail(request, rto_code, public_id):
    doc = document_get_for_rto(rto=request.rto, public_id=public_id)
    return render_page_or_fragment(
        request,
        "verification/rto/document_detail.html",
        "verification/rto/_document_status.html",
        {"doc": doc, "award": doc.award},
    )


@rto_perm_required(Perm.VIEW)
def document_download(request, rto_code, public_id):
    doc = document_get_for_rto(rto=request.rto, public_id=public_id)
    if doc.status != DocumentStatus.READY or not doc.file:
        raise Http404("Not ready")
    number = doc.award.certificate_number or doc.public_id[:8]
    kind = {
        GeneratedDocument.Kind.TESTAMUR: "testamur",
        GeneratedDocument.Kind.STATEMENT_OF_ATTAINMENT: "statement-of-attainment",
        GeneratedDocument.Kind.RECORD_OF_RESULTS: "record-of-results",
    }[doc.kind]
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"{kind}-{number}.pdf",
        content_type="application/pdf",
    )
