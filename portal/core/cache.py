"""A short-lived cache for a rendered fragment that is costly to build and the same for everyone allowed to see
it (the sufficiency dashboard's tables: the same filters give the same figures whoever asks).

    html, as_at = cache.remember(("sufficiency", filters...), seconds, build)

With REDIS_URL set the fragment lives in Redis (shared by every web worker and machine) as JSON — never
pickle, so nothing in Redis can run code in a web worker; otherwise in a small dictionary in the process.
seconds <= 0 builds every time. The caller checks who may see the fragment before asking for it; the key must
hold everything the fragment depends on. If Redis cannot be reached the fragment is built, never an error.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Callable, Hashable

from flask import Flask, current_app

from portal.core.db import utcnow

log = logging.getLogger(__name__)
PREFIX = "hf:cache:"


class MemoryCache:
    """Per process, at most `size` entries, the oldest dropped first."""

    def __init__(self, size: int = 256):
        self.size = size
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, tuple[float, str, datetime]] = OrderedDict()

    def get(self, key: str) -> tuple[str, datetime] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] <= time.monotonic():
                self.entries.pop(key, None)
                return None
            return entry[1], entry[2]

    def set(self, key: str, value: str, as_at: datetime, seconds: int) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + seconds, value, as_at)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class RedisCache:
    def __init__(self, url: str):
        from redis import Redis

        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def get(self, key: str) -> tuple[str, datetime] | None:
        raw = self.redis.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        return data["value"], datetime.fromisoformat(data["as_at"])

    def set(self, key: str, value: str, as_at: datetime, seconds: int) -> None:
        self.redis.set(key, json.dumps({"value": value, "as_at": as_at.isoformat()}), ex=seconds)


def key_for(parts: Hashable) -> str:
    return PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def remember(parts: Hashable, seconds: int, build: Callable[[], str]) -> tuple[str, datetime]:
    """The cached fragment for `parts` and when it was built, building (and keeping) it if there is none."""
    if seconds <= 0:
        return build(), utcnow()
    backend = current_app.extensions["homefinder.cache"]
    key = key_for(parts)
    try:
        hit = backend.get(key)
    except Exception:  # noqa: BLE001 - a cache that cannot be reached only costs time
        log.warning("cache unavailable; building %s", parts, exc_info=True)
        hit = None
    if hit is not None:
        return hit
    value, as_at = build(), utcnow()
    try:
        backend.set(key, value, as_at, seconds)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable; not keeping %s", parts, exc_info=True)
    return value, as_at


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["homefinder.cache"] = RedisCache(url) if url else MemoryCache()
