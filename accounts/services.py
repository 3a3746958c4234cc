"""Invitations and department officers: every change audited in its transaction."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import ApplicationError
from rtos.models import Role, Rto, RtoMembership

from .models import DepartmentRole, Invitation, OfficerGrant, User


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    url = settings.CQR_SITE_URL.rstrip("/") + reverse("invitation_accept", args=[token])
    where = invitation.rto.display_name if invitation.rto else "the department workspace"
    body = render_to_string(
        "accounts/email/invitation.txt",
        {"invitation": invitation, "url": url, "where": where},
    )
    # Sent after commit: no e-mail for an invitation that was rolled back.
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to the CQR Portal ({where})", body, None, [invitation.email]
        )
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    email: str,
    rto: Rto | None = None,
    rto_role: str = "",
    department_role: str = "",
) -> Invitation:
    """Invite someone to an RTO (``rto`` + ``rto_role``) or to the department."""
    email = email.strip().lower()
    if rto is not None:
        if rto_role not in Role.values:
            raise ApplicationError("Choose a role for the new staff member.")
        if RtoMembership.objects.filter(rto=rto, user__email=email, is_active=True).exists():
            raise ApplicationError(f"{email} already works for this RTO.")
    elif department_role not in (r for r in DepartmentRole.values if r):
        raise ApplicationError("Choose a department role.")
    # A new invitation to the same place replaces any pending one.
    Invitation.objects.filter(
        email=email, rto=rto, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        rto=rto,
        rto_role=rto_role if rto else "",
        department_role="" if rto else department_role,
        token_hash=token_hash,
        invited_by=actor,
        expires_at=timezone.now() + Invitation.TTL,
    )
    audit_record(
        "invitation.created",
        actor=actor,
        rto=rto,
        obj=invitation,
        after={"email": email, "role": rto_role or department_role},
    )
    _send_invitation_email(invitation, token)
    invitation.token = token  # available to the caller (tests, CLI), never stored
    return invitation


def invitation_get_by_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("rto")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None, password: str = "", full_name: str = ""
) -> User:
    """Accept: create the account if needed (the e-mail is proven by the link)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise ApplicationError("This invitation is no longer valid. Ask for a new one.")
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise ApplicationError("An account with this e-mail exists: sign in to accept.")
        user = User.objects.create_user(invitation.email, password, full_name=full_name)
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif user.email.lower() != invitation.email:
        raise ApplicationError("This invitation was sent to a different e-mail address.")
    if invitation.rto:
        RtoMembership.objects.update_or_create(
            user=user,
            rto=invitation.rto,
            defaults={"role": invitation.rto_role, "is_active": True, "deactivated_at": None},
        )
    else:
        user.department_role = invitation.department_role
        user.save(update_fields=["department_role"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record("invitation.accepted", actor=user, rto=invitation.rto, obj=invitation)
    return user


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record("invitation.revoked", actor=actor, rto=invitation.rto, obj=invitation)


@transaction.atomic
def membership_change_role(*, actor: User, membership: RtoMembership, role: str) -> None:
    if role not in Role.values:
        raise ApplicationError("Unknown role.")
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        "membership.role_changed",
        actor=actor,
        rto=membership.rto,
        obj=membership,
        before={"role": before},
        after={"role": role, "user": membership.user.email},
    )


@transaction.atomic
def membership_deactivate(*, actor: User, membership: RtoMembership) -> None:
    if membership.user_id == actor.pk:
        raise ApplicationError("You cannot deactivate yourself.")
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        "membership.deactivated",
        actor=actor,
        rto=membership.rto,
        obj=membership,
        after={"user": membership.user.email},
    )


def _ensure_another_admin(membership: RtoMembership) -> None:
    others = RtoMembership.objects.filter(
        rto=membership.rto, role=Role.ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ApplicationError("An RTO needs at least one active administrator.")


@transaction.atomic
def officer_grant_create(
    *, actor: User, officer: User, rtos: list[Rto], all_rtos: bool, can_act: bool, reason: str
) -> OfficerGrant:
    if not actor.is_department_admin:
        raise ApplicationError("Only a department admin can grant access.")
    if not officer.is_department:
        raise ApplicationError("Grants are for department officers only.")
    if not all_rtos and not rtos:
        raise ApplicationError("Choose the RTOs, or all RTOs.")
    grant = OfficerGrant.objects.create(
        user=officer, all_rtos=all_rtos, can_act=can_act, reason=reason, granted_by=actor
    )
    grant.rtos.set(rtos)
    audit_record(
        "officer_grant.created",
        actor=actor,
        obj=grant,
        after={
            "officer": officer.email,
            "all_rtos": all_rtos,
            "can_act": can_act,
            "rtos": [r.code for r in rtos],
            "reason": reason,
        },
    )
    return grant


@transaction.atomic
def officer_grant_revoke(*, actor: User, grant: OfficerGrant) -> None:
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit_record(
        "officer_grant.revoked", actor=actor, obj=grant, after={"officer": grant.user.email}
    )
