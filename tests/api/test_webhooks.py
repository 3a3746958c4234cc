"""Webhooks: registered on the tokens page, called (signed, retried, logged) when a
submission's validation finishes; https and public addresses only in production (SSRF)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from achievements.models import Submission
from api import webhooks
from api.models import WebhookDelivery
from api.services import webhook_set
from core.errors import ApplicationError
from tests.achievements.helpers import nat_set, zip_bytes
from tests.api.conftest import ApiClient, make_token


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it receives and answers ``status``."""

    def __init__(self, status: int = 200):
        self.status, self.received = status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _submit(client, code, capture, seed=1):
    with capture(execute=True):
        r = client.post(
            "/api/v1/submissions",
            {"file": SimpleUploadedFile("s.zip", zip_bytes(nat_set(6, 2, toid=code, seed=seed)))},
        )
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_validation_finished_is_posted_signed_and_logged(
    world, receiver, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        hook, secret = webhook_set(rto=world.rto_a, actor=world.admin_a.user, url=receiver.url)
    client = ApiClient(make_token(world.rto_a, world.admin_a.user))
    sub_id = _submit(client, world.rto_a.code, django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = json.loads(body)
    assert event["type"] == "submission.validation_finished"
    assert event["submission"]["id"] == sub_id and event["submission"]["status"] == "validated"
    assert event["rto"] == world.rto_a.code
    ts = headers["X-CQR-Timestamp"]
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-CQR-Signature"] == f"sha256={expected}"
    assert webhooks.sign("another-secret", int(ts), body) != headers["X-CQR-Signature"]
    with scopes_disabled():
        d = WebhookDelivery.objects.get(webhook=hook)
    assert (d.status, d.attempts, d.response_code) == ("delivered", 1, 200)
    assert headers["X-CQR-Delivery"] == d.public_id == event["delivery"]
    # another RTO's submissions are never sent to this RTO's webhook
    other = ApiClient(make_token(world.rto_b, world.admin_b.user))
    _submit(other, world.rto_b.code, django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1


def test_failed_deliveries_are_retried_then_given_up(world, django_capture_on_commit_callbacks):
    failing = Receiver(status=500)
    try:
        with scopes_disabled():
            hook, _ = webhook_set(rto=world.rto_a, actor=world.admin_a.user, url=failing.url)
        client = ApiClient(make_token(world.rto_a, world.admin_a.user))
        _submit(client, world.rto_a.code, django_capture_on_commit_callbacks)
        with scopes_disabled():
            d = WebhookDelivery.objects.get(webhook=hook)
        assert (d.status, d.attempts, d.response_code) == ("pending", 1, 500)
        assert d.last_error == "answered HTTP 500"
        assert webhooks.retry_delay(1) < webhooks.retry_delay(2) < webhooks.retry_delay(5)
        results = [webhooks.webhook_attempt(d.pk) for _ in webhooks.RETRY_DELAYS]
        assert results == [False] * (len(webhooks.RETRY_DELAYS) - 1) + [None]
        failing.status = 200  # too late: given up, nothing more is sent
        assert webhooks.webhook_attempt(d.pk) is None
        with scopes_disabled():
            d.refresh_from_db()
        assert (d.status, d.attempts) == ("failed", len(webhooks.RETRY_DELAYS) + 1)
        assert len(failing.received) == len(webhooks.RETRY_DELAYS) + 1
    finally:
        failing.close()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://93.184.215.14/hook", True),  # a public address
        ("http://93.184.215.14/hook", False),  # not https
        ("https://127.0.0.1/hook", False),  # loopback
        ("https://localhost:8443/hook", False),
        ("https://10.1.2.3/hook", False),  # private
        ("https://192.168.0.10/hook", False),
        ("https://169.254.169.254/latest/meta-data", False),  # cloud metadata (link-local)
        ("https://[::1]/hook", False),
        ("https://[::ffff:127.0.0.1]/hook", False),
        ("https://user:pw@93.184.215.14/hook", False),
        ("ftp://93.184.215.14/hook", False),
    ],
)
def test_webhook_urls_in_production(settings, url, ok):
    settings.CQR_WEBHOOK_ALLOW_LOCAL = False
    assert (webhooks.webhook_url_problem(url) == "") is ok


def test_local_targets_only_when_the_setting_allows(world, settings, receiver):
    settings.CQR_WEBHOOK_ALLOW_LOCAL = False
    with scopes_disabled(), pytest.raises(ApplicationError, match="https"):
        webhook_set(rto=world.rto_a, actor=world.admin_a.user, url=receiver.url)
    settings.CQR_WEBHOOK_ALLOW_LOCAL = True
    with scopes_disabled():
        hook, _ = webhook_set(rto=world.rto_a, actor=world.admin_a.user, url=receiver.url)
        # a delivery's address is checked again when it is sent (DNS may have changed)
        sub = Submission.objects.create(rto=world.rto_a, file_name="x.zip", sha256="2" * 64)
        d = WebhookDelivery.objects.create(
            rto=world.rto_a, webhook=hook, event=webhooks.EVENT, submission=sub, payload={}
        )
    settings.CQR_WEBHOOK_ALLOW_LOCAL = False
    assert webhooks.webhook_attempt(d.pk) is False
    with scopes_disabled():
        d.refresh_from_db()
    assert receiver.received == [] and "https" in d.last_error and d.response_code is None


def test_a_lost_delivery_is_queued_again_by_the_sweep(world, receiver):
    import datetime as dt

    from django.utils import timezone

    from api.tasks import webhook_sweep_task

    with scopes_disabled():
        hook, _ = webhook_set(rto=world.rto_a, actor=world.admin_a.user, url=receiver.url)
        old, new = (
            WebhookDelivery.objects.create(
                rto=world.rto_a, webhook=hook, event=webhooks.EVENT, payload={"n": n},
                submission=Submission.objects.create(
                    rto=world.rto_a, file_name="x.zip", sha256=f"{n}" * 64
                ),
            )
            for n in (3, 4)
        )  # fmt: skip
        WebhookDelivery.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - webhooks.STALL_MARGIN - dt.timedelta(seconds=5)
        )
    assert webhook_sweep_task.delay().get() == 1  # the old one; the new one is not due
    with scopes_disabled():
        old.refresh_from_db()
        new.refresh_from_db()
    assert (old.status, new.status) == ("delivered", "pending")
    assert [json.loads(body) for _h, body in receiver.received] == [{"n": 3}]
