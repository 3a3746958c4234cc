"""Background work yields the CPU to people's requests.

A Celery worker — the ingest validating and committing a million rows, a payment batch,
PDF rendering — runs at a lower CPU priority (``nice``, :data:`settings.CQR_WORKER_NICE`,
default 10) than the web processes, and so does each PostgreSQL backend it connects to
when the database runs on the same machine, because that backend does most of a commit's
work. Where web, workers and database share cores (one machine, ``make run``), a public
lookup then waits for the CPU behind nobody's bulk statement: measured by
``bench/scale.py`` (the verify API under load while a 1,000,000-row submission is
committed). Where the database is another machine the backends are left as they are:
its own scheduler serves every client alike.

Linux semantics (``setpriority(2)``): raising a nice value needs no privilege for a
process of the same user, and CAP_SYS_NICE otherwise; a refusal is logged and ignored.
With autogroup scheduling (``sched(7)``, on by default on desktop and many server
kernels) the CPU is first shared between sessions and only then by nice value within
one, so a worker that leads its own session (``make run`` and the tests start it so)
also sets its session's nice value; one that shares the web's session does not, which
would slow the web as well.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.db.backends.signals import connection_created

log = logging.getLogger(__name__)

_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}

#: The nice value this process runs background work at (0: not background work).
_background_nice = 0


def _local_database(conn) -> bool:
    host = str(conn.settings_dict.get("HOST") or "")
    return host in _LOCAL_HOSTS or host.startswith("/")  # a Unix socket directory


def is_local_backend(pid: int) -> bool:
    """Whether ``pid`` (a PostgreSQL server's ``pg_backend_pid()``) names a postgres process
    of this machine: a server in a container or another PID namespace answers on 127.0.0.1
    with pids that here name nothing, or something else."""

    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres")
    except OSError:
        return False


def renice_backend(conn, nice: int) -> bool:
    """Give the PostgreSQL backend of ``conn`` (a Django connection, open) at least the
    nice value ``nice``, when the database runs on this machine. True when it did."""

    if nice <= 0 or conn.vendor != "postgresql" or not _local_database(conn):
        return False
    pid = conn.connection.info.backend_pid  # psycopg keeps it from the handshake: no query
    if not is_local_backend(pid):
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, pid) < nice:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
    except (OSError, ValueError) as exc:
        log.info("database backend %s left at its priority: %s", pid, exc)
        return False
    return True


def autogroup_nice(pid: int | str = "self") -> int | None:
    """The nice value of the autogroup of process ``pid`` (``/proc/<pid>/autogroup`` reads
    ``/autogroup-85 nice 0``), or None where the kernel or sandbox does not say: no file,
    an empty one, or another format."""

    try:
        words = Path(f"/proc/{pid}/autogroup").read_text().split()
    except OSError:
        return None
    if len(words) == 3 and words[1] == "nice":
        try:
            return int(words[2])
        except ValueError:
            return None
    return None


def _renice_new_connection(sender, connection, **kwargs) -> None:
    renice_backend(connection, _background_nice)


def background_priority(nice: int) -> None:
    """Run this process, and the local database backends of its connections from now on,
    at the nice value ``nice`` (0 or less: leave everything as it is)."""

    global _background_nice
    if nice <= 0:
        return
    _background_nice = nice
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if current < nice:
        os.nice(nice - current)
    if os.getsid(0) == os.getpid():  # this process's session is its own: so is its autogroup
        try:
            Path("/proc/self/autogroup").write_text(str(nice))
        except OSError as exc:  # no autogroup scheduling in this kernel, or not permitted
            log.info("session priority left as it is: %s", exc)
    connection_created.connect(_renice_new_connection, dispatch_uid="core.priority")
    from django.db import connections  # noqa: PLC0415 - only when asked, after setup

    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            renice_backend(conn, nice)
