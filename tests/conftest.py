"""Root fixtures: always two RTOs, so "works with one tenant" bugs surface (django-anchors
D.5). Factories create data with scopes disabled; the code under test runs scoped."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def _audit_anchor_dir(settings, tmp_path):
    """Each test's signed audit anchors live in its own folder (core.audit_anchor)."""
    settings.CQR_AUDIT_ANCHOR_DIR = str(tmp_path / "audit-anchors")


@pytest.fixture(autouse=True, scope="session")
def _test_flush_may_truncate_audit_log():
    """Transactional tests end with Django's flush, one TRUNCATE of every table; the audit
    log refuses TRUNCATE (core.AuditEvent), so only the test flush ignores that trigger."""
    import pgtrigger
    from django.db.backends.postgresql.operations import DatabaseOperations

    real = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with pgtrigger.ignore("core.AuditEvent:audit_event_no_truncate"):
            return real(self, sql_list)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in Redis: each test starts with a clean slate.

    Only this run's keys (its KEY_PREFIX) are deleted — never FLUSHDB, which would also
    wipe a dev server's Celery queues or another test run sharing the same Redis."""
    from django.conf import settings
    from django.core.cache import cache

    yield
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def world(db) -> World:
    with scopes_disabled():
        return make_world()


@pytest.fixture
def client_for(client, world):
    """client_for("staff_a") → a test client signed in as that persona (MFA set up)."""

    def _client(persona: str):
        from django.test import Client

        c = Client()
        user = world.persona(persona)
        if user is not None:
            c.force_login(user)
        return c

    return _client
