"""Celery tasks: ids in, a service call, nothing else (idempotent: see services)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from achievements.tasks import SUBMISSION_LEASE
from core.errors import ApplicationError
from core.leases import work_lease
from core.tasks import BaseTask, TenantTask

from .deadlines import rto_reporting_panels_refresh
from .metrics import payment_chunk_lines
from .models import PaymentBatch, PaymentBatchChunk
from .reminders import reminders_run
from .services import (
    batch_cutoff,
    claim_submission_lodge_requested,
    payment_batch_finalise,
    payment_batch_run,
    payment_chunk_calculate,
    payment_chunk_failed,
    payment_chunks_restart_stalled,
    previous_period,
)

logger = logging.getLogger(__name__)


# The name stays ``achievements.*``: it runs on the register's ``ingest`` queue (routed by
# name) and messages already queued under it are still delivered.
@shared_task(base=TenantTask, bind=True, acks_late=True, name="achievements.submission_lodge")
def submission_lodge_task(self, submission_id: int, *, rto_id: int) -> None:
    """Lodge a claim (kind ``claim``) the PQS asked to lodge (services.claims), holding the
    register submission's work lease like the register's own tasks (achievements.tasks)."""

    with work_lease(SUBMISSION_LEASE, submission_id) as mine:
        if mine:
            claim_submission_lodge_requested(submission_id)


@shared_task(base=TenantTask, name="pqs_claims.tasks.payment_chunk_task")
def payment_chunk_task(chunk_id: int, *, rto_id: int) -> None:
    """One RTO of one batch; the last chunk to finish totals the batch. An error ends the
    chunk failed with a message on the batch page (services.payment_chunk_failed)."""

    try:
        payment_chunk_calculate(chunk_id)
    except Exception as exc:  # rolled back: a visible failed chunk, not one pending for ever
        logger.exception("payment chunk %s failed", chunk_id)
        payment_chunk_failed(chunk_id, exc)
        return
    payment_chunk_lines(chunk_id)  # metrics: batch lines per second
    batch_id = (
        PaymentBatchChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).first()
    )
    if batch_id is not None:
        payment_batch_finalise(batch_id)


@shared_task(base=BaseTask, name="pqs_claims.tasks.payment_chunk_sweep")
def payment_chunk_sweep() -> int:
    """Beat: queue again the pending chunks of a batch whose worker died
    (services.payment_chunks_restart_stalled)."""

    return len(payment_chunks_restart_stalled())


@shared_task(base=BaseTask, name="pqs_claims.tasks.payment_batch_scheduled")
def payment_batch_scheduled(today: str | None = None) -> str | None:
    """Beat (daily): once a month's cut-off has passed (23:59 Brisbane, last business day),
    create and calculate that month's batch unless it already exists."""

    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    now = timezone.now()
    current = f"{day:%Y-%m}"
    for period in (previous_period(current), current):
        if now <= batch_cutoff(period) or PaymentBatch.objects.filter(period=period).exists():
            continue
        try:
            payment_batch_run(period=period, dispatch=True)
        except ApplicationError as exc:  # e.g. last month not approved yet: try tomorrow
            logger.warning("Payment batch %s not created: %s", period, exc.message)
            return None
        return period
    return None


@shared_task(base=BaseTask, name="pqs_claims.tasks.reporting_reminders")
def reporting_reminders() -> tuple[int, int]:
    """Record and e-mail the reporting reminders now due (pqs_claims.reminders); safe to
    run twice or after a dead worker. Then the RTO dashboards' reporting panels of the
    day (``deadlines.rto_reporting_panels_refresh``)."""

    done = reminders_run()
    rto_reporting_panels_refresh(today=timezone.localdate())
    return done
