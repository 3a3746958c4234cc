"""Request-wide middleware: request ids, CSP, and the tenant scope for /rto/<code>/."""

from __future__ import annotations

import re
import secrets

from django.http import Http404
from django.shortcuts import redirect
from django_scopes import scope

from .request_context import request_id_var, rto_code_var

_TENANT_PATH = re.compile(r"^/rto/(?P<rto_code>[A-Za-z0-9]{1,10})/")
# An incoming X-Request-ID is kept only when it is a plain token (a proxy's UUID or hex id):
# anything else (spaces, quotes, control characters, over 64 characters) could forge log
# lines or headers, so a fresh id is generated instead.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Give every request an id (or keep the proxy's when it is a safe token), for logs,
    audit rows and the tasks it queues; echoed in the ``X-Request-ID`` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
        request.request_id = rid
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class ContentSecurityPolicyMiddleware:
    """A strict CSP: scripts and styles only from our own origin, no inline script.

    Every script lives in static/ (htmx is vendored), so ``'unsafe-inline'`` is never
    needed (performance-and-security.md R5).
    """

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class TenantScopeMiddleware:
    """Resolve ``/rto/<rto_code>/…``, check access, and run the view inside its scope.

    "Exists but not yours" and "does not exist" give the same 404 (architecture.md §3).
    Members act through their role's permissions; department officers only through an
    explicit grant, and each such request is audited (rtos.access.rto_access_for).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _TENANT_PATH.match(request.path_info)
        if not match:
            return self.get_response(request)
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        from rtos.access import rto_access_for

        access = rto_access_for(request.user, match["rto_code"])
        if access is None:
            raise Http404("No such RTO")
        if match["rto_code"] != access.rto.code:  # canonical case in URLs
            return redirect(request.get_full_path().replace(match["rto_code"], access.rto.code, 1))
        request.rto = access.rto
        request.rto_access = access
        if access.via_grant:
            access.record(request)
        token = rto_code_var.set(access.rto.code)  # for the log lines of this request
        try:
            with scope(rto=access.rto.pk):
                return self.get_response(request)
        finally:
            rto_code_var.reset(token)
