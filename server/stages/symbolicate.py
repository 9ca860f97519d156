"""Symbolication stage: resolve frames with the project's uploaded artifacts (before grouping)."""

from __future__ import annotations

import asyncpg

from server.stages.work import Work


async def symbolicate_batch(conn: asyncpg.Connection, batch: list[Work]) -> None:
    """Rewrite ``work.event`` in place for events that have something to symbolicate."""
    return None
