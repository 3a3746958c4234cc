"""Client keys and the per-client rate limit for public pages (Redis cache).

The client address is never stored: ``client_key`` is an HMAC of it with the project's
secret key, truncated — enough to count and report abusive clients, useless to identify
a person (performance-and-security.md §3.8).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
import weakref

from django.conf import settings
from django.core.cache import cache

from core.http import client_ip


def client_key(request) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"client:{client_ip(request)}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:24]


def verify_limit_per_minute() -> int:
    value = getattr(settings, "CQR_VERIFY_RATE_LIMIT", None) or os.environ.get(
        "CQR_VERIFY_RATE_LIMIT"
    )
    return int(value or 30)


def redis_client():
    """The cache's Redis client, built once per connection pool, or None when the cache
    is not the Redis backend. (Django's backend builds a new ``redis.Redis`` — and its
    table of response callbacks — on every ``get_client()`` call: a third of a
    millisecond per public lookup.)"""
    backend = getattr(cache, "_cache", None)
    if not hasattr(backend, "get_client"):
        return None
    get_pool, make = (
        getattr(backend, "_get_connection_pool", None),
        getattr(backend, "_client", None),
    )
    if get_pool is None or make is None:  # not Django's own client class: no shortcut
        return backend.get_client(None, write=True)
    pool = get_pool(True)
    client = _clients.get(pool)
    if client is None:
        client = _clients[pool] = make(connection_pool=pool)
    return client


_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Count one hit in a fixed window, atomically: INCR, and set the expiry with the first
# hit. One round trip (EVALSHA; redis-py loads the script again if the server lost it).
_RATE_LIMIT_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rate_limit(bucket: str, key: str, *, limit: int, window: int = 60) -> tuple[int, int]:
    """Count one hit in a fixed window (one Redis round trip). Returns
    ``(count, retry_after_seconds)``; the caller refuses when ``count > limit``."""
    now = time.time()
    slot = int(now // window)
    raw_key = f"rl:{bucket}:{key}:{slot}"
    retry_after = max(1, int(window - (now % window)) + 1)
    client = redis_client()
    if client is None:  # not the Redis backend: portable but two round trips
        cache.add(raw_key, 0, timeout=window + 5)
        return cache.incr(raw_key), retry_after
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_RATE_LIMIT_LUA)
    count = script(keys=[cache.make_and_validate_key(raw_key)], args=[window + 5])
    return int(count), retry_after
