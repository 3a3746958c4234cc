"""The API journey against a live server, over HTTP only (``scripts/api_journey.py``): a
token made on the tokens page → submit a NAT zip → poll → issues → commit; the webhook
registered on the same page hears that validation finished. The pipeline runs in a real
Celery worker (``tests/worker_harness.py``: its own broker key prefix, this test's database
and media), which also sends the webhook; the web side's ``delay_on_commit`` sends to that
worker's queues instead of running eagerly, so the script really polls."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django_scopes import scopes_disabled

from achievements.models import UnitOutcome
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.api.test_webhooks import Receiver
from tests.worker_harness import Worker, flush_prefix, sender

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import api_journey  # noqa: E402


@pytest.fixture
def real_worker(monkeypatch, tmp_path):
    """A Celery worker on the ingest and default queues under this test's key prefix; the
    web's ``delay_on_commit`` of the pipeline's tasks sends to it after the commit."""
    from achievements import tasks
    from pqs_claims import tasks as claim_tasks

    prefix = f"cqr-api-{uuid.uuid4().hex[:12]}:"
    app = sender(prefix)

    def to_worker(task):
        def delay_on_commit(*args, **kwargs):
            transaction.on_commit(
                lambda: app.send_task(task.name, args=args, kwargs=kwargs, queue="ingest")
            )

        return delay_on_commit

    pipeline = (
        tasks.submission_validate_task,
        tasks.submission_commit_task,
        claim_tasks.submission_lodge_task,
    )
    for task in pipeline:
        monkeypatch.setattr(task, "delay_on_commit", to_worker(task))
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    worker = Worker(prefix, media, tmp_path / "worker.log", queue="ingest,default")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        flush_prefix(prefix)


@pytest.mark.django_db(transaction=True)
def test_token_submit_poll_issues_commit_over_http(live_server, world, tmp_path, real_worker):
    code = world.rto_a.code
    files = nat_set(30, 6, toid=code)
    files["NAT00120"][2]["subject_identifier"] = "NOSUCH001"  # one record stays out
    with scopes_disabled():
        load_products(files)
    path = tmp_path / "june.zip"
    path.write_bytes(zip_bytes(files))
    receiver = Receiver()
    try:
        # the administrator makes the token and registers the webhook on the page
        admin = Client()
        admin.force_login(world.admin_a.user)
        page = admin.post(
            f"/rto/{code}/api-tokens/", {"name": "SMS", "scopes": ["submit", "read"], "days": 7}
        )
        token = re.search(r'value="(cqr_[^"]+)"', page.content.decode()).group(1)
        assert (
            admin.post(f"/rto/{code}/api-tokens/webhook/", {"url": receiver.url}).status_code == 200
        )

        out = io.StringIO()
        result = api_journey.journey(
            live_server.url, token, path, key="june-2024", year=2024, timeout=180, out=out
        )
        steps = [json.loads(line) for line in out.getvalue().splitlines()]
        names = [s["step"] for s in steps]
        assert names[0] == "submitted" and "validated" in names and names[-1] == "done"
        assert any(
            s["step"] == "status" and s["status"] in ("received", "validating") for s in steps
        )
        assert any(s["step"] == "issue" and s["rule"] and s["hint"] for s in steps)
        assert result["status"] == "committed" and result["issues"] >= 1
        assert result["committed"] == result["records"] - result["records_with_errors"] > 0
        with scopes_disabled():
            assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 29
        # the webhook heard that validation finished, and the page lists the delivery
        deadline = time.monotonic() + 60  # the worker sends it just after validation
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        events = [json.loads(body) for _h, body in receiver.received]
        assert [e["submission"]["id"] for e in events] == [result["submission"]], (
            tmp_path / "worker.log"
        ).read_text()[-2000:]
        assert "Delivered" in admin.get(f"/rto/{code}/api-tokens/").content.decode()

        # the command-line script, run as a system would: the same key gives the same
        # submission (already committed: nothing more to commit)
        run = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "api_journey.py"), str(path),
             "--base", live_server.url, "--token", token, "--idempotency-key", "june-2024"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        last = json.loads(run.stdout.splitlines()[-1])
        assert last["submission"] == result["submission"] and last["status"] == "committed"
        # a wrong token: the script stops with the problem document, exit 2
        bad = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "api_journey.py"), str(path),
             "--base", live_server.url, "--token", "cqr_wrong"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert bad.returncode == 2 and json.loads(bad.stdout)["status"] == 401
    finally:
        receiver.close()
