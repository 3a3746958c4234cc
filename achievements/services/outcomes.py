"""Manual changes to unit outcomes: correct, create, withdraw, move; their versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pghistory
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import ApplicationError
from students.models import ClientRecord

from .. import record_checks
from ..models import UnitOutcome
from ..nat_fill import fill_outcome
from .common import manual_record_create, refuse_if_ceased

# ---------------------------------------------------------------------------- manual entry


OUTCOME_EDITABLE = [
    "subject_identifier",
    "program_identifier",
    "activity_start_date",
    "activity_end_date",
    "outcome_identifier_national",
    "delivery_mode_identifier",
    "funding_source_national",
    "training_organisation_delivery_location_identifier",
    "training_contract_identifier",
    "hours_attended",
]


def outcome_correct(
    outcome: UnitOutcome, *, actor, data: dict[str, Any], reason: str
) -> UnitOutcome:
    """Correct one unit outcome by hand: a new version (who/when/why) replaces the row."""
    if not reason or not reason.strip():
        raise ApplicationError("Give the reason for the correction.")
    refuse_if_ceased(outcome.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason.strip()[:500], source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        before = {k: str(getattr(locked, k)) for k in OUTCOME_EDITABLE}
        for k in OUTCOME_EDITABLE:
            if k in data:
                setattr(locked, k, data[k])
        record_checks.refuse(
            record_checks.outcome_problems(
                locked.client_record, {k: getattr(locked, k) for k in OUTCOME_EDITABLE}
            )
        )
        locked.updated_by = actor
        locked.change_reason = reason.strip()[:500]
        locked.source_submission = None
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ApplicationError(
                "Another outcome already has this client, unit, program and start date."
            ) from None
        after = {k: str(getattr(locked, k)) for k in OUTCOME_EDITABLE}
        changed = {k: v for k, v in after.items() if before[k] != v}
        audit_record(
            "outcome.correct",
            actor=actor,
            rto=locked.rto,
            obj=locked,
            before={k: before[k] for k in changed},
            after=changed,
            extra={"reason": reason.strip()[:500]},
        )
    return locked


def outcome_create(client_record: ClientRecord, *, actor, data: dict[str, Any]) -> UnitOutcome:
    """Add one unit outcome by hand (same natural key rules as files, and the record rules
    every door shares: ``record_checks.outcome_problems``)."""
    refuse_if_ceased(client_record.rto)
    record_checks.refuse(record_checks.outcome_problems(client_record, data))
    return manual_record_create(
        UnitOutcome,
        client_record,
        actor=actor,
        values=fill_outcome({k: v for k, v in data.items() if k in OUTCOME_EDITABLE}),
        event="outcome.create",
        duplicate="This learner already has an outcome for this unit, program and start date.",
    )


def _manual_change_reason(reason: str, what: str, rto) -> str:
    """The reason a hand change of the register needs (at most 500 characters), refused
    when blank or when the RTO has ceased."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ApplicationError(f"Give the reason for the {what}.", extra={"field": "reason"})
    refuse_if_ceased(rto)
    return reason


def outcome_withdraw(outcome: UnitOutcome, *, actor, reason: str) -> UnitOutcome:
    """Withdraw a unit outcome reported in error: a new version with who, when and why.

    Nothing in the register is deleted: the row stays (and its versions), marked withdrawn,
    and the learner portal, verification, documents and NAT exports leave it out. Refused:
    no reason, a ceased RTO, an outcome already withdrawn.
    """
    reason = _manual_change_reason(reason, "withdrawal", outcome.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        if locked.withdrawn_at is not None:
            raise ApplicationError("This outcome is already withdrawn.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawn_reason = reason
        locked.updated_by = actor
        locked.change_reason = f"Withdrawn: {reason}"[:500]
        locked.save()
        audit_record(
            "outcome.withdraw", actor=actor, rto=locked.rto, obj=locked, extra={"reason": reason}
        )
    return locked


def outcome_move(
    outcome: UnitOutcome, *, actor, client_identifier: str, reason: str
) -> UnitOutcome:
    """Move a unit outcome reported against the wrong learner to the right client record
    of the same RTO: a new version (who/when/why) with the new client record and learner.

    Refused: no reason, a ceased RTO, a withdrawn outcome, a client identifier the RTO does
    not have, the same record, the target already holding this activity (natural key), and
    whatever the record rules refuse for the target learner (``record_checks``: born after
    the activity started, no USI for activity from 2015 on, ...).
    """
    reason = _manual_change_reason(reason, "move", outcome.rto)
    cid = (client_identifier or "").strip()
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        if locked.withdrawn_at is not None:
            raise ApplicationError("A withdrawn outcome cannot be moved.")
        target = ClientRecord.objects.filter(rto_id=locked.rto_id, client_identifier=cid).first()
        if target is None:
            raise ApplicationError(
                f"This RTO has no client with identifier {cid!r}.",
                extra={"field": "client_identifier"},
            )
        if target.pk == locked.client_record_id:
            raise ApplicationError(
                "The outcome is already on this client's record.",
                extra={"field": "client_identifier"},
            )
        record_checks.refuse(
            record_checks.outcome_problems(
                target, {k: getattr(locked, k) for k in OUTCOME_EDITABLE}
            )
        )
        before = locked.client_record.client_identifier
        locked.client_record = target
        locked.learner_id = target.learner_id
        locked.updated_by = actor
        locked.change_reason = f"Moved from client {before}: {reason}"[:500]
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ApplicationError(
                f"Client {cid} already has an outcome for this unit, program and start date.",
                extra={"field": "client_identifier"},
            ) from None
        audit_record(
            "outcome.move",
            actor=actor,
            rto=locked.rto,
            obj=locked,
            before={"client_identifier": before},
            after={"client_identifier": cid},
            extra={"reason": reason},
        )
    return locked


def outcome_versions(outcome: UnitOutcome):
    """Versions of an outcome, newest first, with their context (who/why/submission)."""
    return (
        UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk)
        .select_related("pgh_context")
        .order_by("-pgh_id")
    )


def today() -> dt.date:
    return timezone.localdate()
