"""E-mails to an RTO's administrators: a new staff member was invited."""

from __future__ import annotations

from accounts.models import Invitation
from accounts.notifications import Mail, absolute_url, builder

from .models import Role, RtoMembership


@builder("staff_invited")
def staff_invited_mails(event: str, invitation_id: int) -> list[Mail]:

    invitation = (
        Invitation.objects.select_related("rto", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.rto is None:
        return []
    admins = RtoMembership.objects.select_related("user").filter(
        rto=invitation.rto, role=Role.ADMIN, is_active=True
    )
    return [
        Mail.to_user(
            m.user,
            f"staff_invited:{invitation.pk}",
            subject=f"New staff member invited to {invitation.rto.display_name}",
            template="accounts/email/notify_staff_invited.txt",
            context={
                "invitation": invitation,
                "staff_url": absolute_url("rto:staff_list", invitation.rto.code),
            },
        )
        for m in admins
        if m.user_id != invitation.invited_by_id  # who invited knows already
    ]
