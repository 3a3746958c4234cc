"""PQS applications, variations and the letter of authority (issue 14). Rules live in
``pqs_claims.pqs_applications``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django_scopes import scopes_disabled

from core.decorators import department_required, rto_perm_required
from core.errors import ApplicationError
from core.pdf import render_pdf
from rtos.models import Perm

from . import selectors
from .forms import PqsApplyForm, PqsDecisionForm, PqsVariationForm
from .models import FundingProgram, PqsApplication
from .pqs_applications import (
    letter_context,
    pqs_application_decide,
    pqs_apply,
    pqs_variation_apply,
    scope_codes,
)
from .views import _pdf


def _approval_of(rto, public_id):
    approval = next((a for a in selectors.pqs_approvals_for(rto) if a.public_id == public_id), None)
    if approval is None:
        raise Http404
    return approval


@rto_perm_required(Perm.MANAGE_SETTINGS)
def pqs_apply_view(request, rto_code):
    rto = request.rto
    programs = list(FundingProgram.objects.order_by("code", "-starts"))
    form = PqsApplyForm(request.POST or None, programs=programs, scope=scope_codes(rto))
    if request.method == "POST" and form.is_valid():
        program = next(p for p in programs if str(p.pk) == form.cleaned_data["program"])
        try:
            pqs_apply(
                actor=request.user,
                rto=rto,
                program=program,
                codes=form.cleaned_data["codes"],
                bsb=form.cleaned_data["bsb"],
                account_number=form.cleaned_data["account_number"],
                account_name=form.cleaned_data["account_name"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Application sent to the department.")
            return redirect("claims:pqs_apply", rto_code=rto.code)
    return render(
        request,
        "pqs_claims/pqs_apply.html",
        {"form": form, "applications": PqsApplication.objects.filter(rto=rto)[:50]},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.MANAGE_SETTINGS)
def pqs_vary_view(request, rto_code, public_id):
    approval = _approval_of(request.rto, public_id)
    form = PqsVariationForm(
        request.POST or None,
        scope=scope_codes(request.rto),
        schedule=approval.qualification_codes,
    )
    if request.method == "POST" and form.is_valid():
        try:
            pqs_variation_apply(
                actor=request.user,
                approval=approval,
                add=form.cleaned_data["add"],
                remove=form.cleaned_data["remove"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Variation sent to the department.")
            return redirect("claims:pqs_apply", rto_code=request.rto.code)
    return render(
        request,
        "pqs_claims/pqs_vary.html",
        {"form": form, "approval": approval},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.VIEW)
def pqs_letter(request, rto_code, public_id):

    approval = _approval_of(request.rto, public_id)
    data = render_pdf("pqs_claims/pqs_letter_pdf.html", letter_context(approval))
    return _pdf(data, f"letter-of-authority-{approval.supplier_number}.pdf")


@department_required(approver=True)
def pqs_applications(request):
    with scopes_disabled():
        pending = list(
            PqsApplication.objects.filter(status="pending")
            .select_related("rto", "program", "approval")
            .order_by("requested_at")[:200]
        )
    return render(request, "pqs_claims/pqs_applications.html", {"applications": pending})


@department_required(approver=True)
def pqs_application(request, public_id):
    with scopes_disabled():
        app = (
            PqsApplication.objects.select_related("rto", "program", "approval", "requested_by")
            .filter(public_id=public_id)
            .first()
        )
    if app is None:
        raise Http404
    form = PqsDecisionForm(request.POST or None, nominated=app.nominated_codes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pqs_application_decide(
                actor=request.user,
                application=app,
                approve=data["decision"] == "approve",
                approved_codes=data["approved_codes"],
                supplier_number=data["supplier_number"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                reason=data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("payments:pqs_applications")
    return render(
        request,
        "pqs_claims/pqs_application.html",
        {"application": app, "form": form},
        status=400 if form.errors else 200,
    )
