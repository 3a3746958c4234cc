"""A batch whose worker died mid-calculation: the sweep queues its pending chunks again,
leaves alone a chunk a live worker holds, and the batch ends with the same lines."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from pqs_claims import services
from pqs_claims.models import PaymentBatch, PaymentBatchChunk, PaymentLine
from tests.pqs_claims.test_batch_sql import _populate

pytestmark = pytest.mark.django_db(transaction=True)
PENDING, DONE = PaymentBatchChunk.Status.PENDING, PaymentBatchChunk.Status.DONE


def _stalled_batch() -> PaymentBatch:
    _populate(3)
    batch = services.payment_batch_run(period="2026-10", calculate=False)
    PaymentBatch.objects.filter(pk=batch.pk).update(
        run_started_at=timezone.now() - dt.timedelta(minutes=30)
    )
    return batch


def test_sweep_finishes_a_stalled_batch_once():
    with scopes_disabled():
        batch = _stalled_batch()
        chunks = set(PaymentBatchChunk.objects.filter(batch=batch).values_list("pk", flat=True))
        assert len(chunks) > 1
        # tests run Celery eagerly: the re-queued chunks are calculated right here
        assert set(services.payment_chunks_restart_stalled()) == chunks
        batch.refresh_from_db()
        assert set(
            PaymentBatchChunk.objects.filter(batch=batch).values_list("status", flat=True)
        ) == {DONE}
        assert batch.status == PaymentBatch.Status.CALCULATED
        lines = PaymentLine.objects.filter(batch=batch).count()
        assert lines == batch.line_count > 0
        assert services.payment_chunks_restart_stalled() == []  # nothing pending


def test_recent_progress_or_a_held_chunk_is_left_alone():
    with scopes_disabled():
        batch = _stalled_batch()
        first = PaymentBatchChunk.objects.filter(batch=batch).order_by("pk").first()
        # a chunk finished a minute ago: the batch is moving, not stalled
        services.payment_chunk_calculate(first.pk)
        PaymentBatchChunk.objects.filter(pk=first.pk).update(finished_at=timezone.now())
        assert services.payment_chunks_restart_stalled() == []
        PaymentBatchChunk.objects.filter(pk=first.pk).update(
            finished_at=timezone.now() - dt.timedelta(minutes=20)
        )
        held = PaymentBatchChunk.objects.filter(batch=batch, status=PENDING).order_by("pk")[0]
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params) as worker:  # a live worker calculating one chunk
            worker.execute(
                "SELECT 1 FROM pqs_claims_paymentbatchchunk WHERE id = %s FOR UPDATE", [held.pk]
            )
            restarted = services.payment_chunks_restart_stalled()
            assert held.pk not in restarted and restarted
            assert PaymentBatchChunk.objects.get(pk=held.pk).status == PENDING


def test_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["pqs-claims-chunk-sweep"]
    assert entry["task"] == "pqs_claims.tasks.payment_chunk_sweep"


def test_sweep_gives_up_after_max_attempts_and_says_so(monkeypatch, client):
    """Issue 12, finding 3: chunks whose worker dies every time are restarted MAX_ATTEMPTS
    times, then marked failed with a message (shown on the batch page) and audited."""
    from django.urls import reverse

    from core.leases import MAX_ATTEMPTS
    from core.models import AuditEvent
    from pqs_claims import tasks
    from tests.factories import make_user

    queued = []
    monkeypatch.setattr(tasks.payment_chunk_task, "delay", lambda *a, **k: queued.append(a))
    with scopes_disabled():
        batch = _stalled_batch()
        n_chunks = PaymentBatchChunk.objects.filter(batch=batch).count()
        for n in range(1, MAX_ATTEMPTS + 1):
            assert len(services.payment_chunks_restart_stalled()) == n_chunks
            assert set(
                PaymentBatchChunk.objects.filter(batch=batch).values_list("attempts", flat=True)
            ) == {n}
        assert services.payment_chunks_restart_stalled() == []
        assert len(queued) == MAX_ATTEMPTS * n_chunks
        chunks = PaymentBatchChunk.objects.filter(batch=batch)
        assert {c.status for c in chunks} == {PaymentBatchChunk.Status.FAILED}
        assert all(f"restarted {MAX_ATTEMPTS} times" in c.failure for c in chunks)
        assert AuditEvent.objects.filter(action="payment_chunk.gave_up").count() == n_chunks
        batch.refresh_from_db()
        assert batch.status == PaymentBatch.Status.DRAFT
    client.force_login(make_user(department_role="officer"))
    resp = client.get(reverse("payments:batch_detail", args=[batch.public_id]))
    assert resp.status_code == 200
    assert b"Press Recalculate to start the batch again" in resp.content


def test_a_chunk_task_error_ends_the_chunk_failed_with_a_message(monkeypatch):
    """Issue 12, finding 3: an error in a chunk task leaves no chunk pending for ever."""
    from core.models import AuditEvent
    from pqs_claims import tasks

    def boom(*a, **k):
        raise RuntimeError("lost the connection")

    with scopes_disabled():
        batch = _stalled_batch()
        chunk = PaymentBatchChunk.objects.filter(batch=batch).order_by("pk").first()
        monkeypatch.setattr(tasks, "payment_chunk_calculate", boom)  # the name the task calls
        tasks.payment_chunk_task.apply(args=(chunk.pk,), kwargs={"rto_id": chunk.rto_id})
        chunk.refresh_from_db()
        assert chunk.status == PaymentBatchChunk.Status.FAILED
        assert "unexpected error (RuntimeError)" in chunk.failure
        assert "Press Recalculate" in chunk.failure
        assert AuditEvent.objects.filter(action="payment_chunk.failed").count() == 1
        assert not PaymentLine.objects.filter(batch=batch, rto_id=chunk.rto_id).exists()
        assert services.payment_chunk_failed(chunk.pk, RuntimeError()) is False  # once


def test_a_real_beat_tick_outside_any_scope_finishes_the_batch(settings):
    """The beat entry's task, looked up and applied the way Celery runs it (no tenant
    scope active): it used to fail with ScopeError every five minutes."""
    from celery import current_app

    with scopes_disabled():
        batch = _stalled_batch()
        pending = PaymentBatchChunk.objects.filter(batch=batch, status=PENDING).count()
    assert pending > 1
    name = settings.CELERY_BEAT_SCHEDULE["pqs-claims-chunk-sweep"]["task"]
    result = current_app.tasks[name].apply()
    assert result.successful(), result.traceback
    assert result.get() == pending
    with scopes_disabled():
        batch.refresh_from_db()
        assert batch.status == PaymentBatch.Status.CALCULATED
        assert not PaymentBatchChunk.objects.filter(batch=batch, status=PENDING).exists()
