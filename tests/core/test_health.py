"""Health, readiness, metrics and the Operations page (issue 17, "Health and metrics").

Rules: /healthz answers without touching the database; /readyz is 200 only when the
database, Redis, the file storage and the migrations are all fine, else 503 naming only
the failed checks; both are public, not cached and not sent to the MFA set-up. /metrics is
a 404 without the METRICS_TOKEN bearer token. The Operations page is for department
administrators."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

import core.health
from cqr_portal.celery import app
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@app.task(name="tests.health_log_probe")
def log_probe():
    """A task that logs one line (the worker side of the request-id propagation)."""
    import logging

    logging.getLogger("cqr.test.task").info("task running")


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch):
    monkeypatch.setattr(core.health, "_migrations_applied", False)


def _failed(response) -> list[str]:
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"status", "failed"}, body  # names only: no errors, versions, hosts
    assert body["status"] == "unavailable"
    return body["failed"]


# ---------------------------------------------------------------------------- /healthz
def test_healthz_is_ok_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


def test_probes_skip_the_mfa_set_up_for_a_signed_in_person(client):
    user = make_user(mfa=False, department_role="officer")
    client.force_login(user)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    # a page of theirs is still sent to the MFA set-up (the exemption is only the probes)
    assert client.get(reverse("department:overview")).status_code == 302


# ---------------------------------------------------------------------------- /readyz
def test_readyz_ready(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert "no-store" in response["Cache-Control"]
    from pathlib import Path

    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    assert not any((media / "healthcheck").iterdir())  # the probe file was deleted


def test_readyz_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert _failed(response) == ["redis"]
    assert b"127.0.0.1" not in response.content
    assert b"Error" not in response.content


def test_readyz_database_down(client, monkeypatch):
    class Down:
        def __getitem__(self, alias):
            raise OperationalError('could not connect to server at "db.internal" port 5432')

    monkeypatch.setattr(core.health, "connections", Down())
    response = client.get("/readyz")
    failed = _failed(response)
    assert "database" in failed and "redis" not in failed and "storage" not in failed
    assert b"db.internal" not in response.content and b"5432" not in response.content


def test_readyz_storage_not_writable(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker)},
        },
    }
    response = client.get("/readyz")
    assert _failed(response) == ["storage"]
    assert str(tmp_path).encode() not in response.content


def test_readyz_unapplied_migration(client, monkeypatch):
    monkeypatch.setattr(core.health, "_migration_plan", lambda: [("core.9999_new", False)])
    response = client.get("/readyz")
    assert _failed(response) == ["migrations"]
    assert b"9999" not in response.content


def test_migration_check_asks_until_all_are_applied(monkeypatch):
    plan = [["core.9999_new"]]
    monkeypatch.setattr(core.health, "_migration_plan", lambda: plan[0])
    assert core.health.readiness() == ["migrations"]
    plan[0] = []
    assert core.health.readiness() == []
    plan[0] = ["never asked again"]  # a process that saw them all applied stops asking
    assert core.health.readiness() == []


# ---------------------------------------------------------------------------- /metrics
def test_metrics_needs_the_token(client, settings, world):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 404
    client.force_login(world.dept_admin)  # a session is not a token
    assert client.get("/metrics").status_code == 404

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert 'cqr_celery_queue_depth{queue="ingest"}' in text
    assert 'cqr_celery_queue_depth{queue="default"}' in text
    assert "cqr_celery_task_duration_seconds" in text


def test_metrics_without_a_configured_token_is_closed(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_queue_depth_counts_waiting_messages(settings):
    from core.ops import queue_depths, redis_client

    prefix = "cqr-health-test:"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": prefix}
    client = redis_client()
    try:
        client.rpush(f"{prefix}ingest", "a", "b")
        client.rpush(f"{prefix}ingest\x06\x166", "c")
        depths = queue_depths()
        assert depths["ingest"] == 3
        assert depths["default"] == 0
    finally:
        client.delete(f"{prefix}ingest", f"{prefix}ingest\x06\x166")


def test_queue_depth_unknown_when_redis_is_down(settings):
    from core.ops import queue_depths

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert set(queue_depths().values()) == {None}


def _sample(name, labels=None):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels or {}) or 0


def test_submission_rows_counted_when_validation_finishes(world):
    from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

    files = nat_set(rows=12, clients=4, toid=world.rto_a.code)
    with scopes_disabled():
        load_products(files)
    before = _sample("cqr_submission_rows_total", {"stage": "validation"})
    sub = upload(world.rto_a, zip_bytes(files))
    with scopes_disabled():
        sub.refresh_from_db()
    assert sub.status == "validated" and sub.records_total > 0
    after = _sample("cqr_submission_rows_total", {"stage": "validation"})
    assert after - before == sub.records_total


def test_submission_rows_not_counted_for_unfinished_work(world):
    from achievements.metrics import submission_rows

    before = _sample("cqr_submission_rows_total", {"stage": "commit"})
    sub = _stalled_submission(world, attempts=0)
    submission_rows(sub.pk, "commit")  # still validating: nothing finished
    assert _sample("cqr_submission_rows_total", {"stage": "commit"}) == before


def _batch(period="2026-01", **kw):
    from pqs_claims.models import PaymentBatch

    return PaymentBatch.objects.create(period=period, cutoff=timezone.now(), **kw)


def test_payment_lines_counted_for_a_finished_chunk(world):
    from pqs_claims.metrics import payment_chunk_lines
    from pqs_claims.models import PaymentBatchChunk

    with scopes_disabled():
        batch = _batch()
        done = PaymentBatchChunk.objects.create(
            batch=batch, rto=world.rto_a, status="done", line_count=7
        )
        pending = PaymentBatchChunk.objects.create(
            batch=batch, rto=world.rto_b, status="pending", line_count=5
        )
    before = _sample("cqr_payment_batch_lines_total")
    payment_chunk_lines(pending.pk)
    assert _sample("cqr_payment_batch_lines_total") == before
    payment_chunk_lines(done.pk)
    assert _sample("cqr_payment_batch_lines_total") == before + 7


# ---------------------------------------------------------------------------- Celery
def test_task_duration_and_failures_by_task_name():
    from core.celery_signals import _task_failure, _task_postrun, _task_prerun

    class FakeTask:
        name = "tests.health_probe"

        class request:
            headers = None

    labels = {"task": "tests.health_probe"}
    runs = _sample("cqr_celery_task_duration_seconds_count", labels)
    fails = _sample("cqr_celery_task_failures_total", labels)
    _task_prerun(task_id="t-1", task=FakeTask)
    _task_postrun(task_id="t-1", task=FakeTask, state="SUCCESS")
    _task_failure(sender=FakeTask)
    assert _sample("cqr_celery_task_duration_seconds_count", labels) == runs + 1
    assert _sample("cqr_celery_task_failures_total", labels) == fails + 1


def test_a_finished_sweep_records_its_time():
    from achievements.tasks import submission_sweep_task
    from core.ops import sweeps_last_run

    assert dict(sweeps_last_run())["Submissions and claims"] is None
    submission_sweep_task.delay()
    when = dict(sweeps_last_run())["Submissions and claims"]
    assert when is not None and timezone.now() - when < dt.timedelta(minutes=1)
    assert dict(sweeps_last_run())["Payment batch chunks"] is None


# ---------------------------------------------------------------------------- Operations
def _stalled_submission(world, *, attempts=1, status="validating"):
    from achievements.models import Submission

    with scopes_disabled():
        sub = Submission.objects.create(
            rto=world.rto_a, file_name="stuck.zip", sha256="0" * 64, status=status
        )
        Submission.objects.filter(pk=sub.pk).update(
            attempts=attempts, updated_at=timezone.now() - dt.timedelta(hours=1)
        )
        sub.refresh_from_db()
    return sub


def test_operations_page_shows_queues_stalled_work_and_sweeps(client, world):
    from core.ops import sweep_ran

    stuck = _stalled_submission(world, attempts=2)
    with scopes_disabled():
        from achievements.models import Submission

        fresh = Submission.objects.create(
            rto=world.rto_a, file_name="busy.zip", sha256="1" * 64, status="validating"
        )
    sweep_ran("core.reference_sweep", dt.datetime(2026, 3, 2, 4, 5, tzinfo=dt.UTC))

    client.force_login(world.dept_admin)
    response = client.get(reverse("department:operations"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ingest" in html and "payments" in html
    assert stuck.public_id in html
    assert fresh.public_id not in html  # working, within its stall period, never restarted
    assert "Register submissions: 1" in html
    assert "02/03/2026 14:05:00" in html  # Brisbane time
    assert 'href="/department/operations/"' in html  # in the department navigation


def test_operations_page_is_for_department_admins(client, world):
    client.force_login(world.officer)
    assert client.get(reverse("department:operations")).status_code == 403
    client.force_login(world.admin_a.user)
    assert client.get(reverse("department:operations")).status_code == 404
    nav = client.get(reverse("department:overview"))
    assert b"/department/operations/" not in nav.content


def test_stalled_payment_batch_listed(world):
    from dashboards.operations import stalled_work
    from pqs_claims.models import PaymentBatchChunk

    with scopes_disabled():
        old = _batch("2026-02", run_started_at=timezone.now() - dt.timedelta(hours=2))
        PaymentBatchChunk.objects.create(batch=old, rto=world.rto_a, status="pending")
        busy = _batch("2026-03", run_started_at=timezone.now())
        PaymentBatchChunk.objects.create(batch=busy, rto=world.rto_a, status="pending")
    count, rows = stalled_work()["Payment batches"]
    assert count == 1 and rows[0].ref == "2026-02"


# ---------------------------------------------------------------------------- logs
def _json_lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def log_lines():
    """Everything logged while the test runs, through the production JSON formatter."""
    import io
    import logging

    from core.logging import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: _json_lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_request_id_kept_when_safe_and_replaced_when_not(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123.X_y")["X-Request-ID"] == (
        "abc-123.X_y"
    )
    for bad in ("a b", 'x"}{', "é", "a" * 65, ""):
        rid = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert rid != bad and len(rid) == 16 and rid.isalnum()


def test_a_request_log_line_is_json_with_request_id_and_rto(client, world, log_lines):
    client.force_login(world.admin_a.user)
    url = reverse(
        "achievements:submission_detail",
        kwargs={"rto_code": world.rto_a.code, "public_id": "NO-SUCH"},
    )
    response = client.get(url, HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert lines, "Django logs the 404"
    line = lines[-1]
    assert line["request_id"] == "req-42"
    assert line["rto"] == world.rto_a.code
    assert line["level"] == "WARNING" and "Not Found" in line["message"]
    assert {"time", "level", "logger", "message", "request_id"} <= set(line)


def test_log_lines_inside_a_tenant_request_carry_the_rto(world, log_lines, rf):
    import logging

    from django.http import HttpResponse

    from core.middleware import RequestIdMiddleware
    from rtos.middleware import TenantScopeMiddleware

    def view(request):
        logging.getLogger("cqr.test").info("inside the view")
        return HttpResponse("ok")

    request = rf.get(f"/rto/{world.rto_a.code}/anything/", HTTP_X_REQUEST_ID="req-7")
    request.user = world.admin_a.user
    RequestIdMiddleware(TenantScopeMiddleware(view))(request)
    logging.getLogger("cqr.test").info("after the request")
    inside, after = [line for line in log_lines() if line["logger"] == "cqr.test"]
    assert inside["rto"] == world.rto_a.code and inside["request_id"] == "req-7"
    assert "rto" not in after and after["request_id"] == "-"


def test_a_task_logs_the_request_id_that_queued_it(log_lines):
    from core.celery_signals import HEADER, _publish_request_id
    from core.request_context import request_id_var, task_var

    # the web request's id goes into the message headers when a task is published
    token = request_id_var.set("req-from-web")
    try:
        headers = {}
        _publish_request_id(headers=headers)
        assert headers == {HEADER: "req-from-web"}
    finally:
        request_id_var.reset(token)

    # the worker side: the task's log lines carry that id, the task id and name
    result = log_probe.apply(headers=headers, task_id="task-1")
    assert result.successful()
    lines = [line for line in log_lines() if line.get("task_name") == "tests.health_log_probe"]
    assert lines, "the task logs"
    assert {line["request_id"] for line in lines} == {"req-from-web"}
    assert {line["task_id"] for line in lines} == {"task-1"}
    assert task_var.get() is None and request_id_var.get() == "-"  # nothing leaks after


def test_a_task_queued_inline_keeps_the_request_id(log_lines):
    from core.request_context import request_id_var

    token = request_id_var.set("req-inline")
    try:
        log_probe.delay()  # eager in tests, as a task run inline
    finally:
        request_id_var.reset(token)
    lines = [line for line in log_lines() if line.get("task_name") == "tests.health_log_probe"]
    assert lines and {line["request_id"] for line in lines} == {"req-inline"}
