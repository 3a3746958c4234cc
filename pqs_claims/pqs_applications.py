"""PQS applications and variations (issue 14).

Rules: only qualifications on the RTO's scope of registration today (reference kind
``rto-scope``) can be nominated; the nominated account's BSB must be in the BSB directory;
an RTO holding a current approval for a program varies it instead of applying again; a
department approver decides — approved (the nominated qualifications), partly approved
(a subset, with the reason) or rejected (with the reason). Approval creates the
``PqsApproval`` payments already use, with the supplier number, period and delivery
schedule; a variation changes the approval's schedule and keeps its before/after on the
application (the history). Every step is audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError

from .bank_accounts import account_known_or_refuse
from .models import Bsb, FundingProgram, PqsApplication, PqsApproval, RtoScope


def scope_codes(rto, *, on: dt.date | None = None) -> list[str]:
    """The qualification codes on ``rto``'s scope of registration on ``on`` (today)."""
    on = on or timezone.localdate()
    return sorted(
        set(
            RtoScope.objects.filter(rto_code=rto.code, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .values_list("qualification_code", flat=True)
        )
    )


def _check_scope(rto, codes: list[str]) -> list[str]:
    codes = sorted({c.strip().upper() for c in codes if c.strip()})
    off = sorted(set(codes) - set(scope_codes(rto)))
    if off:
        raise ApplicationError(
            f"Not on {rto.code}'s scope of registration today: {', '.join(off)}."
        )
    return codes


def _pending_exists(rto, program) -> None:
    if PqsApplication.objects.filter(rto=rto, program=program, status="pending").exists():
        raise ApplicationError(f"An application for {program.code} is already waiting.")


def pqs_apply(
    *,
    actor,
    rto,
    program: FundingProgram,
    codes: list[str],
    bsb: str,
    account_number: str,
    account_name: str,
) -> PqsApplication:
    """An RTO administrator applies for PQS status under ``program``."""
    codes = _check_scope(rto, codes)
    if not codes:
        raise ApplicationError("Nominate at least one qualification.")
    if not Bsb.objects.filter(bsb=bsb).exists():
        raise ApplicationError(f"BSB {bsb} is not in the BSB directory. Check it with your bank.")
    today = timezone.localdate()
    with transaction.atomic(), scopes_disabled():
        current = PqsApproval.objects.filter(rto=rto, program=program, valid_from__lte=today)
        if current.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)).exists():
            raise ApplicationError(
                f"{rto.code} already holds a current {program.code} approval: apply for a "
                "variation to add or remove qualifications."
            )
        _pending_exists(rto, program)
        account_known_or_refuse(rto, bsb, account_number)
        application = PqsApplication.objects.create(
            rto=rto,
            program=program,
            nominated_codes=codes,
            bsb=bsb,
            account_number=account_number,
            account_name=account_name.strip()[:32],
            requested_by=actor,
        )
        audit_record(
            "pqs_application.submitted",
            actor=actor,
            rto=rto,
            obj=application,
            after={"program": program.code, "codes": codes},
        )
    return application


def pqs_variation_apply(
    *, actor, approval: PqsApproval, add: list[str], remove: list[str]
) -> PqsApplication:
    """Ask to add qualifications (on scope) to, or remove some from, an approval."""
    add = _check_scope(approval.rto, add)
    remove = sorted({c.strip().upper() for c in remove if c.strip()})
    not_held = sorted(set(remove) - set(approval.qualification_codes))
    if not_held:
        raise ApplicationError(f"Not on the delivery schedule: {', '.join(not_held)}.")
    add = [c for c in add if c not in approval.qualification_codes]
    if not add and not remove:
        raise ApplicationError("Name qualifications to add or to remove.")
    with transaction.atomic(), scopes_disabled():
        _pending_exists(approval.rto, approval.program)
        application = PqsApplication.objects.create(
            rto=approval.rto,
            program=approval.program,
            approval=approval,
            is_variation=True,
            nominated_codes=add,
            remove_codes=remove,
            requested_by=actor,
        )
        audit_record(
            "pqs_application.variation_submitted",
            actor=actor,
            rto=approval.rto,
            obj=application,
            after={"add": add, "remove": remove, "supplier": approval.supplier_number},
        )
    return application


def pqs_application_decide(
    *,
    actor,
    application: PqsApplication,
    approve: bool,
    approved_codes: list[str] = (),
    supplier_number: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    reason: str = "",
) -> PqsApplication:
    """A department approver decides. Approving fewer qualifications than nominated is a
    partial approval and needs the reason, as a rejection does."""
    if not getattr(actor, "can_approve", False):
        raise ApplicationError("Only a department approver decides PQS applications.")
    reason = reason.strip()
    with transaction.atomic(), scopes_disabled():
        app = (
            PqsApplication.objects.select_for_update().select_related("rto").get(pk=application.pk)
        )
        if app.status != PqsApplication.Status.PENDING:
            raise ApplicationError(f"Already decided ({app.get_status_display().lower()}).")
        if not approve:
            if not reason:
                raise ApplicationError("Give the reason for the rejection.")
            app.status = PqsApplication.Status.REJECTED
        else:
            codes = sorted({c.upper() for c in approved_codes})
            extra = sorted(set(codes) - set(app.nominated_codes))
            if extra:
                raise ApplicationError(f"Not nominated: {', '.join(extra)}.")
            if not codes and not app.is_variation:
                raise ApplicationError("Approve at least one qualification, or reject.")
            partly = codes != sorted(app.nominated_codes)
            if partly and not reason:
                raise ApplicationError("Say why the qualifications left out are not approved.")
            app.approved_codes = codes
            app.status = PqsApplication.Status.PARTLY if partly else PqsApplication.Status.APPROVED
            app.approval = (
                _vary(app, codes) if app.is_variation else
                _create_approval(app, codes, supplier_number, valid_from, valid_to)
            )  # fmt: skip
        app.reason = reason
        app.decided_by = actor
        app.decided_at = timezone.now()
        app.save()
        audit_record(
            f"pqs_application.{app.status}",
            actor=actor,
            rto=app.rto,
            obj=app,
            after={"codes": app.approved_codes, "reason": reason, "schedule": app.schedule_after},
        )
    return app


def _create_approval(app, codes, supplier_number, valid_from, valid_to) -> PqsApproval:
    supplier_number = supplier_number.strip()
    if not supplier_number or valid_from is None:
        raise ApplicationError("An approval needs the supplier number and the start date.")
    if valid_to is not None and valid_to < valid_from:
        raise ApplicationError("The period ends before it starts.")
    account_known_or_refuse(app.rto, app.bsb, app.account_number)  # as at the decision
    approval = PqsApproval(
        rto=app.rto,
        program=app.program,
        supplier_number=supplier_number,
        valid_from=valid_from,
        valid_to=valid_to,
        qualification_codes=codes,
        bsb=app.bsb,
        account_number=app.account_number,
        account_name=app.account_name,
    )
    approval.full_clean()
    approval.save()
    app.schedule_after = codes
    return approval


def _vary(app, add: list[str]) -> PqsApproval:
    approval = PqsApproval.objects.select_for_update().get(pk=app.approval_id)
    app.schedule_before = list(approval.qualification_codes)
    after = sorted((set(approval.qualification_codes) | set(add)) - set(app.remove_codes))
    approval.qualification_codes = after
    approval.save(update_fields=["qualification_codes", "updated_at"])
    app.schedule_after = after
    return approval


def letter_context(approval: PqsApproval) -> dict:
    """The letter of authority: supplier number, period and delivery schedule, with the
    decisions that shaped it."""
    with scopes_disabled():
        history = list(
            approval.applications.exclude(status="pending")
            .select_related("decided_by")
            .order_by("decided_at")
        )
    return {"approval": approval, "rto": approval.rto, "history": history,
            "generated": timezone.localtime()}  # fmt: skip
