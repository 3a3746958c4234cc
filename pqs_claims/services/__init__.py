"""Claims and payment batches: every write, each in one transaction with its audit event.

By topic: ``periods`` (month bounds, cut-off), ``claims`` (upload and lodgement),
``batches`` (run, chunks, finalise, approve, paid, stalled chunks), ``remittances`` (per-PQS
totals, the ABA file and remittance advice, the export record), ``adjustments`` (adjustment
reviews). This package re-exports what views, tasks, commands and other apps call.

Claim lodgement: :func:`claim_submission_create` sends the upload through the register's
door and lifecycle (stored as received with its sha256, validated by the ingest worker:
``pqs_claims.pipeline``); :func:`claim_submission_request_lodge` queues the lodgement and
:func:`claim_submission_lodge` lodges the valid lines (immutable from then on), each one
superseding the previously lodged line with the same key.

Monthly batch: :func:`payment_batch_run` (re)creates the batch's work units — one
:class:`~pqs_claims.models.PaymentBatchChunk` per RTO — and calculates them inline or
through Celery; :func:`payment_chunk_calculate` is the idempotent unit of work (lock the
chunk row, delete the RTO's lines of this batch, decide every candidate line, insert,
mark done — one transaction, so a killed worker leaves the chunk pending and a retry
gives the same lines); :func:`payment_batch_finalise` totals the batch once every chunk
is done. Approval by a second officer freezes the batch (database triggers).
"""

from .adjustments import (
    ADJUSTMENT_NOTE_MAX,
    ADJUSTMENT_REVIEW,
    adjustment_review_can_resolve,
    adjustment_review_paid_line,
    adjustment_review_resolvable_rtos,
    adjustment_review_resolve,
)
from .batches import (
    CHUNK_STALL_AFTER,
    payment_batch_approve,
    payment_batch_finalise,
    payment_batch_mark_paid,
    payment_batch_run,
    payment_chunk_calculate,
    payment_chunk_failed,
    payment_chunks_restart_stalled,
)
from .claims import (
    LINE_FIELDS,
    claim_submission_create,
    claim_submission_load,
    claim_submission_lodge,
    claim_submission_lodge_requested,
    claim_submission_request_lodge,
)
from .periods import (
    BRISBANE,
    PERIOD_RE,
    SCHEDULER_EMAIL,
    batch_cutoff,
    last_business_day,
    period_bounds,
    period_not_begun,
    previous_period,
    scheduler_user,
)
from .remittances import (
    batch_aba_export,
    batch_remittance_pdf,
    batch_remittances_render,
    payment_batch_record_export,
    pqs_totals,
)

__all__ = [
    "ADJUSTMENT_NOTE_MAX",
    "ADJUSTMENT_REVIEW",
    "BRISBANE",
    "CHUNK_STALL_AFTER",
    "LINE_FIELDS",
    "PERIOD_RE",
    "SCHEDULER_EMAIL",
    "adjustment_review_can_resolve",
    "adjustment_review_paid_line",
    "adjustment_review_resolvable_rtos",
    "adjustment_review_resolve",
    "batch_aba_export",
    "batch_cutoff",
    "batch_remittance_pdf",
    "batch_remittances_render",
    "claim_submission_create",
    "claim_submission_load",
    "claim_submission_lodge",
    "claim_submission_lodge_requested",
    "claim_submission_request_lodge",
    "last_business_day",
    "payment_batch_approve",
    "payment_batch_finalise",
    "payment_batch_mark_paid",
    "payment_batch_record_export",
    "payment_batch_run",
    "payment_chunk_calculate",
    "payment_chunk_failed",
    "payment_chunks_restart_stalled",
    "period_bounds",
    "period_not_begun",
    "pqs_totals",
    "previous_period",
    "scheduler_user",
]
