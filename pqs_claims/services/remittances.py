"""Money out: the per-PQS totals and bank accounts of a batch, and the record of an export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError
from core.models import new_public_id
from rtos.models import Rto

from ..bank_accounts import batch_accounts_apply
from ..models import (
    PaymentBatch,
    PaymentLine,
    PqsApproval,
)
from .periods import BRISBANE


def payment_batch_record_export(*, batch: PaymentBatch, actor, what: str) -> PaymentBatch:
    """Record that money-out files left the system (ABA, remittances) before handing them
    over; the first export moves an approved batch to exported."""

    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if not b.is_frozen:
            raise ApplicationError("Only an approved batch can be exported.")
        if b.status == PaymentBatch.Status.APPROVED:
            b.status = PaymentBatch.Status.EXPORTED
            b.exported_at = timezone.now()
            b.export_id = new_public_id()
            b.save(update_fields=["status", "exported_at", "export_id"])
        audit_record(
            f"payment_batch.export.{what}",
            actor=actor,
            obj=b,
            extra={"period": b.period, "export_id": b.export_id, "total": str(b.total_amount)},
        )
    return b


def pqs_totals(batch: PaymentBatch) -> list[dict]:
    """Per RTO: paid total and the bank account (the approval valid on the cut-off date, else
    the latest; once the batch is approved, the account stored at its approval —
    ``bank_accounts.batch_accounts_apply``). Department-wide read (scopes disabled) for
    money out."""

    cutoff_day = timezone.localtime(batch.cutoff, BRISBANE).date()
    with scopes_disabled():
        totals = defaultdict(Decimal)
        counts = defaultdict(int)
        for rto_id, status, amount in PaymentLine.objects.filter(batch=batch).values_list(
            "rto_id", "status", "amount"
        ):
            totals[rto_id] += amount
            counts[rto_id] += status == "PAID"
        out = []
        for rto in Rto.objects.filter(pk__in=totals).order_by("code"):
            approvals = PqsApproval.objects.filter(rto=rto).order_by("-valid_from")
            approval = (
                approvals.filter(valid_from__lte=cutoff_day)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=cutoff_day))
                .first()
                or approvals.first()
            )
            out.append(
                {"rto": rto, "approval": approval, "total": totals[rto.pk], "paid": counts[rto.pk]}
            )
        # an approved batch pays the accounts stored at its approval

        out = batch_accounts_apply(batch, out)
    return out


def batch_aba_export(*, batch: PaymentBatch, actor) -> dict:
    """The ABA file of an approved batch (interfaces.md §7), its export recorded before the
    file is handed over (:func:`payment_batch_record_export`: the first export moves the
    batch to exported). Refused for a batch that is not approved. One service for the
    batch page and ``manage.py payment_batch aba``.

    Returns ``{"data": bytes, "name": file name, "credits": PQSs paid, "total": Decimal}``."""
    from ..exports import aba_file  # noqa: PLC0415 - pqs_claims.exports imports the services

    if not batch.is_frozen:
        raise ApplicationError("Only an approved batch can be exported.")
    totals = pqs_totals(batch)
    data = aba_file(batch, totals)
    payment_batch_record_export(batch=batch, actor=actor, what="aba")
    credits = [t for t in totals if t["total"] > 0]
    return {
        "data": data,
        "name": f"usrchoice-{batch.period}.aba",
        "credits": len(credits),
        "total": sum((t["total"] for t in credits), Decimal(0)),
    }


def batch_remittance_pdf(*, batch: PaymentBatch, rto_code: str) -> tuple[str, bytes] | None:
    """One PQS's remittance advice of an approved batch as ``(file name, PDF)``; None when
    the batch is not approved or the PQS has no total in it."""
    from ..exports import remittance_pdf  # noqa: PLC0415 - pqs_claims.exports imports the services

    if not batch.is_frozen:
        return None
    total = next((t for t in pqs_totals(batch) if t["rto"].code == rto_code), None)
    if total is None:
        return None
    return f"remittance-{batch.period}-{rto_code}.pdf", remittance_pdf(batch, total)


def batch_remittances_render(*, batch: PaymentBatch, actor) -> list[tuple[str, bytes]]:
    """Every PQS's remittance advice of an approved batch as ``(file name, PDF)`` pairs, the
    export recorded (:func:`payment_batch_record_export`). Refused for a batch that is not
    approved. The service of ``manage.py payment_batch remittances``."""
    from ..exports import remittance_pdf  # noqa: PLC0415 - pqs_claims.exports imports the services

    if not batch.is_frozen:
        raise ApplicationError("Only an approved batch has remittance advice.")
    files = [
        (f"remittance-{batch.period}-{t['rto'].code}.pdf", remittance_pdf(batch, t))
        for t in pqs_totals(batch)
    ]
    payment_batch_record_export(batch=batch, actor=actor, what="remittances")
    return files
