"""Reads for RTO workspaces and the registry. Callers pass the RTO explicitly."""

import datetime as dt

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Invitation
from core.models import AuditEvent

from .models import Rto, RtoMembership


def membership_list(*, rto: Rto):
    return (
        RtoMembership.objects.filter(rto=rto)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )


def membership_get_for_rto(*, rto: Rto, public_id: str) -> RtoMembership:
    membership = membership_list(rto=rto).filter(public_id=public_id).first()
    if membership is None:
        raise Http404
    return membership


def invitation_list(*, rto: Rto):
    return Invitation.objects.filter(rto=rto, accepted_at__isnull=True).select_related("invited_by")


def invitation_get_for_rto(*, rto: Rto, public_id: str) -> Invitation:
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


def audit_events(*, action="", actor="", rto="", date_from=None, date_to=None):
    """Audit events for the department's log, newest first. Dates are Brisbane calendar
    days (the interface's time zone), ``date_to`` inclusive; compared as a range of
    ``occurred_at`` so the indexes on it serve the query."""

    events = AuditEvent.objects.select_related("actor", "rto")
    if action:
        events = events.filter(action__startswith=action.strip())
    if actor:
        events = events.filter(actor_label__icontains=actor.strip())
    if rto:
        events = events.filter(rto__code=rto.strip())
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time(), tz))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tz)
        events = events.filter(occurred_at__lt=end)
    return events
