"""Prometheus metrics of our own (django-prometheus adds request latency by view, and the
database and cache metrics). Scraped from ``/metrics`` with the ``METRICS_TOKEN`` bearer
token (core.health.metrics_view). The apps count their own work into these metrics
(``achievements.metrics``: submission rows; ``pqs_claims.metrics``: batch lines).

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

from .ops import queue_depths

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


class QueueDepthCollector:
    """``cqr_celery_queue_depth{queue}``: messages waiting in each Celery queue, read from
    Redis at scrape time (core.ops.queue_depths); a queue that cannot be read is left out."""

    def collect(self):
        family = GaugeMetricFamily(
            "cqr_celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in queue_depths().items():
            if depth is not None:
                family.add_metric([queue], depth)
        yield family
