"""The tenant scope for /rto/<code>/: who may act in which RTO, resolved once per request."""

from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django_scopes import scope

from core.request_context import rto_code_var

from .access import rto_access_for

_TENANT_PATH = re.compile(r"^/rto/(?P<rto_code>[A-Za-z0-9]{1,10})/")


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
            return redirect_to_login(request.get_full_path())
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
