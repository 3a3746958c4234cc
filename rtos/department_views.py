"""Department workspace: RTO registry, officers and grants, audit log (the overview, which
composes every app, is ``dashboards.department``)."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import OfficerInviteForm
from accounts.models import DepartmentRole, OfficerGrant, User
from accounts.services import invitation_create, officer_grant_create, officer_grant_revoke
from core.audit import action_label, audit_record, audit_verify
from core.decorators import department_required
from core.errors import ApplicationError
from core.spreadsheets import csv_bytes

from .access import rto_access_for
from .forms import AuditLogFilterForm, RtoCeaseForm, RtoRegisterForm
from .models import Rto
from .selectors import audit_events, membership_list, rto_get, rto_list
from .services import rto_cease, rto_register


@department_required()
def rto_list_view(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    page = Paginator(rto_list(q=q, status=status), 50).get_page(request.GET.get("page"))
    return render(request, "department/rto_list.html", {"page": page, "q": q, "status": status})


@department_required(admin=True)
def rto_register_view(request):
    form = RtoRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rto = rto_register(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, f"RTO {rto.code} registered.")
            return redirect("department:rto_detail", code=rto.code)
    return render(
        request, "department/rto_register.html", {"form": form}, status=400 if form.errors else 200
    )


@department_required()
def rto_detail(request, code):
    rto = rto_get(code=code)
    return render(
        request,
        "department/rto_detail.html",
        {
            "rto": rto,
            "members": membership_list(rto=rto),
            "cease_form": RtoCeaseForm(),
            "panels": [],
            # Links into the RTO's workspace only where the officer's grant opens it
            # (rtos.access.rto_access_for); otherwise the page says how to get one.
            "workspace_access": rto_access_for(request.user, rto.code),
        },
    )


@department_required(admin=True)
def rto_cease_view(request, code):
    rto = rto_get(code=code)
    form = RtoCeaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rto_cease(actor=request.user, rto=rto, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{rto.display_name} is marked ceased. Its records stay "
                "available to learners and verifiers.",
            )
            return redirect("department:rto_detail", code=rto.code)
    return render(
        request,
        "department/rto_cease.html",
        {"rto": rto, "form": form},
        status=400 if form.errors else 200,
    )


@department_required(admin=True)
def officer_list(request):
    form = OfficerInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                department_role=form.cleaned_data["department_role"],
            )
        except ApplicationError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("department:officer_list")
    officers = User.objects.exclude(department_role=DepartmentRole.NONE).prefetch_related(
        "officer_grants__rtos"
    )
    return render(
        request,
        "department/officer_list.html",
        {"officers": officers, "form": form},
        status=400 if form.errors else 200,
    )


@department_required(admin=True)
def officer_detail(request, public_id):
    officer = User.objects.exclude(department_role="").filter(public_id=public_id).first()
    if officer is None:
        raise Http404
    error = ""
    if request.method == "POST":
        codes = request.POST.get("rto_codes", "").replace(",", " ").split()
        rtos = list(Rto.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {r.code for r in rtos})
        try:
            if missing:
                raise ApplicationError(f"Unknown RTO code(s): {', '.join(missing)}")
            officer_grant_create(
                actor=request.user,
                officer=officer,
                rtos=rtos,
                all_rtos=request.POST.get("all_rtos") == "on",
                can_act=request.POST.get("can_act") == "on",
                reason=request.POST.get("reason", "").strip()[:300] or "—",
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, "Grant added.")
            return redirect("department:officer_detail", public_id=officer.public_id)
    grants = officer.officer_grants.prefetch_related("rtos").order_by("-created_at")
    return render(
        request,
        "department/officer_detail.html",
        {"officer": officer, "grants": grants, "error": error},
        status=400 if error else 200,
    )


@require_POST
@department_required(admin=True)
def grant_revoke(request, public_id):
    grant = OfficerGrant.objects.filter(public_id=public_id, revoked_at__isnull=True).first()
    if grant is None:
        raise Http404
    officer_grant_revoke(actor=request.user, grant=grant)
    messages.success(request, "Grant revoked.")
    return redirect("department:officer_detail", public_id=grant.user.public_id)


#: At most this many events in one CSV download of the audit log (narrow the filters).
AUDIT_CSV_MAX = 100_000
AUDIT_CSV_COLUMNS = ["occurred_at", "actor", "rto", "action", "action_label", "object_type",
                     "object_id", "summary", "request_id"]  # fmt: skip


@department_required()
def audit_log(request):
    """The audit log with filters, a CSV download of what they select, and the hash chain
    check (``core.audit.audit_verify``)."""
    form = AuditLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events(**filters)
    if request.GET.get("format") == "csv" and form.is_valid():
        # who took a copy of the log, and of what, is itself on the log
        audit_record(
            "audit_log.export",
            actor=request.user,
            extra={k: str(v) for k, v in filters.items() if v},
        )
        return _audit_csv(events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    chain = audit_verify() if request.GET.get("verify") else None
    query = request.GET.copy()
    for key in ("page", "verify", "format"):
        query.pop(key, None)
    return render(
        request,
        "department/audit_log.html",
        {"form": form, "page": page, "chain": chain, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )


def _audit_csv(events):

    rows = (
        [
            timezone.localtime(e.occurred_at).strftime("%d/%m/%Y %H:%M:%S"),
            e.actor_label,
            e.rto.code if e.rto else "",
            e.action,
            action_label(e.action),
            e.object_type,
            e.object_id,
            json.dumps(e.summary, sort_keys=True, default=str),
            e.request_id,
        ]
        for e in events[:AUDIT_CSV_MAX].iterator(chunk_size=2000)
    )
    response = HttpResponse(csv_bytes(AUDIT_CSV_COLUMNS, rows), content_type="text/csv")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
