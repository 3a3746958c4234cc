"""RTO registry: register, update, cease (department officers)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounts.services import invitation_create
from core.audit import audit_record
from core.errors import ApplicationError

from .models import Role, Rto


@transaction.atomic
def rto_register(
    *,
    actor,
    code: str,
    legal_name: str,
    trading_name: str,
    abn: str,
    state: str,
    contact_email: str,
    first_admin_email: str = "",
) -> Rto:
    """Register an RTO and (optionally) invite its first administrator."""
    if Rto.objects.filter(code__iexact=code).exists():
        raise ApplicationError(f"RTO {code} is already registered.")
    rto = Rto(
        code=code,
        legal_name=legal_name,
        trading_name=trading_name,
        abn=abn,
        state=state,
        contact_email=contact_email,
    )
    rto.full_clean()
    rto.save()
    audit_record(
        "rto.registered",
        actor=actor,
        rto=rto,
        obj=rto,
        after={"code": code, "legal_name": legal_name},
    )
    if first_admin_email:
        invitation_create(actor=actor, email=first_admin_email, rto=rto, rto_role=Role.ADMIN)
    return rto


@transaction.atomic
def rto_cease(*, actor, rto: Rto, ceased_on: date, reason: str) -> Rto:
    """Mark an RTO ceased. Its records stay visible to learners and verifiers; its staff
    keep read access only (rtos.access)."""
    if rto.is_ceased:
        raise ApplicationError("This RTO is already marked ceased.")
    if not reason.strip():
        raise ApplicationError("Give the reason the RTO ceased.")
    rto = Rto.objects.select_for_update().get(pk=rto.pk)
    rto.status = Rto.Status.CEASED
    rto.ceased_on = ceased_on
    rto.save(update_fields=["status", "ceased_on"])
    audit_record(
        "rto.ceased",
        actor=actor,
        rto=rto,
        obj=rto,
        before={"status": "active"},
        after={"status": "ceased", "ceased_on": ceased_on.isoformat(), "reason": reason},
    )
    return rto


#: The fields an RTO admin may change on their own RTO (rtos.forms.RtoSettingsForm).
RTO_SETTINGS_FIELDS = (
    "trading_name",
    "contact_email",
    "certificate_signatory",
    "certificate_signatory_title",
)


@transaction.atomic
def rto_update_settings(*, actor, rto: Rto, data: dict) -> Rto:
    """An RTO admin updates their RTO's own details; audited with before and after.

    A ceased RTO's details are frozen with its records (its staff keep read access only).
    Documents issued earlier keep the signatory they were issued with (they are rendered
    once and stored); new documents use the new one.
    """
    rto = Rto.objects.select_for_update().get(pk=rto.pk)
    if rto.is_ceased:
        raise ApplicationError(f"{rto.code} has ceased; its details can no longer change.")
    before = {f: getattr(rto, f) for f in RTO_SETTINGS_FIELDS}
    after = {f: (data.get(f) or "").strip() for f in RTO_SETTINGS_FIELDS}
    changed = [f for f in RTO_SETTINGS_FIELDS if before[f] != after[f]]
    if not changed:
        return rto
    for f in changed:
        setattr(rto, f, after[f])
    rto.full_clean()
    rto.save(update_fields=changed)
    audit_record(
        "rto.settings_changed",
        actor=actor,
        rto=rto,
        obj=rto,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return rto
