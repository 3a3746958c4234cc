"""API fixtures: tokens of the two RTOs of the ``world`` and a client that sends one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiToken
from api.services import token_create


def make_token(rto, user, scopes=("submit", "read"), *, days=30, name="SMS") -> str:
    with scopes_disabled():
        _token, secret = token_create(
            rto=rto, actor=user, name=name, scopes=list(scopes), days=days
        )
    return secret


def expire(secret: str) -> None:
    from api.services import token_hash

    with scopes_disabled():
        ApiToken.objects.filter(token_hash=token_hash(secret)).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )


class ApiClient:
    """A Django test client sending ``Authorization: Bearer <secret>``."""

    def __init__(self, secret: str | None):
        self.c = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path, data=None, **kw):
        return self.c.get(path, data, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path, data=None, **kw):
        return self.c.post(
            path, data or {}, headers={**self.headers, **kw.pop("headers", {})}, **kw
        )


@pytest.fixture
def token_a(world):
    return make_token(world.rto_a, world.admin_a.user)


@pytest.fixture
def api_a(token_a):
    return ApiClient(token_a)
