"""Webhooks: when a submission's validation finishes, each RTO's registered URL gets a
signed JSON event (issue 16, "as national collection APIs do").

Signature: ``X-CQR-Timestamp`` (Unix seconds) and ``X-CQR-Signature: sha256=<hex>``, the
HMAC-SHA256 with the webhook's secret of ``"<timestamp>.<body>"`` (the receiver recomputes
it and refuses old timestamps, which stops replays). Each delivery is a row
(``WebhookDelivery``: status, attempts, last response code) retried by the worker with
exponential backoff (``RETRY_DELAYS``).

Server-side request forgery: a webhook URL must be https and its host must resolve only to
public addresses — checked when it is registered and again before every attempt (DNS may
change); redirects are not followed. ``CQR_WEBHOOK_ALLOW_LOCAL`` (development and tests
only; production forces it off) allows http and local addresses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Submission

from .models import Webhook, WebhookDelivery

EVENT = "submission.validation_finished"
#: Seconds to wait before each retry (after the first attempt); then the delivery fails.
RETRY_DELAYS = (30, 120, 600, 1800, 7200)
TIMEOUT = 10
#: A pending delivery not attempted for this long past its due time is queued again.
STALL_MARGIN = dt.timedelta(minutes=10)


def _allow_local() -> bool:
    return bool(getattr(settings, "CQR_WEBHOOK_ALLOW_LOCAL", False))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def webhook_url_problem(url: str) -> str:
    """Why ``url`` may not be a webhook target ("" when it may)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter a full web address starting with https://."
    if parts.username or parts.password:
        return "The address must not contain a user name or password."
    if _allow_local():
        return ""
    if parts.scheme != "https":
        return "The address must start with https:// (deliveries are sent encrypted only)."
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"The host {parts.hostname} could not be found."
    if not infos or not all(_public(info[4][0]) for info in infos):
        return (
            "The address points to a private, loopback or reserved network address; a"
            " webhook must be reachable on the public internet."
        )
    return ""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def event_payload(sub: Submission) -> dict:
    """The event body: what finished, and where to read the rest."""
    return {
        "type": EVENT,
        "submission": {
            "id": sub.public_id,
            "kind": sub.kind,
            "status": sub.status,
            "errors": sub.errors_count,
            "warnings": sub.warnings_count,
            "records": sub.records_total,
            "records_with_errors": sub.records_with_errors,
            "url": f"/api/v1/submissions/{sub.public_id}",
        },
        "rto": sub.rto.code,
        "occurred_at": (sub.validated_at or sub.updated_at).isoformat(),
    }


def on_validation_finished(sender, submission_id: int, **kwargs) -> None:
    """``achievements.signals.validation_finished``: one delivery row per active webhook
    of the submission's RTO (at most one per submission and event), sent by the worker."""
    from .tasks import webhook_deliver_task  # noqa: PLC0415 - api.tasks imports this module

    with scopes_disabled():
        sub = Submission.objects.select_related("rto").get(pk=submission_id)
        for hook in Webhook.objects.filter(rto_id=sub.rto_id, removed_at__isnull=True):
            try:
                with transaction.atomic():
                    delivery = WebhookDelivery.objects.create(
                        rto_id=sub.rto_id,
                        webhook=hook,
                        event=EVENT,
                        submission=sub,
                        payload={**event_payload(sub), "delivery": None},
                    )
                    delivery.payload["delivery"] = delivery.public_id
                    delivery.save(update_fields=["payload"])
            except IntegrityError:  # a second run of the same validation: already queued
                continue
            webhook_deliver_task.delay(delivery.pk)


def webhook_attempt(delivery_id: int) -> bool | None:
    """Send one delivery once. Returns True when delivered (a 2xx answer), False when it
    should be tried again, None when it is finished (delivered before, or given up).
    Records the attempt, the response code or error, and the outcome on the row."""
    with scopes_disabled():
        d = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
        if d.status != WebhookDelivery.Status.PENDING:
            return None
        body = json.dumps(d.payload, separators=(",", ":"), sort_keys=True).encode()
        problem = webhook_url_problem(d.webhook.url)
        code, error = None, problem
        if not problem:
            ts = int(time.time())
            try:
                resp = requests.post(
                    d.webhook.url,
                    data=body,
                    timeout=TIMEOUT,
                    allow_redirects=False,
                    headers={
                        "Content-Type": "application/json",
                        "User-Agent": "CQR-Portal-Webhook/1",
                        "X-CQR-Event": d.event,
                        "X-CQR-Delivery": d.public_id,
                        "X-CQR-Timestamp": str(ts),
                        "X-CQR-Signature": sign(d.webhook.secret, ts, body),
                    },
                )
                code = resp.status_code
                error = "" if 200 <= code < 300 else f"answered HTTP {code}"
            except requests.RequestException as exc:
                error = f"could not connect ({type(exc).__name__})"
        d.attempts += 1
        d.response_code = code
        d.last_error = error[:300]
        d.last_attempt_at = timezone.now()
        ok = not error
        if ok:
            d.status, d.delivered_at = WebhookDelivery.Status.DELIVERED, d.last_attempt_at
        elif d.attempts > len(RETRY_DELAYS):
            d.status = WebhookDelivery.Status.FAILED
        d.save()
        return True if ok else (None if d.status == WebhookDelivery.Status.FAILED else False)


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after ``attempts`` attempts (backoff)."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def deliveries_restart_stalled(now=None) -> list[int]:
    """Queue again the pending deliveries whose task was lost (a worker died, the broker
    lost the delayed message): not attempted for ``STALL_MARGIN`` past the time their next
    attempt was due. Receivers de-duplicate by ``X-CQR-Delivery`` should one arrive twice."""
    from .tasks import webhook_deliver_task  # noqa: PLC0415 - api.tasks imports this module

    now = now or timezone.now()
    cutoff = now - STALL_MARGIN
    due = []
    with scopes_disabled():
        pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
            Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff)
        )
        for d in pending.only("pk", "attempts", "created_at", "last_attempt_at"):
            wait = dt.timedelta(seconds=retry_delay(d.attempts) if d.attempts else 0)
            if (d.last_attempt_at or d.created_at) + wait < cutoff:
                due.append(d.pk)
    for pk in due:
        webhook_deliver_task.delay(pk)
    return due
