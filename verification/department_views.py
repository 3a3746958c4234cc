"""Department: verification activity (counts, rate-limited clients, revocations) and
revocation by an approver."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from core.audit import audit_record
from core.decorators import department_required
from core.errors import ApplicationError

from .forms import DepartmentSearchForm, RevokeForm
from .selectors import department_award_get, department_award_search, verification_activity
from .services import award_revoke
from .statements import award_statement


@department_required()
def activity(request):
    form = DepartmentSearchForm(request.GET or None)
    found = []
    if form.is_valid() and form.cleaned_data["certificate_number"]:
        found = department_award_search(form.cleaned_data["certificate_number"])
        audit_record(
            "department.award_search",
            actor=request.user,
            extra={
                "certificate_number": form.cleaned_data["certificate_number"],
                "hits": len(found),
            },
        )
    return render(
        request,
        "verification/department/activity.html",
        {"stats": verification_activity(), "form": form, "found": found, "searched": form.is_bound},
    )


@department_required(approver=True)
def award_revoke_view(request, public_id):
    award = department_award_get(public_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            award_revoke(
                actor=request.user,
                award=award,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                via="department",
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Award {award.certificate_number} revoked.")
            return redirect("verification_dept:activity")
    return render(
        request,
        "verification/department/award_revoke.html",
        {"award": award, "statement": award_statement(award), "form": form},
        status=400 if form.errors else 200,
    )
