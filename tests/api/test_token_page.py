"""The RTO workspace's API tokens page: administrators make (secret shown once, stored
hashed), revoke, register the webhook; other roles and grants may not."""

from __future__ import annotations

import re

from django.test import Client
from django_scopes import scopes_disabled

from api.models import ApiToken, Webhook
from api.services import token_hash
from core.models import AuditEvent
from tests.api.conftest import ApiClient


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_admin_makes_a_token_shown_once_and_stored_hashed(world):
    c = _client(world.admin_a.user)
    url = f"/rto/{world.rto_a.code}/api-tokens/"
    page = c.post(url, {"name": "SMS production", "scopes": ["submit", "read"], "days": 30})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    secret = re.search(r'value="(cqr_[^"]+)"', page.content.decode()).group(1)
    with scopes_disabled():
        token = ApiToken.objects.get(rto=world.rto_a)
    assert token.token_hash == token_hash(secret) and secret not in str(token.__dict__)
    assert token.scopes == ["read", "submit"] and token.created_by == world.admin_a.user
    assert (token.expires_at - token.created_at).days in (29, 30)
    again = c.get(url).content.decode()
    assert secret not in again and token.prefix in again and "Never" in again
    assert ApiClient(secret).get("/api/v1/submissions").status_code == 200
    # revoked from the page: refused at once
    r = c.post(f"{url}{token.public_id}/revoke/")
    assert r.status_code == 302
    assert ApiClient(secret).get("/api/v1/submissions").status_code == 401
    assert "Revoked" in c.get(url).content.decode()
    with scopes_disabled():
        actions = list(AuditEvent.objects.filter(rto=world.rto_a).values_list("action", flat=True))
    assert "api_token.created" in actions and "api_token.revoked" in actions


def test_bad_token_form_is_a_400_with_the_reason(world):
    c = _client(world.admin_a.user)
    r = c.post(f"/rto/{world.rto_a.code}/api-tokens/", {"name": "x", "days": 999})
    text = r.content.decode()
    assert r.status_code == 400 and 'aria-invalid="true"' in text
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_only_administrators(world):
    url = f"/rto/{world.rto_a.code}/api-tokens/"
    assert _client(world.data_a.user).get(url).status_code == 403
    assert _client(world.admin_b.user).get(url).status_code == 404
    assert _client(world.admin_a.user).get(url).status_code == 200


def test_webhook_registered_on_the_page(world, settings):
    c = _client(world.admin_a.user)
    url = f"/rto/{world.rto_a.code}/api-tokens/webhook/"
    settings.CQR_WEBHOOK_ALLOW_LOCAL = False
    r = c.post(url, {"url": "https://127.0.0.1/hook"})
    assert r.status_code == 400 and "private, loopback" in r.content.decode()
    r = c.post(url, {"url": "https://93.184.215.14/hook"})
    assert r.status_code == 200 and "whsec_" in r.content.decode()
    with scopes_disabled():
        hook = Webhook.objects.get(rto=world.rto_a, removed_at__isnull=True)
    assert hook.secret in r.content.decode()
    assert hook.secret not in c.get(f"/rto/{world.rto_a.code}/api-tokens/").content.decode()
    assert c.post(url, {"action": "remove"}).status_code == 302
    with scopes_disabled():
        assert not Webhook.objects.filter(rto=world.rto_a, removed_at__isnull=True).exists()


def test_api_requests_stay_out_of_the_dashboards_recent_activity(world, token_a):
    ApiClient(token_a).get("/api/v1/submissions")
    with scopes_disabled():
        assert AuditEvent.objects.filter(rto=world.rto_a, action="api_token.used").exists()
    page = _client(world.admin_a.user).get(f"/rto/{world.rto_a.code}/").content.decode()
    assert "API token made" in page and "API request with a token" not in page
