"""Operations read-outs for the department's Operations page (``dashboards.operations``,
which adds the stalled work of each app) and the Prometheus metrics: Celery queue depths
and when each stalled-work sweep last ran. The sweeps themselves decide what to restart;
this only shows it.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

#: The stalled-work sweeps (Celery task name → what the Operations page calls it).
SWEEPS = {
    "achievements.submission_sweep": "Submissions and claims",
    "pqs_claims.tasks.payment_chunk_sweep": "Payment batch chunks",
    "core.reference_sweep": "Reference-data uploads",
    "api.webhook_sweep": "Webhook deliveries",
}
_SWEEP_KEY = "ops:sweep-ran:{}"

# kombu's Redis transport keeps a queue's messages of priority 0 in a list named after the
# queue, and those of the other priority steps (3, 6, 9 by default) in "<queue>\x06\x16<n>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_REDIS_TIMEOUT = 2.0  # seconds: a probe or a scrape must not hang on a dead Redis


def redis_client(url: str | None = None, *, timeout: float | None = _REDIS_TIMEOUT) -> redis.Redis:
    """A redis-py client on ``url`` (default ``REDIS_URL``) whose connects and commands give
    up after ``timeout`` seconds (None: wait). One client per process, URL and timeout, so its
    connection pool is shared; redis-py's pool opens new connections after a fork."""
    url = url or settings.REDIS_URL
    client = _clients.get((url, timeout))
    if client is None:
        client = _clients[url, timeout] = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
    return client


_clients: dict[tuple[str, float | None], redis.Redis] = {}


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
