"""Work leases: "is anyone still working on this row?", answered by PostgreSQL.

A task that works on a unit of work (a submission, a payment chunk) holds a *session-level*
advisory lock keyed by the row for as long as it runs. PostgreSQL releases the lock when
the holder's connection ends, so a worker killed with SIGKILL (or a host that dies) gives
its lease back at once, without any clock or heartbeat to tune. That lets

* a second delivery of the same task (Celery redelivers unacknowledged messages, and the
  stalled-work sweep re-dispatches) see the lease taken and step aside instead of running
  the same work twice at the same time, and
* the sweep tell a slow but live task (lease held) from an abandoned one (lease free).

Keys: ``hashtext(namespace)`` and the row id as the two ``int4`` halves of the lock key.
Ids are taken modulo 2**31; two rows sharing a key (after two thousand million rows) would
only make one wait for the other's sweep, never run work twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_INT4 = 2**31


@contextmanager
def work_lease(namespace: str, key: int) -> Iterator[bool]:
    """Try to take the lease of ``(namespace, key)``; yields whether it was taken.

    Never waits. The lease is held until the block ends (or the connection dies).
    """
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [namespace, int(key) % _INT4])
        taken = cur.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT pg_advisory_unlock(hashtext(%s), %s)", [namespace, int(key) % _INT4]
                )


def lease_is_free(namespace: str, key: int) -> bool:
    """True when nobody holds the lease right now (checked by taking and giving it back)."""
    with work_lease(namespace, key) as taken:
        return taken
