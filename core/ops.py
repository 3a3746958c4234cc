"""Operations read-outs for the department's Operations page and the Prometheus metrics:
Celery queue depths, stalled work, and when each stalled-work sweep last ran.

Stalled work (core.leases): a unit of work (a submission or claim, a payment batch's
chunks, a reference-data upload) still in a working state with no progress for longer
than its sweep's stall period, or one the sweep has already restarted (``attempts`` > 0).
The sweeps themselves decide what to restart; this only shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

#: The stalled-work sweeps (Celery task name → what the Operations page calls it).
SWEEPS = {
    "achievements.submission_sweep": "Submissions and claims",
    "pqs_claims.tasks.payment_chunk_sweep": "Payment batch chunks",
    "core.reference_sweep": "Reference-data uploads",
}
_SWEEP_KEY = "ops:sweep-ran:{}"

# kombu's Redis transport keeps a queue's messages of priority 0 in a list named after the
# queue, and those of the other priority steps (3, 6, 9 by default) in "<queue>\x06\x16<n>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_REDIS_TIMEOUT = 2.0  # seconds: a probe or a scrape must not hang on a dead Redis


def redis_client(url: str | None = None):
    import redis

    return redis.Redis.from_url(
        url or settings.REDIS_URL,
        socket_connect_timeout=_REDIS_TIMEOUT,
        socket_timeout=_REDIS_TIMEOUT,
    )


def celery_queues() -> list[str]:
    """Every queue a task is routed to (CELERY_TASK_ROUTES) and the default queue."""
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    queues.update(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())
    return sorted(queues)


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each Celery queue (Redis LLEN); None for each when Redis cannot
    be reached (the page says so instead of failing)."""
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    queues = celery_queues()
    try:
        client = redis_client()
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(f"{prefix}{queue}{suffix}")
        counts = pipe.execute()
    except Exception as exc:
        log.warning("queue depths unavailable: %s", type(exc).__name__)
        return dict.fromkeys(queues)
    step = len(_PRIORITY_SUFFIXES)
    return {q: sum(counts[i * step : (i + 1) * step]) for i, q in enumerate(queues)}


# ---------------------------------------------------------------------------- sweeps
def sweep_ran(task_name: str, when: dt.datetime | None = None) -> None:
    """Record that a sweep finished (core.celery_signals, after each successful run).
    Best effort: a cache outage must not fail the sweep."""
    try:
        cache.set(_SWEEP_KEY.format(task_name), (when or timezone.now()).isoformat(), None)
    except Exception as exc:
        log.warning("could not record the %s run: %s", task_name, type(exc).__name__)


def sweeps_last_run() -> list[tuple[str, dt.datetime | None]]:
    """(label, when each sweep last finished, or None: never, or not since the cache was
    emptied)."""
    try:
        found = cache.get_many([_SWEEP_KEY.format(name) for name in SWEEPS])
    except Exception as exc:
        log.warning("sweep times unavailable: %s", type(exc).__name__)
        found = {}
    out = []
    for name, label in SWEEPS.items():
        raw = found.get(_SWEEP_KEY.format(name))
        out.append((label, dt.datetime.fromisoformat(raw) if raw else None))
    return out


# ---------------------------------------------------------------------------- stalled work
@dataclass
class Stalled:
    kind: str
    ref: str
    rto: str
    status: str
    attempts: int
    since: dt.datetime


_LIMIT = 50  # rows shown per kind; the count is exact


def stalled_work() -> dict[str, tuple[int, list[Stalled]]]:
    """Working rows with no progress past their sweep's stall period, or already restarted
    by a sweep, per kind: (how many, the oldest ``_LIMIT``). Department-wide (every RTO)."""
    from django.db.models import Exists, OuterRef, Q
    from django_scopes import scopes_disabled

    from achievements.models import Submission
    from achievements.services import SUBMISSION_STALL_AFTER
    from core.models import ReferenceUpload
    from pqs_claims.models import FROZEN_BATCH_STATUSES, PaymentBatch, PaymentBatchChunk
    from pqs_claims.services import CHUNK_STALL_AFTER
    from reference.uploads import STALL_AFTER, WORKING

    now = timezone.now()
    S = Submission.Status
    out: dict[str, tuple[int, list[Stalled]]] = {}
    with scopes_disabled():
        subs = (
            Submission.objects.filter(
                status__in=(S.RECEIVED, S.VALIDATING, S.COMMITTING, S.LODGING)
            )
            .filter(Q(updated_at__lt=now - SUBMISSION_STALL_AFTER) | Q(attempts__gt=0))
            .select_related("rto")
            .order_by("updated_at")
        )
        for kind, label in Submission.Kind.choices:
            qs = subs.filter(kind=kind)
            out["Claims" if kind == Submission.Kind.CLAIM else "Register submissions"] = (
                qs.count(),
                [
                    Stalled(
                        label,
                        s.public_id,
                        s.rto.code,
                        s.get_status_display(),
                        s.attempts,
                        s.updated_at,
                    )
                    for s in qs[:_LIMIT]
                ],
            )

        chunks = PaymentBatchChunk.objects.filter(batch=OuterRef("pk"))
        pending = chunks.filter(status=PaymentBatchChunk.Status.PENDING)
        cutoff = now - CHUNK_STALL_AFTER
        no_progress = Q(run_started_at__lt=cutoff) & ~Exists(chunks.filter(finished_at__gte=cutoff))
        batches = (
            PaymentBatch.objects.exclude(status__in=FROZEN_BATCH_STATUSES)
            .filter(Exists(pending))
            .filter(no_progress | Exists(pending.filter(attempts__gt=0)))
            .order_by("run_started_at")
        )
        rows = []
        for b in batches[:_LIMIT]:
            restarts = max(
                b.chunks.filter(status=PaymentBatchChunk.Status.PENDING).values_list(
                    "attempts", flat=True
                ),
                default=0,
            )
            rows.append(
                Stalled(
                    "Payment batch",
                    b.period,
                    "All",
                    b.get_status_display(),
                    restarts,
                    b.run_started_at,
                )
            )
        out["Payment batches"] = (batches.count(), rows)

    uploads = (
        ReferenceUpload.objects.filter(status__in=WORKING)
        .filter(Q(updated_at__lt=now - STALL_AFTER) | Q(attempts__gt=0))
        .order_by("updated_at")
    )
    out["Reference-data uploads"] = (
        uploads.count(),
        [
            Stalled(u.kind, u.public_id, "", u.get_status_display(), u.attempts, u.updated_at)
            for u in uploads[:_LIMIT]
        ],
    )
    return out
