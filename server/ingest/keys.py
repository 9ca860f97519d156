"""Project keys by public key, cached briefly so auth costs no query per request."""

from __future__ import annotations

import time

import asyncpg

from server.db.tenancy import ProjectKey, key_by_public


class KeyCache:
    """A disabled or rate-changed key takes effect within ``ttl`` seconds."""

    def __init__(self, pool: asyncpg.Pool, ttl: float) -> None:
        self._pool = pool
        self._ttl = ttl
        self._cache: dict[str, tuple[float, ProjectKey | None]] = {}

    async def get(self, public_key: str) -> ProjectKey | None:
        now = time.monotonic()
        hit = self._cache.get(public_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        key = await key_by_public(self._pool, public_key)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[public_key] = (now + self._ttl, key)
        return key
