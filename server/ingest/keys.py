"""Project keys by public key, cached briefly so auth costs no query per request."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from server.database import DATABASE_DOWN
from server.db.tenancy import ProjectKey, key_by_public
from server.ingest.errors import Unavailable


class KeyCache:
    """A disabled or rate-changed key takes effect within ``ttl`` seconds."""

    def __init__(self, pool: asyncpg.Pool, ttl: float) -> None:
        self._pool = pool
        self._ttl = ttl
        self._cache: dict[str, tuple[float, ProjectKey | None]] = {}

    async def get(self, public_key: str, timeout: float | None = None) -> ProjectKey | None:
        """The key, or None if there is none; 503 if the database cannot say within ``timeout``."""
        now = time.monotonic()
        hit = self._cache.get(public_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            key = await asyncio.wait_for(key_by_public(self._pool, public_key), timeout)
        except DATABASE_DOWN as exc:
            raise Unavailable(
                f"project keys cannot be read right now ({type(exc).__name__}); retry later", headers={"Retry-After": "5"}
            ) from exc
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[public_key] = (now + self._ttl, key)
        return key
