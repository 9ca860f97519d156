"""Whether the service can take reports, and (for a token) how many events are where."""

from __future__ import annotations

import asyncio

import msgspec

from server.db import events as events_sql
from server.db.clusters import Conn

CHECK_SECONDS = 1.0


class HealthOut(msgspec.Struct, frozen=True, omit_defaults=True):
    status: str  # "ok" or "unavailable"
    reason: str | None = None  # one word when unavailable: "database"


class StatsOut(msgspec.Struct, frozen=True):
    events: dict[str, int]  # processing status -> count, this organization's events only


async def check(pool: Conn) -> HealthOut:
    """``ok`` when the database answers within ``CHECK_SECONDS``; nothing else is revealed."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await pool.fetchval("SELECT 1")
    except Exception:  # any failure to reach the database means the same to a load balancer
        return HealthOut("unavailable", "database")
    return HealthOut("ok")


async def stats(conn: Conn, organization_id: int) -> StatsOut:
    return StatsOut(await events_sql.status_counts_of_organization(conn, organization_id))
