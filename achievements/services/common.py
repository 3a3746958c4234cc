"""Rules every register write shares."""

from __future__ import annotations

import pghistory
from django.db import IntegrityError, transaction

from core.audit import audit_record
from core.errors import ApplicationError


def refuse_if_ceased(rto) -> None:
    """A ceased RTO's records stay visible and verifiable but can no longer change."""
    if rto.is_ceased:
        raise ApplicationError(f"{rto.code} has ceased; its records can no longer change.")


def manual_record_create(model, client_record, *, actor, values: dict, event: str, duplicate: str):
    """Save one register row (``model``: an outcome or an award) entered by hand for
    ``client_record``: in one transaction with its history row (reason "Manual entry") and
    the audit row ``event``; a clash with a natural key or unique number is refused with the
    message ``duplicate`` instead of an error page."""
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason="Manual entry", source="manual"),
    ):
        row = model(
            rto=client_record.rto,
            client_record=client_record,
            learner_id=client_record.learner_id,
            updated_by=actor,
            change_reason="Manual entry",
            **values,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise ApplicationError(duplicate) from None
        audit_record(event, actor=actor, rto=row.rto, obj=row)
    return row
