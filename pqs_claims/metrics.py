"""The payment batch's contribution to the Prometheus metrics (``core.metrics``): the lines
of a chunk counted when it finishes, so ``rate()`` gives batch lines per second."""

from __future__ import annotations

import logging

from django_scopes import scopes_disabled

from core.metrics import PAYMENT_LINES

from .models import PaymentBatchChunk

log = logging.getLogger(__name__)


def payment_chunk_lines(chunk_id: int) -> None:
    """Count the lines of a payment-batch chunk that has just finished (pqs_claims.tasks);
    best effort: an error here is logged, never raised into the task."""
    try:
        _payment_chunk_lines(chunk_id)
    except Exception:
        log.exception("metrics: payment chunk %s lines not counted", chunk_id)


def _payment_chunk_lines(chunk_id: int) -> None:
    with scopes_disabled():
        lines = (
            PaymentBatchChunk.objects.filter(pk=chunk_id, status=PaymentBatchChunk.Status.DONE)
            .values_list("line_count", flat=True)
            .first()
        )
    if lines:
        PAYMENT_LINES.inc(lines)
