"""Bank account changes (issue 14): the RTO administrator requests with fresh MFA, a
department approver verifies by phone. Rules live in ``pqs_claims.bank_accounts``."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from allauth.account import app_settings as allauth_settings
from allauth.account.authentication import get_authentication_records
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django_scopes import scopes_disabled

from core.decorators import department_required, rto_perm_required
from core.errors import ApplicationError
from rtos.models import Perm

from . import selectors
from .bank_accounts import bank_change_reject, bank_change_request, bank_change_verify
from .forms import BankChangeDecisionForm, BankChangeRequestForm
from .models import BankAccountChange


def has_fresh_mfa(request) -> bool:
    """The user passed an MFA check (sign-in or allauth's reauthentication) within
    allauth's reauthentication timeout, in this session."""
    records = get_authentication_records(request, request.user)
    limit = allauth_settings.REAUTHENTICATION_TIMEOUT
    return any(r.get("method") == "mfa" and time.time() - r["at"] < limit for r in records)


@rto_perm_required(Perm.MANAGE_SETTINGS)
def bank_account(request, rto_code):
    rto = request.rto
    approvals = selectors.pqs_approvals_for(rto)
    form = BankChangeRequestForm(
        request.POST if request.method == "POST" else None, approvals=approvals
    )
    if request.method == "POST":
        if not has_fresh_mfa(request):
            messages.info(request, "Confirm with your authenticator app, then send the change.")
            query = urlencode({"next": request.path})
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        if form.is_valid():
            approval = next(a for a in approvals if a.public_id == form.cleaned_data["approval"])
            try:
                bank_change_request(
                    actor=request.user,
                    approval=approval,
                    bsb=form.cleaned_data["bsb"],
                    account_number=form.cleaned_data["account_number"],
                    account_name=form.cleaned_data["account_name"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "Change requested. The department will phone you on your registered "
                    "number to verify it; until then payments go to the current account.",
                )
                return redirect("claims:bank_account", rto_code=rto.code)
    changes = BankAccountChange.objects.filter(rto=rto).select_related("approval", "decided_by")
    return render(
        request,
        "pqs_claims/bank_account.html",
        {"approvals": approvals, "changes": changes[:20], "form": form},
        status=400 if form.errors else 200,
    )


@department_required(approver=True)
def bank_changes(request):
    with scopes_disabled():
        changes = list(
            BankAccountChange.objects.select_related("rto", "approval", "requested_by")
            .filter(status=BankAccountChange.Status.PENDING)
            .order_by("requested_at")[:200]
        )
    return render(request, "pqs_claims/bank_changes.html", {"changes": changes})


@department_required(approver=True)
def bank_change(request, public_id):
    with scopes_disabled():
        change = (
            BankAccountChange.objects.select_related("rto", "approval", "requested_by")
            .filter(public_id=public_id)
            .first()
        )
    if change is None:
        raise Http404
    form = BankChangeDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "verify":
                bank_change_verify(
                    actor=request.user, change=change, note=form.cleaned_data["note"]
                )
            else:
                bank_change_reject(
                    actor=request.user, change=change, note=form.cleaned_data["note"]
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Decision recorded; the RTO has been e-mailed.")
            return redirect("payments:bank_changes")
    return render(
        request,
        "pqs_claims/bank_change.html",
        {"change": change, "form": form},
        status=400 if form.errors else 200,
    )
