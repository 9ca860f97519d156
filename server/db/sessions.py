"""Release health SQL: the raw session queue, per-session states, hourly aggregates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

from server.db.events import NOTIFY_CHANNEL

Conn = asyncpg.Connection | asyncpg.Pool


async def enqueue(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, bytes]]) -> None:
    """rows: (project_id, item type, payload), written by the ingest's group commit."""
    await conn.execute(
        "INSERT INTO session_queue (project_id, item_type, payload)"
        " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[])",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


async def queued_count(conn: asyncpg.Connection | asyncpg.Pool, project_id: int) -> int:
    """Session items of a project not folded into release health yet."""
    return int(await conn.fetchval("SELECT count(*) FROM session_queue WHERE project_id = $1", project_id))


async def claim(conn: asyncpg.Connection, limit: int) -> list[Any]:
    """Take up to ``limit`` queued items; they are gone once this transaction commits."""
    return await conn.fetch(
        "DELETE FROM session_queue WHERE id IN"
        " (SELECT id FROM session_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING project_id, received_at, item_type, payload",
        limit,
    )


async def states(conn: asyncpg.Connection, project_id: int, sids: Sequence[str]) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT sid, release_id, environment, hour, did, state FROM session_states"
        " WHERE project_id = $1 AND sid = ANY($2::text[]) ORDER BY sid FOR UPDATE",
        project_id,
        sorted(sids),
    )
    return {r["sid"]: r for r in rows}


async def put_states(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, int, str, dt.datetime, str | None, int]]) -> None:
    """rows: (project_id, sid, release_id, environment, hour, did, state)."""
    await conn.executemany(
        "INSERT INTO session_states (project_id, sid, release_id, environment, hour, did, state)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (project_id, sid) DO UPDATE SET state = EXCLUDED.state, did = COALESCE(session_states.did, EXCLUDED.did)",
        sorted(rows, key=lambda r: (r[0], r[1])),
    )


async def add_counts(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, dt.datetime, int, int, int, int]]) -> None:
    """rows: (release_id, environment, hour, sessions, errored, abnormal, crashed) to add."""
    await conn.executemany(
        "INSERT INTO release_sessions (release_id, environment, hour, sessions, errored, abnormal, crashed)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (release_id, environment, hour) DO UPDATE SET"
        " sessions = release_sessions.sessions + EXCLUDED.sessions, errored = release_sessions.errored + EXCLUDED.errored,"
        " abnormal = release_sessions.abnormal + EXCLUDED.abnormal, crashed = release_sessions.crashed + EXCLUDED.crashed",
        sorted(rows),
    )


async def add_users(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, dt.datetime, str, bool]]) -> None:
    """rows: (release_id, environment, hour, did, crashed); a user new to its hour adds one there."""
    merged: dict[tuple[int, str, dt.datetime, str], bool] = {}
    for rid, env, hour, did, crashed in rows:
        merged[(rid, env, hour, did)] = merged.get((rid, env, hour, did), False) or crashed
    keys = sorted(merged)
    await conn.execute(
        "WITH new AS (INSERT INTO release_session_users (release_id, environment, hour, did, crashed)"
        "  SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::boolean[])"
        "  ON CONFLICT (release_id, environment, hour, did) DO UPDATE"
        "   SET crashed = release_session_users.crashed OR EXCLUDED.crashed"
        "  RETURNING release_id, environment, hour, (xmax = 0) AS inserted)"
        " INSERT INTO release_sessions AS s (release_id, environment, hour, users)"
        " SELECT release_id, environment, hour, count(*) FROM new WHERE inserted GROUP BY 1, 2, 3"
        " ON CONFLICT (release_id, environment, hour) DO UPDATE SET users = s.users + EXCLUDED.users",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [k[3] for k in keys],
        [merged[k] for k in keys],
    )
