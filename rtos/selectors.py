"""Reads for RTO workspaces and the registry. Callers pass the RTO explicitly."""

from django.db.models import Count, Q
from django.http import Http404

from accounts.models import Invitation

from .models import Rto, RtoMembership


def membership_list(*, rto: Rto):
    return (
        RtoMembership.objects.filter(rto=rto)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )


def membership_get_for_actor(*, rto: Rto, public_id: str) -> RtoMembership:
    membership = membership_list(rto=rto).filter(public_id=public_id).first()
    if membership is None:
        raise Http404
    return membership


def invitation_list(*, rto: Rto):
    return Invitation.objects.filter(rto=rto, accepted_at__isnull=True).select_related("invited_by")


def invitation_get_for_actor(*, rto: Rto, public_id: str) -> Invitation:
    invitation = Invitation.objects.filter(rto=rto, public_id=public_id).first()
    if invitation is None:
        raise Http404
    return invitation


def rto_list(*, q: str = "", status: str = ""):
    qs = Rto.objects.annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True))
    )
    if q:
        qs = qs.filter(
            Q(code__icontains=q) | Q(legal_name__icontains=q) | Q(trading_name__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("code")


def rto_get(*, code: str) -> Rto:
    rto = Rto.objects.filter(code__iexact=code).first()
    if rto is None:
        raise Http404
    return rto
