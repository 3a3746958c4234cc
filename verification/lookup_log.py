"""The public-lookup log, buffered in Redis and written to the database in batches.

Every lookup (form, API, QR/credential page, share link) appends one entry to a Redis
list — one round trip, no database write on the public path — and ``flush`` moves the
entries into ``VerificationLookup`` rows with one INSERT per batch (PostgreSQL parses
the JSON entries: no Python work per entry). Entries carry their own id (unique in the
table), so a flush that is interrupted and repeated never duplicates a row
(at-least-once delivery, exactly-once effect).

Flushes happen: when the buffer passes ``FLUSH_AT`` entries (by the request that crossed
it, once its own transaction has committed, so that the flush commits before it trims
the buffer), every 30 s from Celery beat (``verification.flush_lookups``), and before
anything reads the log (learner activity, department view). Without the Redis cache
backend, entries are written straight to the database.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection, transaction

from .clients import redis_client
from .models import VerificationLookup

BUFFER = "verification:lookups"
LOCK = "verification:lookups:flush"
FLUSH_AT = 500
BATCH = 5000


def _redis():
    return redis_client()


def _row(entry: dict) -> VerificationLookup:
    return VerificationLookup(
        entry_id=entry["id"],
        at=datetime.fromtimestamp(entry["at"], tz=UTC),
        channel=entry["channel"],
        result=entry["result"],
        award_id=entry.get("award"),
        rto_id=entry.get("rto"),
        client_hash=entry.get("client", ""),
    )


@functools.cache
def _insert_sql() -> str:
    """One INSERT for a whole batch: PostgreSQL reads the buffered JSON entries itself
    (jsonb_to_recordset), so flushing costs no Python work per entry. Entry ids are
    unique: a repeated batch inserts nothing twice."""
    meta = VerificationLookup._meta
    columns = ", ".join(
        f'"{meta.get_field(name).column}"'
        for name in ("entry_id", "at", "channel", "result", "award", "rto", "client_hash")
    )
    return (
        f'INSERT INTO "{meta.db_table}" ({columns}) '
        "SELECT e.id, to_timestamp(e.at), e.channel, e.result, e.award, e.rto, "
        "coalesce(e.client, '') "
        "FROM jsonb_to_recordset(%s::jsonb) AS e(id text, at double precision, channel text, "
        "result text, award bigint, rto bigint, client text) "
        "ON CONFLICT DO NOTHING"
    )


def append(*, channel: str, result: str, award_id=None, rto_id=None, client_hash="") -> None:
    entry = {
        "id": uuid.uuid4().hex,
        "at": time.time(),
        "channel": channel,
        "result": result,
        "award": award_id,
        "rto": rto_id,
        "client": client_hash,
    }
    client = _redis()
    if client is None:
        _row(entry).save()
        return
    length = client.rpush(cache.make_and_validate_key(BUFFER), json.dumps(entry))
    if length >= FLUSH_AT:
        transaction.on_commit(flush, robust=True)  # at once when not in a transaction


def flush(*, max_entries: int = 50 * BATCH) -> int:
    """Move buffered entries into the database; returns how many were written. One
    flusher at a time (a short Redis lock); a second caller returns at once."""
    client = _redis()
    if client is None:
        return 0
    key = cache.make_and_validate_key(BUFFER)
    if not cache.add(LOCK, 1, timeout=60):
        return 0
    written = 0
    try:
        while written < max_entries:
            raw = client.lrange(key, 0, BATCH - 1)
            if not raw:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_insert_sql(), [(b"[" + b",".join(raw) + b"]").decode()])
            client.ltrim(key, len(raw), -1)  # only after the rows are committed
            written += len(raw)
    finally:
        cache.delete(LOCK)
    return written
