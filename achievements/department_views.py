"""Department: cross-RTO register search (reason recorded) and training products."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from core.audit import audit_record
from core.decorators import department_required

from . import exports, selectors
from .forms import RegisterSearchForm
from .models import TrainingProduct
from .records_views import product_lookup_fragment

SESSION_REASON = "register_search_reason"


@department_required()
def register_search(request):
    form = RegisterSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        d = form.cleaned_data
        results = selectors.register_search_across_rtos(
            q=d["q"], usi=d["usi"], certificate=d["certificate"], code=d["code"]
        )
        audit_record(
            "register.search",
            actor=request.user,
            extra={
                "reason": d["reason"][:300],
                "search": {k: d[k] for k in ("q", "usi", "certificate", "code") if d[k]},
                "results": len(results),
                **({"download": request.GET["format"]} if request.GET.get("format") else {}),
            },
        )
        request.session[SESSION_REASON] = d["reason"][:300]
        fmt = request.GET.get("format")
        if fmt in ("csv", "xlsx"):
            return exports.table_download(
                fmt, "register-search", exports.REGISTER_COLUMNS, exports.register_rows(results)
            )
    return render(
        request,
        "achievements/department/register_search.html",
        {"form": form, "results": results},
        status=400 if request.GET and form.errors else 200,
    )


@department_required()
def register_learner(request, public_id):
    """Read-only learner view across RTOs; only after a search with a recorded reason."""
    reason = request.session.get(SESSION_REASON)
    if not reason:
        return redirect("register:search")
    ctx = selectors.learner_register_view(public_id=public_id)
    audit_record(
        "register.view_learner",
        actor=request.user,
        object_type="students.Learner",
        object_id=str(ctx["learner"].pk),
        extra={"reason": reason},
    )
    return render(request, "achievements/department/register_learner.html", ctx)


@department_required()
def training_products(request):
    q = request.GET.get("q", "").strip()[:100]
    type_ = request.GET.get("type", "")
    status = request.GET.get("status", "")
    if type_ not in TrainingProduct.Type.values:
        type_ = ""
    if status not in TrainingProduct.Status.values:
        status = ""
    page = Paginator(
        selectors.training_product_search(q=q, type=type_, status=status), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "achievements/department/training_products.html",
        {
            "page": page,
            "q": q,
            "type": type_,
            "status": status,
            "types": TrainingProduct.Type.choices,
            "statuses": TrainingProduct.Status.choices,
        },
    )


@department_required()
def product_lookup(request):
    """htmx fragment for the register search's code field: the code's title, or training
    products whose title holds the words typed (the hand-entry look-up; public
    reference data, nothing about learners)."""

    return product_lookup_fragment(request)
