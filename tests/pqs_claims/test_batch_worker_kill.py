"""A worker killed (SIGKILL) in the middle of a payment batch: the killed chunk's
transaction rolls back, the chunk stays pending, and after a restart the batch is finished
with every line exactly once (acks_late redelivery, the chunk's row lock and "done" check).

A real Celery worker (``-P solo``, queue ``payments``) against this test's database and the
real Redis, every broker key under a prefix of this test's own (tests/worker_harness.py).
The worker is caught inside a chunk by a lock this test holds on the batch row (the payment
line insert trigger takes FOR KEY SHARE on it), so the kill lands mid-statement."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from pqs_claims import services
from pqs_claims.models import ClaimLine, PaymentBatch, PaymentBatchChunk, PaymentLine
from tests.pqs_claims.test_batch_sql import _populate
from tests.worker_harness import Worker, drop_orphans, flush_prefix, sender, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _chunk_waiting() -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            " AND query ILIKE '%%EXECUTE pqs_payment_chunk%%'"
        )
        return cur.fetchone()[0] > 0


def test_worker_killed_mid_batch_finishes_every_chunk_once():
    with scopes_disabled():
        _populate(3, earlier_batch=False)
        batch = services.payment_batch_run(period="2026-10", calculate=False)
        chunks = list(PaymentBatchChunk.objects.filter(batch=batch).values_list("pk", "rto_id"))
        candidates = (
            ClaimLine.objects.filter(lodged_at__lte=batch.cutoff)
            .exclude(
                pk__in=ClaimLine.objects.filter(
                    supersedes__isnull=False, lodged_at__lte=batch.cutoff
                ).values("supersedes_id")
            )
            .count()
        )
    assert len(chunks) > 1
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    holder = psycopg.connect(**params)  # holds the batch row until the worker is killed
    holder.execute("SELECT 1 FROM pqs_claims_paymentbatch WHERE id = %s FOR UPDATE", [batch.pk])
    prefix = f"cqr-paykill-{uuid.uuid4().hex[:12]}:"
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    log = Path(tempfile.gettempdir()) / f"{prefix.rstrip(':')}.log"
    app = sender(prefix)
    workers: list[Worker] = []
    try:
        for pk, rto_id in chunks:
            app.send_task(
                "pqs_claims.tasks.payment_chunk_task",
                args=[pk],
                kwargs={"rto_id": rto_id},
                queue="payments",
            )
        w = Worker(prefix, media, log, queue="payments")
        workers.append(w)
        w.start()
        wait_for(_chunk_waiting, 120, "a chunk to be calculating", log, step=0.02)
        w.kill()
        drop_orphans()  # the killed worker's session (and the lock holder's) end
        holder.close()
        with scopes_disabled():
            assert not PaymentLine.objects.filter(batch=batch).exists()  # rolled back
            assert PaymentBatchChunk.objects.filter(batch=batch, status="pending").count() == (
                len(chunks)
            )
        w2 = Worker(prefix, media, log, queue="payments")
        workers.append(w2)
        w2.start()
        done = wait_for(
            lambda: PaymentBatch.objects.get(pk=batch.pk).status == "calculated",
            300,
            "the batch after the restart",
            log,
            step=0.2,
        )
        assert done
        with scopes_disabled():
            batch.refresh_from_db()
            lines = list(PaymentLine.objects.filter(batch=batch).values_list("claim_line_id"))
            assert len(lines) == len(set(lines)) == candidates == batch.line_count
            assert set(
                PaymentBatchChunk.objects.filter(batch=batch).values_list("status", "run_count")
            ) == {("done", 1)}
        assert services.payment_chunks_restart_stalled() == []
    finally:
        for w in workers:
            w.stop()
        if not holder.closed:
            holder.close()
        flush_prefix(prefix)
