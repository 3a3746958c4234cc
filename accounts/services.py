"""Invitations and department officers: every change audited in its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import ApplicationError

from .models import AccessApplication, DepartmentRole, Invitation, OfficerGrant, User
from .notifications import notify_on_commit
from .roles import Role

if TYPE_CHECKING:  # annotations only: accounts does not import rtos
    from rtos.models import Rto


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
        if rto.memberships.filter(user__email=email, is_active=True).exists():
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
    if rto is not None:  # the RTO's other administrators hear of it (their preference)
        notify_on_commit("staff_invited", invitation.pk)
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

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif user.email.lower() != invitation.email:
        raise ApplicationError("This invitation was sent to a different e-mail address.")
    if invitation.rto:
        invitation.rto.memberships.update_or_create(
            user=user,
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


# ---------------------------------------------------------------- access applications

#: Public access applications: at most this many attempts per client address per window
#: (seconds). Failed attempts count too, so the form cannot be used to probe the registry.
ACCESS_APPLY_LIMIT = 5
ACCESS_APPLY_WINDOW = 3600


def access_apply_rate_limited(client_key: str) -> bool:
    """Count one attempt for ``client_key`` (the client address) in a fixed window and
    say whether it is over :data:`ACCESS_APPLY_LIMIT`. Uses the cache's atomic
    ``add``/``incr``, so concurrent requests cannot both slip under the limit."""

    slot = int(timezone.now().timestamp() // ACCESS_APPLY_WINDOW)
    key = f"rl:access-apply:{client_key}:{slot}"
    cache.add(key, 0, timeout=ACCESS_APPLY_WINDOW + 5)
    return cache.incr(key) > ACCESS_APPLY_LIMIT


def _access_status_url(token: str) -> str:
    return settings.CQR_SITE_URL.rstrip("/") + reverse("access:status", args=[token])


def _mail_after_commit(subject: str, template: str, context: dict, to: list[str]) -> None:
    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_mail(subject, body, None, to))


@transaction.atomic
def access_application_submit(
    *,
    rto_code: str,
    legal_name: str,
    abn: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    admin_name: str,
    admin_email: str,
) -> AccessApplication:
    """Receive a public access application, checked against the RTO registry.

    Rules (issue 14): the RTO code is on the registry; the ABN is the registry's ABN for
    that code; the RTO has not ceased; no other application for it is waiting. Nothing
    else is created: no account, no membership. The acknowledgement e-mail carries the
    status link (its token is returned on ``application.token`` and never stored).
    """
    code = rto_code.strip().upper()
    abn = abn.replace(" ", "")
    # The registry is reached through the application's own foreign key: accounts sits
    # below rtos and does not import it.
    registry = AccessApplication._meta.get_field("rto").related_model
    rto = registry.objects.select_for_update().filter(code__iexact=code).first()
    if rto is None:
        raise ApplicationError(
            f"RTO code {code} is not on the national register the portal holds. Check the "
            "code on training.gov.au."
        )
    if rto.abn != abn:
        raise ApplicationError(f"The ABN does not match the ABN registered for RTO {rto.code}.")
    if rto.is_ceased:
        raise ApplicationError(
            f"RTO {rto.code} ceased on {rto.ceased_on:%d/%m/%Y}; it cannot apply for access."
        )
    if AccessApplication.objects.filter(rto=rto, status=AccessApplication.Status.PENDING).exists():
        raise ApplicationError(
            f"An application for RTO {rto.code} is already waiting for the department. "
            "Follow it from the link in its acknowledgement e-mail."
        )
    token, token_hash = Invitation.new_token()
    application = AccessApplication.objects.create(
        rto=rto,
        rto_code=rto.code,
        legal_name=legal_name.strip(),
        abn=abn,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip().lower(),
        contact_phone=contact_phone.strip(),
        admin_name=admin_name.strip(),
        admin_email=admin_email.strip().lower(),
        status_token_hash=token_hash,
    )
    audit_record(
        "access_application.submitted",
        actor=application.contact_email,
        rto=rto,
        obj=application,
        after={"contact": application.contact_email, "administrator": application.admin_email},
    )
    _mail_after_commit(
        f"CQR Portal access application received (RTO {rto.code})",
        "accounts/email/access_received.txt",
        {"application": application, "url": _access_status_url(token)},
        sorted({application.contact_email, application.admin_email}),
    )
    application.token = token
    return application


def access_application_by_token(token: str) -> AccessApplication | None:
    return (
        AccessApplication.objects.select_related("rto")
        .filter(status_token_hash=Invitation.hash_token(token))
        .first()
    )


def _lock_pending(application: AccessApplication) -> AccessApplication:
    application = AccessApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != AccessApplication.Status.PENDING:
        raise ApplicationError(
            f"This application was already decided ({application.get_status_display()})."
        )
    return application


def _record_decision(
    application: AccessApplication, *, actor: User, status: str, subject: str, **fields
) -> None:
    """Store a decision (who, when, what), audit it and e-mail the contact after commit."""
    application.status = status
    application.decided_at = timezone.now()
    application.decided_by = actor
    for name, value in fields.items():
        setattr(application, name, value)
    application.save(update_fields=["status", "decided_at", "decided_by", *fields])
    audit_record(
        f"access_application.{status}",
        actor=actor,
        rto=application.rto,
        obj=application,
        after={
            "status": status,
            "administrator": application.admin_email,
            **{name: getattr(value, "public_id", value) for name, value in fields.items()},
        },
    )
    _mail_after_commit(
        f"{subject} (RTO {application.rto_code})",
        "accounts/email/access_decided.txt",
        {"application": application},
        [application.contact_email],
    )


@transaction.atomic
def access_application_approve(*, actor: User, application: AccessApplication) -> Invitation:
    """Approve: invite the named administrator to the RTO as its administrator (the
    invitation flow sets the password, then MFA). The RTO is checked again: one that
    ceased while the application waited cannot be approved."""
    application = _lock_pending(application)
    if application.rto.is_ceased:
        raise ApplicationError(f"RTO {application.rto_code} has ceased since it applied.")
    invitation = invitation_create(
        actor=actor, email=application.admin_email, rto=application.rto, rto_role=Role.ADMIN
    )
    _record_decision(
        application,
        actor=actor,
        status=AccessApplication.Status.APPROVED,
        subject="CQR Portal access approved",
        invitation=invitation,
    )
    return invitation


@transaction.atomic
def access_application_reject(
    *, actor: User, application: AccessApplication, reason: str
) -> AccessApplication:
    """Reject with a reason (required); the reason is e-mailed to the contact."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Give the reason, for the applicant.")
    application = _lock_pending(application)
    _record_decision(
        application,
        actor=actor,
        status=AccessApplication.Status.REJECTED,
        subject="CQR Portal access application not approved",
        reason=reason,
    )
    return application
