"""Prometheus metrics of our own (django-prometheus adds request latency by view, and the
database and cache metrics). Scraped from ``/metrics`` with the ``METRICS_TOKEN`` bearer
token (core.health.metrics_view).

With several processes (gunicorn workers, Celery's prefork children) set
``PROMETHEUS_MULTIPROC_DIR`` to a folder every web and worker process of the host shares:
prometheus_client then writes each process's values there and ``/metrics`` adds them up
(prometheus_client docs, "Multiprocess Mode"). Queue depths are read from Redis at each
scrape, never stored.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

TASK_DURATION = Histogram(
    "cqr_celery_task_duration_seconds",
    "Run time of Celery tasks, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
TASK_FAILURES = Counter(
    "cqr_celery_task_failures_total", "Celery tasks that raised, by task name.", ["task"]
)
SUBMISSION_ROWS = Counter(
    "cqr_submission_rows_total",
    "Records of register submissions and claims processed, by stage (validation, commit);"
    " rate() gives rows per second.",
    ["stage"],
)
PAYMENT_LINES = Counter(
    "cqr_payment_batch_lines_total",
    "Payment lines calculated by finished payment-batch chunks; rate() gives lines per second.",
)


def submission_rows(submission_id: int, stage: str) -> None:
    """Count the rows of a submission whose validation or commit has just finished
    (called by achievements.tasks once the work is done; a failed run counts nothing).
    Best effort, like every metric: an error here is logged, never raised into the task."""
    try:
        _submission_rows(submission_id, stage)
    except Exception:
        log.exception("metrics: submission %s rows not counted", submission_id)


def _submission_rows(submission_id: int, stage: str) -> None:
    from django_scopes import scopes_disabled

    from achievements.models import Submission

    S = Submission.Status
    if stage == "commit":
        finished, field = (S.COMMITTED,), "committed_count"
    else:  # validated, and whatever may follow it
        finished, field = (
            (S.VALIDATED, S.COMMITTING, S.COMMITTED, S.LODGING, S.LODGED),
            "records_total",
        )
    with scopes_disabled():
        rows = (
            Submission.objects.filter(pk=submission_id, status__in=finished)
            .values_list(field, flat=True)
            .first()
        )
    if rows:
        SUBMISSION_ROWS.labels(stage).inc(rows)


def payment_chunk_lines(chunk_id: int) -> None:
    """Count the lines of a payment-batch chunk that has just finished (pqs_claims.tasks);
    best effort like :func:`submission_rows`."""
    try:
        _payment_chunk_lines(chunk_id)
    except Exception:
        log.exception("metrics: payment chunk %s lines not counted", chunk_id)


def _payment_chunk_lines(chunk_id: int) -> None:
    from django_scopes import scopes_disabled

    from pqs_claims.models import PaymentBatchChunk

    with scopes_disabled():
        lines = (
            PaymentBatchChunk.objects.filter(pk=chunk_id, status=PaymentBatchChunk.Status.DONE)
            .values_list("line_count", flat=True)
            .first()
        )
    if lines:
        PAYMENT_LINES.inc(lines)


class QueueDepthCollector:
    """``cqr_celery_queue_depth{queue}``: messages waiting in each Celery queue, read from
    Redis at scrape time (core.ops.queue_depths); a queue that cannot be read is left out."""

    def collect(self):
        from .ops import queue_depths

        family = GaugeMetricFamily(
            "cqr_celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in queue_depths().items():
            if depth is not None:
                family.add_metric([queue], depth)
        yield family
