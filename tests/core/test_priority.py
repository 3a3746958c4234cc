"""Background work yields the CPU (core.priority): a worker process and the local
PostgreSQL backends of its connections run at the worker's nice value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections
from django.db.backends.signals import connection_created

from core import priority

AUTOGROUP = Path("/proc/self/autogroup")


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def _backend_pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _parent_nice(pid: int) -> int:
    """The nice value of the postmaster that forked backend ``pid`` (a backend starts at it)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    ppid = int(stat.rsplit(")", 1)[1].split()[1])
    return _nice(ppid)


@pytest.fixture
def fresh_connection(db):
    conn = connections.create_connection("default")
    conn.ensure_connection()
    pid = _backend_pid(conn)
    if not priority.is_local_backend(pid):
        conn.close()
        pytest.skip("the database server's processes are not visible from here")
    yield conn, pid
    conn.close()  # its backend ends with it: nothing to restore


@pytest.mark.parametrize(
    ("text", "nice"),
    [("/autogroup-85 nice 0\n", 0), ("/autogroup-7 nice 10\n", 10), ("", None), ("garbled", None)],
)
def test_autogroup_nice_reads_the_kernels_line_or_says_it_cannot(tmp_path, monkeypatch, text, nice):
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "autogroup").write_text(text)
    real_path = priority.Path
    under_tmp = lambda p: real_path(str(p).replace("/proc", str(tmp_path), 1))  # noqa: E731
    monkeypatch.setattr(priority, "Path", under_tmp)
    assert priority.autogroup_nice(42) == nice


def test_a_local_backend_gets_the_workers_nice_value(fresh_connection):
    conn, pid = fresh_connection
    start = _nice(pid)
    if start >= 19:
        pytest.skip("the database already runs at the lowest priority")
    wanted = min(19, start + 7)
    assert priority.renice_backend(conn, wanted)
    assert _nice(pid) == wanted
    assert not priority.renice_backend(conn, 0)  # 0: leave it as it is
    assert _nice(pid) == wanted


def test_a_remote_database_is_left_alone(fresh_connection):
    conn, pid = fresh_connection
    start = _nice(pid)
    conn.settings_dict = {**conn.settings_dict, "HOST": "db.example.internal"}
    assert not priority.renice_backend(conn, 19)
    assert _nice(pid) == start


def test_background_priority_renices_the_process_and_each_new_connection(db, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("restoring this process's priority afterwards needs root")
    before = _nice(0)
    group = priority.autogroup_nice()  # None: this kernel or sandbox does not say
    monkeypatch.setattr(priority, "_background_nice", 0)
    try:
        priority.background_priority(5)
        assert _nice(0) == max(before, 5)
        conn = connections.create_connection("default")
        try:
            conn.ensure_connection()  # connection_created: reniced
            pid = _backend_pid(conn)
            if priority.is_local_backend(pid):
                assert _nice(pid) == max(_parent_nice(pid), 5)
        finally:
            conn.close()
    finally:
        connection_created.disconnect(dispatch_uid="core.priority")
        os.setpriority(os.PRIO_PROCESS, 0, before)
        if group is not None and priority.autogroup_nice() != group:
            AUTOGROUP.write_text(str(group))  # this test process led its own session
