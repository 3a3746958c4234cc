"""View guards. Tenant views run inside TenantScopeMiddleware, which already answered 404
for anyone without access; these add the per-action permission (403)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def rto_perm_required(perm: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            access = getattr(request, "rto_access", None)
            if access is None:  # not reached through /rto/<code>/: never guess a tenant
                raise Http404
            if not access.has(perm):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def department_required(*, admin: bool = False, approver: bool = False):
    """Department pages: department staff only; others get 404 (no existence leak)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_department:
                raise Http404
            if admin and not user.is_department_admin:
                raise PermissionDenied("Department admins only.")
            if approver and not user.can_approve:
                raise PermissionDenied("Department approvers only.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
