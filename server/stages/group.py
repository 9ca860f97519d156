"""Grouping stage: assign each event to a cluster."""

from __future__ import annotations

import asyncpg

from server.stages.work import Work


async def group_batch(conn: asyncpg.Connection, batch: list[Work]) -> None:
    return None
