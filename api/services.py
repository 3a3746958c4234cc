"""API tokens and webhooks: made, revoked and checked here (writes audited in the same
transaction). Issue 16: tokens per RTO, scoped, expiring, revocable, stored hashed, shown
once, every use audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError

from .models import ApiToken, Webhook
from .webhooks import webhook_url_problem

#: Every token secret starts with this, so secret scanners and people can recognise one.
TOKEN_PREFIX = "cqr_"  # noqa: S105 - a public prefix, not a secret
#: The longest a token may live; the page offers shorter.
MAX_TOKEN_DAYS = 366


def token_hash(secret: str) -> str:
    """SHA-256 of the whole secret, as stored (a 256-bit random secret needs no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, rto, actor, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    """Make a token for ``rto`` and return it with its secret, which is not stored and
    cannot be shown again. ``scopes`` ⊆ ``ApiToken.SCOPES``; ``days`` 1…MAX_TOKEN_DAYS."""
    scopes = sorted(set(scopes))
    if not scopes or any(s not in ApiToken.SCOPES for s in scopes):
        raise ApplicationError("Choose at least one scope: submit, read or both.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ApplicationError(f"A token lives between 1 and {MAX_TOKEN_DAYS} days.")
    if rto.is_ceased:
        raise ApplicationError("A ceased RTO cannot make API tokens.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            rto=rto,
            name=name.strip()[:80] or "API token",
            prefix=secret[:12],
            token_hash=token_hash(secret),
            scopes=scopes,
            expires_at=timezone.now() + dt.timedelta(days=days),
            created_by=actor,
        )
        audit_record(
            "api_token.created",
            actor=actor,
            rto=rto,
            obj=token,
            extra={"name": token.name, "scopes": scopes, "expires_at": token.expires_at},
        )
    return token, secret


def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke ``token`` now (it answers 401 from the next request on); idempotent."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit_record("api_token.revoked", actor=actor, rto=locked.rto_id, obj=locked)
    return locked


def token_authenticate(secret: str) -> ApiToken | None:
    """The usable token whose secret this is, or None (unknown, revoked or expired: the
    caller answers the same 401 for each). Records when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = timezone.now()
    with scopes_disabled():  # the token is what names the tenant
        token = ApiToken.objects.select_related("rto").filter(token_hash=token_hash(secret)).first()
        if token is None or not token.is_usable(now):
            return None
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_use_record(token: ApiToken, *, method: str, path: str) -> None:
    """Every use of a token is audited: who (the token), which RTO, what was asked."""
    audit_record(
        "api_token.used",
        actor=token.label,
        rto=token.rto_id,
        obj=token,
        extra={"method": method, "path": path[:200]},
    )


def webhook_set(*, rto, actor, url: str) -> tuple[Webhook, str]:
    """Register ``url`` as the RTO's webhook (replacing the one before) with a new signing
    secret, returned once. The URL is checked (https, public address) unless the
    ``CQR_WEBHOOK_ALLOW_LOCAL`` setting allows local targets (development, tests)."""
    problem = webhook_url_problem(url)
    if problem:
        raise ApplicationError(problem)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        Webhook.objects.filter(rto=rto, removed_at__isnull=True).update(removed_at=timezone.now())
        hook = Webhook.objects.create(rto=rto, url=url, secret=secret, created_by=actor)
        audit_record("webhook.registered", actor=actor, rto=rto, obj=hook, extra={"url": url})
    return hook, secret


def webhook_remove(*, rto, actor) -> None:
    with transaction.atomic():
        hook = Webhook.objects.filter(rto=rto, removed_at__isnull=True).first()
        if hook is not None:
            hook.removed_at = timezone.now()
            hook.save(update_fields=["removed_at"])
            audit_record("webhook.removed", actor=actor, rto=rto, obj=hook, extra={"url": hook.url})
