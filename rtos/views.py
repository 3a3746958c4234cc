"""RTO workspace shell: switcher, dashboard, staff management and settings (RTO admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import RoleChangeForm, StaffInviteForm
from accounts.services import invitation_create, invitation_revoke
from core.decorators import rto_perm_required
from core.errors import ApplicationError

from .access import memberships_for
from .forms import RtoSettingsForm
from .models import Perm
from .selectors import (
    invitation_get_for_rto,
    invitation_list,
    membership_get_for_rto,
    membership_list,
)
from .services import (
    RTO_SETTINGS_FIELDS,
    membership_change_role,
    membership_deactivate,
    rto_logo_data_uri,
    rto_update_settings,
)


@login_required
def home_workspace(request):
    """After sign-in: straight to the only workspace, or a choice of several."""
    memberships = list(memberships_for(request.user))
    if len(memberships) == 1 and not request.user.is_department:
        return redirect("rto:dashboard", rto_code=memberships[0].rto.code)
    if not memberships and request.user.is_department:
        return redirect("department:overview")
    return render(request, "rtos/switch.html", {"memberships": memberships})


@rto_perm_required(Perm.VIEW)
def staff_list(request, rto_code):
    can_manage = request.rto_access.has(Perm.MANAGE_STAFF)
    return render(
        request,
        "rtos/staff_list.html",
        {
            "members": membership_list(rto=request.rto),
            "invitations": invitation_list(rto=request.rto) if can_manage else [],
            "can_manage": can_manage,
            "form": StaffInviteForm(),
        },
    )


@rto_perm_required(Perm.MANAGE_STAFF)
def staff_invite(request, rto_code):
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                rto=request.rto,
                rto_role=form.cleaned_data["role"],
            )
        except ApplicationError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("rto:staff_list", rto_code=request.rto.code)
    return render(
        request, "rtos/staff_invite.html", {"form": form}, status=400 if form.errors else 200
    )


@rto_perm_required(Perm.MANAGE_STAFF)
def staff_member(request, rto_code, public_id):
    membership = membership_get_for_rto(rto=request.rto, public_id=public_id)
    form = RoleChangeForm(request.POST or None, initial={"role": membership.role})
    if request.method == "POST":
        try:
            if request.POST.get("action") == "deactivate":
                membership_deactivate(actor=request.user, membership=membership)
                messages.success(
                    request, f"{membership.user.email} can no longer sign in to this RTO."
                )
            elif form.is_valid():
                membership_change_role(
                    actor=request.user, membership=membership, role=form.cleaned_data["role"]
                )
                messages.success(request, "Role changed.")
            else:
                raise ApplicationError("Choose a valid role.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "rtos/staff_member.html",
                {"membership": membership, "form": form},
                status=400,
            )
        return redirect("rto:staff_list", rto_code=request.rto.code)
    return render(request, "rtos/staff_member.html", {"membership": membership, "form": form})


@require_POST
@rto_perm_required(Perm.MANAGE_STAFF)
def invitation_revoke_view(request, rto_code, public_id):
    invitation = invitation_get_for_rto(rto=request.rto, public_id=public_id)
    invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("rto:staff_list", rto_code=request.rto.code)


@rto_perm_required(Perm.MANAGE_SETTINGS)
def rto_settings(request, rto_code):
    """RTO details the RTO's admins keep (screens.md RTO workspace › Settings)."""
    rto = request.rto
    initial = {f: getattr(rto, f) for f in RTO_SETTINGS_FIELDS}
    form = RtoSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rto_update_settings(actor=request.user, rto=rto, data=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect("rto:settings", rto_code=rto.code)
    return render(
        request,
        "rtos/settings.html",
        {"form": form, "logo": rto_logo_data_uri(rto)},
        status=400 if form.errors else 200,
    )
