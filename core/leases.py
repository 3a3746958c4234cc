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

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import F
from django.utils import timezone

log = logging.getLogger(__name__)

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


#: How often the stalled-work sweeps restart one unit of work before giving up on it (it
#: then ends ``failed`` with a message and an audit event instead of being re-queued for
#: ever: a file or row that kills its worker every time would otherwise loop).
MAX_ATTEMPTS = 3


def restart_stalled(rows, *, lease: str, dispatch, give_up=None, max_attempts=MAX_ATTEMPTS):
    """Re-dispatch the stalled units of work in ``rows`` whose lease nobody holds.

    ``rows``: model instances with ``status``, ``attempts`` and ``updated_at`` that made no
    progress for a while (the caller's query). For each one whose lease is free:

    * if it was already restarted ``max_attempts`` times, ``give_up(row)`` is called (it
      marks the row failed, with a message and an audit event, if its status is still the
      one read) and nothing is queued;
    * otherwise ``attempts`` is counted and ``updated_at`` touched in one statement (only
      if its status is still the one read, so a row that moved on is left alone; the next
      sweep waits a full period for it), then ``dispatch(row)`` queues its task.

    Safe at any time: the tasks take the lease and check the status themselves. Returns
    the rows dispatched.
    """

    restarted = []
    for row in rows:
        if not lease_is_free(lease, row.pk):
            continue  # a live worker is on it, just slowly
        if give_up is not None and row.attempts >= max_attempts:
            log.warning("giving up on stalled %s %s after %s restarts", lease, row.pk, row.attempts)
            give_up(row)
            continue
        manager = type(row)._base_manager
        touched = manager.filter(pk=row.pk, status=row.status).update(
            updated_at=timezone.now(), attempts=F("attempts") + 1
        )
        if not touched:
            continue
        log.warning("restarting stalled %s %s (%s)", lease, row.pk, row.status)
        dispatch(row)
        restarted.append(row)
    return restarted
