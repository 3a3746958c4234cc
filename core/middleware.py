"""Request-wide middleware: request ids and CSP (the tenant scope is ``rtos.middleware``)."""

from __future__ import annotations

import re
import secrets

from .request_context import request_id_var

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
