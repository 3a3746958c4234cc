"""Invitation acceptance (public, token-guarded)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render

from core.errors import ApplicationError

from .forms import InvitationAcceptForm
from .models import User
from .services import invitation_accept, invitation_get_by_token


def invitation_accept_view(request, token: str):
    invitation = invitation_get_by_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email=invitation.email).exists()
    if existing:
        if not request.user.is_authenticated:
            messages.info(request, "Sign in with the invited e-mail address to accept.")
            return redirect(f"/accounts/login/?next={request.path}")
        if request.method == "POST":
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return render(
                    request,
                    "accounts/invitation_accept.html",
                    {"invitation": invitation, "existing": True},
                    status=400,
                )
            messages.success(request, "Invitation accepted.")
            return redirect("home_workspace")
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "existing": True}
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                user=None,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome. Set up two-factor authentication to continue.")
            return redirect("mfa_activate_totp")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "existing": False},
        status=400 if form.errors else 200,
    )
