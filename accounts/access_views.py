"""Access applications (issue 14): the public form and status page, and the department's
list and decision. Rules live in ``accounts.services``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.decorators import department_required
from core.errors import ApplicationError
from core.http import client_ip

from .forms import AccessApplicationForm, AccessDecisionForm
from .models import AccessApplication
from .services import (
    access_application_approve,
    access_application_by_token,
    access_application_reject,
    access_application_submit,
    access_apply_rate_limited,
)


def access_apply(request):
    form = AccessApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if access_apply_rate_limited(client_ip(request)):
            form.add_error(None, "Too many applications from your address. Try again in an hour.")
            status = 429
        elif form.is_valid():
            try:
                application = access_application_submit(**form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "Application received. We have e-mailed an acknowledgement with a link "
                    "to this page.",
                )
                return redirect("access:status", token=application.token)
        if form.errors and status == 200:
            status = 400
    return render(request, "accounts/access_apply.html", {"form": form}, status=status)


def access_status(request, token: str):
    application = access_application_by_token(token)
    if application is None:
        raise Http404
    return render(request, "accounts/access_status.html", {"application": application})


@department_required()
def access_application_list(request):
    status = request.GET.get("status", AccessApplication.Status.PENDING)
    applications = AccessApplication.objects.select_related("decided_by").order_by("-created_at")
    if status in AccessApplication.Status.values:
        applications = applications.filter(status=status)
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "department/access_list.html",
        {"page": page, "status": status, "statuses": AccessApplication.Status.choices},
    )


def _application_or_404(public_id: str) -> AccessApplication:
    application = (
        AccessApplication.objects.select_related("rto", "decided_by", "invitation")
        .filter(public_id=public_id)
        .first()
    )
    if application is None:
        raise Http404
    return application


@department_required()
def access_application_detail(request, public_id: str):
    application = _application_or_404(public_id)
    return render(
        request,
        "department/access_detail.html",
        {"application": application, "form": AccessDecisionForm()},
    )


@require_POST
@department_required()
def access_application_decide(request, public_id: str):
    application = _application_or_404(public_id)
    form = AccessDecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                access_application_approve(actor=request.user, application=application)
                messages.success(
                    request, f"Approved: {application.admin_email} is invited as administrator."
                )
            else:
                access_application_reject(
                    actor=request.user, application=application, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Rejected; the applicant has been e-mailed the reason.")
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("department_access:detail", public_id=application.public_id)
    return render(
        request,
        "department/access_detail.html",
        {"application": application, "form": form},
        status=400,
    )
