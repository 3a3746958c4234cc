"""The monthly payment batch: run, the chunk unit of work, finalise, approve, mark paid, and
the sweep of stalled or failed chunks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.notifications import notify_on_commit
from core.audit import audit_record
from core.errors import ApplicationError
from core.leases import MAX_ATTEMPTS
from rtos.models import Rto

from ..bank_accounts import batch_accounts_fix
from ..models import (
    FROZEN_BATCH_STATUSES,
    ClaimLine,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
)
from ..sql import batch_sql
from .periods import BRISBANE, batch_cutoff, period_not_begun, scheduler_user
from .remittances import pqs_totals


def _rtos_with_candidates(batch: PaymentBatch) -> list[int]:
    """Department-wide on purpose: the batch covers every PQS (scopes disabled)."""
    with scopes_disabled():
        return sorted(
            set(
                ClaimLine.objects.filter(
                    lodged_at__isnull=False, lodged_at__lte=batch.cutoff
                ).values_list("rto_id", flat=True)
            )
        )


def payment_batch_run(
    *, period: str, actor=None, dispatch: bool = False, calculate: bool = True
) -> PaymentBatch:
    """Create or recalculate the month's batch (refused once approved). The chunks (one
    per RTO) are calculated inline, or by Celery workers (``dispatch``), or left pending
    for the caller (``calculate=False``, e.g. a benchmark driving its own processes)."""
    period_not_begun(period)
    actor = actor or scheduler_user()
    with transaction.atomic(), scopes_disabled():
        batch, _created = PaymentBatch.objects.select_for_update().get_or_create(
            period=period, defaults={"cutoff": batch_cutoff(period)}
        )
        if batch.is_frozen:
            raise ApplicationError(
                f"The {period} batch is {batch.get_status_display().lower()}: an approved batch"
                " cannot be recalculated."
            )
        pending = (
            PaymentBatch.objects.filter(period__lt=period)
            .exclude(status__in=FROZEN_BATCH_STATUSES)
            .order_by("period")
            .first()
        )
        if pending is not None:
            raise ApplicationError(
                f"Approve the {pending.period} batch before running {period}: a month is"
                " calculated on top of every earlier approved month."
            )
        if PaymentBatch.objects.filter(
            period__gt=period, status__in=FROZEN_BATCH_STATUSES
        ).exists():
            raise ApplicationError(f"A later batch is already approved; {period} cannot run.")
        batch.status = PaymentBatch.Status.DRAFT
        batch.cutoff = batch_cutoff(period)
        batch.run_by = actor
        batch.run_started_at = timezone.now()
        batch.calculated_at = None
        batch.run_count += 1
        batch.line_count = batch.paid_count = 0
        batch.total_amount = Decimal("0.00")
        batch.save()
        PaymentLine.objects.filter(batch=batch).delete()
        PaymentBatchChunk.objects.filter(batch=batch).delete()
        chunks = [
            PaymentBatchChunk(batch=batch, rto_id=rto_id) for rto_id in _rtos_with_candidates(batch)
        ]
        PaymentBatchChunk.objects.bulk_create(chunks)
        audit_record(
            "payment_batch.run",
            actor=actor,
            obj=batch,
            extra={"period": period, "run": batch.run_count, "rtos": len(chunks)},
        )
        if dispatch and calculate:
            from ..tasks import payment_chunk_task  # noqa: PLC0415 - pqs_claims.tasks imports the services

            for c in chunks:
                payment_chunk_task.delay_on_commit(c.pk, rto_id=c.rto_id)
    if calculate and not dispatch:
        for c in chunks:
            payment_chunk_calculate(c.pk)
        payment_batch_finalise(batch.pk)
    batch.refresh_from_db()
    return batch


def payment_chunk_calculate(chunk_id: int, *, equivalents=None) -> None:
    """Decide every candidate line of one RTO for one batch (idempotent, one transaction):
    one set-based INSERT … SELECT (``batch_sql``). The engine's calculation of the same
    chunk, the executable specification the SQL is tested against, is test code
    (``tests/pqs_claims/oracle.py``)."""

    with transaction.atomic(), scopes_disabled():
        chunk = (
            PaymentBatchChunk.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None:  # the batch was re-run meanwhile: a newer chunk does the work
            return
        batch = chunk.batch
        if batch.is_frozen or chunk.status == PaymentBatchChunk.Status.DONE:
            return
        with scope(rto=chunk.rto_id):
            PaymentLine.objects.filter(batch=batch, rto_id=chunk.rto_id).delete()
        count, total = batch_sql.calculate_chunk(
            batch,
            chunk.rto_id,
            Rto.objects.filter(pk=chunk.rto_id).values_list("code", flat=True).first(),
            equivalents,
        )
        chunk.status = PaymentBatchChunk.Status.DONE
        chunk.run_count += 1
        chunk.line_count = count
        chunk.total_amount = total
        chunk.finished_at = timezone.now()
        chunk.save()


def payment_batch_finalise(batch_id: int) -> bool:
    """Total the batch once every chunk is done; True when it is now calculated."""
    with transaction.atomic(), scopes_disabled():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PaymentBatch.Status.DRAFT:
            return batch.status == PaymentBatch.Status.CALCULATED
        if batch.chunks.exclude(status=PaymentBatchChunk.Status.DONE).exists():
            return False
        agg = PaymentLine.objects.filter(batch=batch).aggregate(
            n=Count("id"),
            paid=Count("id", filter=Q(status="PAID")),
            total=Sum("amount"),
        )
        batch.line_count = agg["n"] or 0
        batch.paid_count = agg["paid"] or 0
        batch.total_amount = agg["total"] or Decimal("0.00")
        batch.status = PaymentBatch.Status.CALCULATED
        batch.calculated_at = timezone.now()
        batch.save()
        audit_record(
            "payment_batch.calculated",
            actor=batch.run_by,
            obj=batch,
            extra={
                "period": batch.period,
                "lines": batch.line_count,
                "paid": batch.paid_count,
                "total": str(batch.total_amount),
            },
        )
    return True


def payment_batch_approve(*, batch: PaymentBatch, actor, reason: str = "") -> PaymentBatch:
    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if not getattr(actor, "is_department", False) or not actor.can_approve:
            raise ApplicationError("Only a department approver can approve a payment batch.")
        if b.status != PaymentBatch.Status.CALCULATED:
            raise ApplicationError(
                f"The {b.period} batch is {b.get_status_display().lower()}: only a calculated"
                " batch can be approved."
            )
        if b.run_by_id == actor.pk:
            raise ApplicationError(
                "You ran this batch: a different officer must approve it (maker-checker)."
            )
        if b.is_preview:
            raise ApplicationError(
                f"The {b.period} batch is a preview until its cut-off"
                f" {timezone.localtime(b.cutoff, BRISBANE):%d/%m/%Y %H:%M}: it can be approved"
                " once the cut-off has passed."
            )
        b.status = PaymentBatch.Status.APPROVED
        b.approved_by = actor
        b.approved_at = timezone.now()
        b.save()
        # the accounts this batch pays are fixed now (issue 14: payment redirection)

        batch_accounts_fix(b, pqs_totals(b))
        audit_record(
            "payment_batch.approve",
            actor=actor,
            obj=b,
            extra={
                "period": b.period,
                "total": str(b.total_amount),
                "paid_lines": b.paid_count,
                "reason": reason[:300],
            },
        )
        notify_on_commit("batch_approved", b.pk)  # each PQS's admins, with its remittance
    return b


def payment_batch_mark_paid(*, batch: PaymentBatch, actor, paid_on: dt.date) -> PaymentBatch:
    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if b.status != PaymentBatch.Status.EXPORTED:
            raise ApplicationError("Export the ABA file before marking the batch paid.")
        if paid_on < b.approved_at.date() - dt.timedelta(days=1):
            raise ApplicationError("The payment date cannot be before the approval.")
        b.status = PaymentBatch.Status.PAID
        b.paid_on = paid_on
        b.save(update_fields=["status", "paid_on"])
        audit_record(
            "payment_batch.paid",
            actor=actor,
            obj=b,
            extra={
                "period": b.period,
                "paid_on": paid_on.isoformat(),
                "total": str(b.total_amount),
            },
        )
    return b


#: A batch whose chunks have made no progress for this long is looked at by the sweep.
CHUNK_STALL_AFTER = dt.timedelta(minutes=10)


def payment_chunks_restart_stalled(*, older_than: dt.timedelta = CHUNK_STALL_AFTER) -> list[int]:
    """Re-dispatch pending chunks of a batch that has stopped making progress.

    A worker killed mid-chunk rolls its transaction back, so the chunk stays PENDING, but
    the broker redelivers the task only after its visibility timeout (hours). A batch is
    stalled when it started calculating more than ``older_than`` ago and no chunk of it
    finished within ``older_than``. Its pending chunks that no live worker holds (a chunk
    is calculated under its row lock: ``SKIP LOCKED`` passes over those) are queued again.
    Safe at any time: a chunk already done is skipped by the task. Each restart is counted
    on the chunk (``attempts``); after ``core.leases.MAX_ATTEMPTS`` the chunk is marked
    failed instead (:func:`_chunk_give_up`). Returns chunk ids.
    """

    from ..tasks import payment_chunk_task  # noqa: PLC0415 - pqs_claims.tasks imports the services

    cutoff = timezone.now() - older_than
    restarted: list[int] = []
    # Beat calls this outside any tenant scope, and the sweep is department-wide (every
    # RTO's chunks): every query of the tenant-owned chunks, the OuterRef subquery too, is
    # built inside scopes_disabled.
    with scopes_disabled():
        chunks = PaymentBatchChunk.objects.filter(batch=OuterRef("pk"))
        batches = (
            PaymentBatch.objects.exclude(status__in=FROZEN_BATCH_STATUSES)
            .filter(run_started_at__lt=cutoff)
            .filter(Exists(chunks.filter(status=PaymentBatchChunk.Status.PENDING)))
            .exclude(Exists(chunks.filter(finished_at__gte=cutoff)))
        )
        for batch in batches:
            with transaction.atomic():
                idle = list(
                    PaymentBatchChunk.objects.select_for_update(skip_locked=True)
                    .filter(batch=batch, status=PaymentBatchChunk.Status.PENDING)
                    .select_related("rto")
                )
                again = []
                for chunk in idle:
                    if chunk.attempts >= MAX_ATTEMPTS:
                        _chunk_give_up(batch, chunk)
                    else:
                        again.append(chunk.pk)
                PaymentBatchChunk.objects.filter(pk__in=again).update(attempts=F("attempts") + 1)
            for chunk in idle:
                if chunk.pk in again:
                    payment_chunk_task.delay(chunk.pk, rto_id=chunk.rto_id)
                    restarted.append(chunk.pk)
    return restarted


_CHUNK_AGAIN = (
    "the batch is not calculated. Press Recalculate to start the batch again; if it stops"
    " again, tell the platform team."
)


def _chunk_fail(chunk: PaymentBatchChunk, why: str, action: str, **extra) -> None:
    """Mark a pending chunk ``failed``: ``why`` and what to do (shown on the batch page),
    and an audit event. The caller holds the chunk's row lock."""
    chunk.status = PaymentBatchChunk.Status.FAILED
    chunk.failure = f"The calculation for {chunk.rto.code} {why}; {_CHUNK_AGAIN}"
    chunk.save(update_fields=["status", "failure"])
    batch = chunk.batch
    extra = {"period": batch.period, "rto": chunk.rto.code, **extra}
    audit_record(action, actor="worker", rto=chunk.rto_id, obj=batch, extra=extra)


def _chunk_give_up(batch: PaymentBatch, chunk: PaymentBatchChunk) -> None:
    """The sweep restarted this chunk ``MAX_ATTEMPTS`` times: it ends ``failed`` with a
    message (shown on the batch page) and an audit event instead of being queued again."""
    chunk.batch = batch
    why = (
        f"was restarted {chunk.attempts} times after its worker stopped and never finished,"
        " so the portal stopped trying"
    )
    _chunk_fail(chunk, why, "payment_chunk.gave_up", attempts=chunk.attempts)


def payment_chunk_failed(chunk_id: int, exc: BaseException) -> bool:
    """The chunk task stopped with ``exc`` (its transaction rolled back: no line of it was
    written): a pending chunk ends ``failed`` with a message on the batch page and an audit
    event, instead of waiting for the sweep. Returns whether it was marked."""
    with transaction.atomic(), scopes_disabled():
        chunk = (
            PaymentBatchChunk.objects.select_for_update(of=("self",))
            .select_related("batch", "rto")
            .filter(pk=chunk_id, status=PaymentBatchChunk.Status.PENDING)
            .first()
        )
        if chunk is None or chunk.batch.is_frozen:
            return False
        why = f"stopped with an unexpected error ({type(exc).__name__})"
        _chunk_fail(chunk, why, "payment_chunk.failed", error=type(exc).__name__)
    return True
