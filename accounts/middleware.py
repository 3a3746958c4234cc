"""MFA is required for RTO staff and department officers (issue 2; R4)."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

# Paths a person without an authenticator may still reach: signing in/out, setting up
# MFA itself, static files, the public pages and the learner portal, and the health,
# readiness and metrics endpoints (core.health).
_ALLOWED_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/accounts/",
    "/static/",
    "/verify/",
    "/api/",
    "/credentials/",
    "/.well-known/",
    "/learner/",
    "/invite/",
    "/share/",
)


class MfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            request.path_info != "/"
            and not request.path_info.startswith(_ALLOWED_PREFIXES)
            and user.is_authenticated  # after the paths: a probe never loads a session
            and _needs_mfa(user)
            and not is_mfa_enabled(user)
        ):
            messages.info(
                request,
                "Staff accounts need two-factor authentication. Set up an authenticator app "
                "to continue.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _needs_mfa(user) -> bool:
    if user.is_department or user.is_staff:
        return True
    cache = getattr(user, "_cqr_is_rto_staff", None)
    if cache is None:
        cache = user.memberships.filter(is_active=True).exists()
        user._cqr_is_rto_staff = cache
    return cache
