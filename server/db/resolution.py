"""Cluster resolution state (resolved in, next release, ignore thresholds, regressions) and
the activity log. The rules are ``kb_link.resolution``; this module only reads and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

Conn = asyncpg.Connection | asyncpg.Pool


STATE_COLUMNS = (
    "c.id, c.project_id, c.status, c.event_count, c.user_count, c.resolved_at, c.resolved_in_release_id,"
    " rr.version AS resolved_in, rr.sort_key AS resolved_in_key, c.resolved_in_next, c.next_after_release_id,"
    " c.next_after_key, c.next_package, c.ignore_until_events, c.ignore_until_users, c.ignore_until_date,"
    " c.regressed_in_release, c.regressed_at, c.older_release_events, c.older_release_last, c.last_release"
)
_FROM = " FROM clusters c LEFT JOIN releases rr ON rr.id = c.resolved_in_release_id"


class Activity(msgspec.Struct, frozen=True):
    """One row of a cluster's activity log, as written."""

    cluster_id: int
    project_id: int
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    release: str | None = None
    detail: dict[str, Any] = {}
    at: dt.datetime | None = None  # None: the transaction's time


async def state(conn: Conn, project_id: int, cluster_id: int, *, lock: bool = False) -> Any:
    return await conn.fetchrow(
        f"SELECT {STATE_COLUMNS}{_FROM} WHERE c.project_id = $1 AND c.id = $2 AND c.merged_into IS NULL"
        + (" FOR UPDATE OF c" if lock else ""),
        project_id,
        cluster_id,
    )


async def not_unresolved(conn: asyncpg.Connection, cluster_ids: Sequence[int]) -> set[int]:
    rows = await conn.fetch("SELECT id FROM clusters WHERE id = ANY($1::bigint[]) AND status <> 'unresolved'", list(cluster_ids))
    return {r["id"] for r in rows}


async def states_to_check(conn: asyncpg.Connection, cluster_ids: Sequence[int]) -> list[Any]:
    """Clusters of a batch whose status a new event may change (resolved or ignored), locked."""
    return await conn.fetch(
        f"SELECT {STATE_COLUMNS}{_FROM} WHERE c.id = ANY($1::bigint[]) AND c.status <> 'unresolved'"
        " ORDER BY c.id FOR UPDATE OF c",
        sorted(set(cluster_ids)),
    )


async def write_state(conn: Conn, cluster_id: int, **columns: Any) -> None:
    """Set resolution columns of one cluster (names are this module's, never user input)."""
    names = sorted(columns)
    sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, 2))
    await conn.execute(f"UPDATE clusters SET {sets} WHERE id = $1", cluster_id, *[columns[n] for n in names])


async def write_states(conn: asyncpg.Connection, column_names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (cluster_id, *values in ``column_names`` order), in cluster-id order."""
    sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(column_names, 2))
    await conn.executemany(f"UPDATE clusters SET {sets} WHERE id = $1", sorted(rows))


async def add_older(conn: asyncpg.Connection, rows: Sequence[tuple[int, int, str]]) -> None:
    """rows: (cluster_id, events, release) of events from releases older than the fix."""
    await conn.executemany(
        "UPDATE clusters SET older_release_events = older_release_events + $2, older_release_last = $3 WHERE id = $1",
        sorted(rows),
    )


async def waiting_next(conn: asyncpg.Connection, project_id: int) -> list[Any]:
    return await conn.fetch(
        "SELECT id, status, next_after_release_id, next_after_key, next_package FROM clusters"
        " WHERE project_id = $1 AND resolved_in_next ORDER BY id FOR UPDATE",
        project_id,
    )


async def log(conn: Conn, rows: Sequence[Activity]) -> None:
    if not rows:
        return
    await conn.executemany(
        "INSERT INTO cluster_activity (project_id, cluster_id, at, actor, kind, from_status, to_status, release, detail)"
        " VALUES ($1, $2, COALESCE($3, now()), $4, $5, $6, $7, $8, $9)",
        [(a.project_id, a.cluster_id, a.at, a.actor, a.kind, a.from_status, a.to_status, a.release, a.detail) for a in rows],
    )


async def activity(conn: Conn, cluster_id: int, *, before_id: int | None, limit: int) -> list[Any]:
    return await conn.fetch(
        "SELECT id, at, actor, kind, from_status, to_status, release, detail FROM cluster_activity"
        " WHERE cluster_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        cluster_id,
        before_id,
        limit,
    )
