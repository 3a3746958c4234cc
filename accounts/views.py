"""Invitation acceptance (public, token-guarded)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core.errors import ApplicationError

from .forms import InvitationAcceptForm, NotificationPreferenceForm
from .models import NotificationPreference, User
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


@login_required
def notification_preferences(request):
    """The signed-in user's e-mail choices (accounts.notifications), beside Security."""
    pref = NotificationPreference.objects.filter(user=request.user).first()
    form = NotificationPreferenceForm(
        request.POST or None, instance=pref or NotificationPreference(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your e-mail preferences are saved.")
        return redirect("notification_preferences")
    return render(request, "accounts/notification_preferences.html", {"form": form})
