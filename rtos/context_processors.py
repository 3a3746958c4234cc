"""Template context for navigation: the current RTO and the user's workspaces."""

from .access import workspaces_for


def workspace(request):
    """Navigation context: the current RTO (if any) and the user's workspaces."""
    user = getattr(request, "user", None)
    ctx = {
        "current_rto": getattr(request, "rto", None),
        "rto_access": getattr(request, "rto_access", None),
    }
    if user is not None and user.is_authenticated:
        ctx["workspaces"] = workspaces_for(user)
    return ctx
