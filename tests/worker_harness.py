"""A real Celery worker for tests that kill workers (SIGKILL) and restart them.

The worker runs ``cqr_portal.settings.worker_test``: tasks go through the real Redis, every
broker key under a prefix of the test's own (so it neither takes nor restores anyone
else's messages), against the database and media folder of the test that started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    """One ``celery worker -P solo`` subprocess on ``queue``, under our key prefix."""

    def __init__(self, prefix: str, media: str, log: Path, *, queue: str):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cqr_portal.settings.worker_test",
            "CQR_WORKER_DB_NAME": connection.settings_dict["NAME"],
            "CQR_WORKER_MEDIA_ROOT": media,
            "CQR_WORKER_KEY_PREFIX": prefix,
        }
        self.queue = queue
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cqr_portal", "worker", "-Q", self.queue,
             "-P", "solo", "--concurrency", "1", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "-l", "info"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def sender(prefix: str):
    """A Celery app that sends to the worker's prefixed queues."""
    from celery import Celery

    # Not the current app: tests that run after this one must keep the eager test app.
    app = Celery("cqr-kill-test", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    app.conf.broker_transport_options = {"global_keyprefix": prefix}
    app.conf.task_serializer = "json"
    return app


def wait_for(pred, timeout: float, what: str, log: Path, step: float = 0.05):
    """Poll ``pred`` until it returns something truthy; fail with the worker's log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(step)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{tail}")


def drop_orphans() -> None:
    """End the killed worker's database session (PostgreSQL would only notice the dead
    client when its statement finishes): its open transaction rolls back. Only sessions on
    this test's own database, i.e. this test's workers."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


class LeaseHolder:
    """A second PostgreSQL session — a live worker — holding a work lease
    (``core.leases``) until :meth:`die`."""

    def __init__(self, namespace: str, key: int):
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.namespace, self.key = namespace, key
        self.conn = psycopg.connect(**params, autocommit=True)
        self.conn.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [namespace, key % 2**31])

    def die(self, timeout: float = 10.0) -> None:
        """The worker dies: its connection closes and the server releases the lease. The
        server ends the backend after the client has gone, so wait (bounded) until the
        lease is free rather than race it."""
        from core.leases import lease_is_free

        self.conn.close()
        deadline = time.monotonic() + timeout
        while not lease_is_free(self.namespace, self.key):
            if time.monotonic() > deadline:
                raise AssertionError(f"lease {self.namespace}:{self.key} still held")
            time.sleep(0.02)


def flush_prefix(prefix: str) -> None:
    """Delete only this run's broker keys (those under its own prefix)."""
    import redis

    url = settings.CELERY_BROKER_URL.replace("redis+socket://", "unix://", 1)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
