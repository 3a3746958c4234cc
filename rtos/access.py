"""Who may enter which RTO workspace, with which permissions (tenancy's one door).

``rto_access_for`` is the only function that turns a user + RTO code into access; the
tenant middleware, views and tests all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from accounts.models import OfficerGrant
from core.audit import audit_record

from .models import GRANT_ACT_PERMS, GRANT_READ_PERMS, Perm, Rto, RtoMembership


@dataclass
class RtoAccess:
    rto: Rto
    perms: frozenset[str]
    membership: RtoMembership | None = None
    via_grant: bool = False
    grant_ids: list[int] = field(default_factory=list)

    def has(self, perm: str) -> bool:
        return perm in self.perms

    @property
    def role_label(self) -> str:
        if self.membership:
            return self.membership.get_role_display()
        return (
            "Department officer (acting)"
            if Perm.EDIT_RECORDS in self.perms
            else "Department officer (read only)"
        )

    def record(self, request) -> None:
        """Every cross-tenant request by an officer is audited: who, where, what."""
        audit_record(
            "officer.rto_access",
            actor=request.user,
            rto=self.rto,
            extra={"method": request.method, "path": request.path[:200], "grants": self.grant_ids},
        )


def _current_grants(user):

    now = timezone.now()
    return OfficerGrant.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def rto_access_for(user, rto_code: str) -> RtoAccess | None:
    """Access of ``user`` to the RTO with ``rto_code``, or None (caller answers 404).

    Members get their role's permissions; on a ceased RTO only ``view`` remains (its
    records stay readable, never changeable). Department officers need a current grant
    naming the RTO (or all RTOs).
    """
    if not user.is_authenticated or not user.is_active:
        return None
    rto = Rto.objects.filter(code__iexact=rto_code).first()
    if rto is None:
        return None
    membership = (
        RtoMembership.objects.filter(user=user, rto=rto, is_active=True)
        .select_related("rto")
        .first()
    )
    if membership is not None:
        perms = membership.perms
        if rto.is_ceased:
            perms = frozenset({Perm.VIEW})
        return RtoAccess(rto=rto, perms=perms, membership=membership)
    if user.is_department:
        grants = [
            g
            for g in _current_grants(user).prefetch_related("rtos")
            if g.all_rtos or any(r.pk == rto.pk for r in g.rtos.all())
        ]
        if grants:
            perms = GRANT_ACT_PERMS if any(g.can_act for g in grants) else GRANT_READ_PERMS
            if rto.is_ceased:
                perms = GRANT_READ_PERMS
            return RtoAccess(rto=rto, perms=perms, via_grant=True, grant_ids=[g.pk for g in grants])
    return None


def memberships_for(user):
    return RtoMembership.objects.filter(user=user, is_active=True).select_related("rto")


def workspaces_for(user) -> dict:
    """Navigation: the RTOs a user belongs to and whether they have the department side."""
    return {
        "rtos": [m.rto for m in memberships_for(user)],
        "department": user.is_department,
    }
