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

from django.conf import settings
from django.core.cache import cache

from core import ops
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
    """A redis-py client on the default cache's Redis server (the first LOCATION takes the
    writes, as in Django's Redis backend; ``core.ops.redis_client``, without a timeout), or
    None when the cache is not Redis. For what the cache API has no words for (the lookup
    buffer is a Redis list)."""
    conf = settings.CACHES["default"]
    if conf.get("BACKEND") != "django.core.cache.backends.redis.RedisCache":
        return None
    location = conf["LOCATION"]
    location = (location.split(",") if isinstance(location, str) else list(location))[0]
    return ops.redis_client(location.strip(), timeout=None)


def rate_limit(bucket: str, key: str, *, limit: int, window: int = 60) -> tuple[int, int]:
    """Count one hit for ``key`` in the current fixed window of ``window`` seconds and
    return ``(count, retry_after_seconds)``; the caller refuses when ``count > limit``
    (performance-and-security.md §3.8: a per-client limit on public look-ups).

    On the cache's public API: ``cache.add`` starts the window's counter at 1 (it expires
    with the window, plus a margin for clock skew between web processes) and every later
    hit is ``cache.incr`` (Redis INCR: atomic across processes). A new window is a new key,
    so the count starts again at 1."""
    now = time.time()
    slot = int(now // window)
    raw_key = f"rl:{bucket}:{key}:{slot}"
    retry_after = max(1, int(window - (now % window)) + 1)
    if cache.add(raw_key, 1, timeout=window + 5):
        return 1, retry_after
    try:
        return cache.incr(raw_key), retry_after
    except ValueError:  # the counter expired between add and incr: a fresh count
        cache.add(raw_key, 1, timeout=window + 5)
        return 1, retry_after
