"""Health, readiness and metrics endpoints (for the load balancer, the orchestrator and
Prometheus). None needs a session: they sit outside the MFA and tenant middleware's paths,
are not rate limited, never cached, and run outside ATOMIC_REQUESTS so that a database
outage gives a 503, not a 500.

* ``/healthz``: the process answers (200 ``ok``); touches nothing else.
* ``/readyz``: the database and Redis answer, the file storage can write, read and delete
  a probe file, and no migration is unapplied → 200 ``{"status": "ready"}``; else 503 with
  only the names of the failed checks (the reasons go to the log, never to the response:
  no error text, versions or host names).
* ``/metrics``: the Prometheus text format, only with ``Authorization: Bearer
  <METRICS_TOKEN>``; without the token, or with none configured, 404 as for any unknown
  URL.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, multiprocess
from prometheus_client import generate_latest as latest

from .metrics import QueueDepthCollector
from .ops import redis_client

log = logging.getLogger(__name__)


def check_database() -> None:
    with connections["default"].cursor() as cur:
        cur.execute("SELECT 1")


def check_redis() -> None:
    client = redis_client()
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    """Write, read back and delete a tiny probe file in the default (private) storage."""

    body = secrets.token_hex(8).encode()
    name = default_storage.save(f"healthcheck/probe-{body.decode()}.txt", ContentFile(body))
    try:
        with default_storage.open(name, "rb") as fh:
            if fh.read() != body:
                raise OSError("storage probe read back different bytes")
    finally:
        default_storage.delete(name)


_migrations_applied = False  # once all are applied a running process keeps that answer


def _migration_plan() -> list:
    executor = MigrationExecutor(connections["default"])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def check_migrations() -> None:
    """No unapplied migration (``MigrationExecutor`` plan empty). Loading the migration
    graph is the costly part, so a process that has seen them all applied stops asking."""
    global _migrations_applied
    if _migrations_applied:
        return
    if _migration_plan():
        raise RuntimeError("unapplied migrations")
    _migrations_applied = True


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "migrations": check_migrations,
}


def readiness() -> list[str]:
    """The names of the checks that fail (empty: ready). A check that cannot run because
    the database is down (migrations) fails too."""
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            failed.append(name)
    return failed


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
@transaction.non_atomic_requests
def readyz(request):
    failed = readiness()
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ready"})


def _token_ok(request) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "")
    if not expected:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


@never_cache
@require_safe
@transaction.non_atomic_requests
def metrics(request):
    """Prometheus exposition, for a scraper holding ``METRICS_TOKEN`` (else 404)."""
    if not _token_ok(request):
        raise Http404

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Chain(REGISTRY))
    registry.register(QueueDepthCollector())
    return HttpResponse(latest(registry), content_type=CONTENT_TYPE_LATEST)


class _Chain:
    """The process's default registry as one collector of a per-scrape registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()
