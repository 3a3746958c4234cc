"""Background work yields the CPU (core.priority): a worker process and the local
PostgreSQL backends of its connections run at the worker's nice value."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from core import priority


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def _backend_pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


@pytest.fixture
def fresh_connection(db):
    conn = connections.create_connection("default")
    yield conn
    conn.close()  # its backend ends with it: nothing to restore


def test_a_local_backend_gets_the_workers_nice_value(fresh_connection):
    conn = fresh_connection
    conn.ensure_connection()
    pid = _backend_pid(conn)
    if not os.path.exists(f"/proc/{pid}"):
        pytest.skip("the database server is not on this machine")
    assert _nice(pid) == 0
    assert priority.renice_backend(conn, 7)
    assert _nice(pid) == 7
    assert not priority.renice_backend(conn, 0)  # 0: leave it as it is
    assert _nice(pid) == 7


def test_a_remote_database_is_left_alone(fresh_connection):
    conn = fresh_connection
    conn.ensure_connection()
    conn.settings_dict = {**conn.settings_dict, "HOST": "db.example.internal"}
    pid = _backend_pid(conn)
    assert not priority.renice_backend(conn, 7)
    if os.path.exists(f"/proc/{pid}"):
        assert _nice(pid) == 0


def test_background_priority_renices_the_process_and_each_new_connection(db, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("restoring this process's priority afterwards needs root")
    before = _nice(0)
    monkeypatch.setattr(priority, "_background_nice", 0)
    try:
        priority.background_priority(5)
        assert _nice(0) == max(before, 5)
        conn = connections.create_connection("default")
        try:
            conn.ensure_connection()  # connection_created: reniced
            pid = _backend_pid(conn)
            if os.path.exists(f"/proc/{pid}"):
                assert _nice(pid) == 5
        finally:
            conn.close()
    finally:
        from django.db.backends.signals import connection_created

        connection_created.disconnect(dispatch_uid="core.priority")
        os.setpriority(os.PRIO_PROCESS, 0, before)
