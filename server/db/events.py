"""The events table: durable raw inserts, the processing queue, and reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

if TYPE_CHECKING:
    from server.ingest.writer import AttachmentRow, EventRow

NOTIFY_CHANNEL = "crashdesk_events"


async def insert_raw(conn: asyncpg.Connection, rows: Sequence[EventRow]) -> None:
    """Insert accepted events; a resent ``event_id`` is stored once. Wakes the processors."""
    await conn.execute(
        "INSERT INTO events (project_id, event_id, payload)"
        " SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bytea[])"
        " ON CONFLICT (project_id, event_id) DO NOTHING",
        [r.project_id for r in rows],
        [r.event_id for r in rows],
        [r.payload for r in rows],
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


async def insert_attachments(conn: asyncpg.Connection, rows: Sequence[AttachmentRow]) -> None:
    await conn.execute(
        "INSERT INTO attachments (project_id, event_id, name, content_type, attachment_type, size, data)"
        " SELECT p, e, n, c, t, octet_length(d), d"
        " FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bytea[]) AS u(p, e, n, c, t, d)"
        " ON CONFLICT (project_id, event_id, name) DO NOTHING",
        [r.project_id for r in rows],
        [r.event_id for r in rows],
        [r.name for r in rows],
        [r.content_type for r in rows],
        [r.attachment_type for r in rows],
        [r.data for r in rows],
    )


async def add_item_counts(conn: asyncpg.Connection, counts: Counter[tuple[int, str]]) -> None:
    keys = sorted(counts)
    await conn.execute(
        "INSERT INTO item_counts (project_id, day, item_type, count)"
        " SELECT p, current_date, t, c FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u(p, t, c)"
        " ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = item_counts.count + EXCLUDED.count",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [counts[k] for k in keys],
    )


async def claim_pending(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Lock up to ``limit`` pending events for this transaction.

    The lock, not a status flag, marks a claim: if the worker dies, its transaction
    aborts and the rows are pending again for the next worker.
    """
    return await conn.fetch(
        "SELECT id, project_id, replace(event_id::text, '-', '') AS event_id, received_at, payload, attempts, cluster_id"
        " FROM events"
        " WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def mark_processed(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (id, normalized, platform, level, release, environment, title, occurred_at,
    cluster_id, grouping_cluster_id, grouping, user_key, notes)."""
    await conn.executemany(
        "UPDATE events SET status = 'processed', processed_at = now(), attempts = attempts + 1,"
        " normalized = $2, platform = $3, level = $4, release = $5, environment = $6, title = $7,"
        " occurred_at = $8, cluster_id = $9, grouping_cluster_id = $10, grouping = $11, user_key = $12,"
        " notes = $13, failure = NULL WHERE id = $1",
        rows,
    )


async def mark_failed(conn: asyncpg.Connection, rows: Sequence[tuple[int, str]]) -> None:
    await conn.executemany(
        "UPDATE events SET status = 'failed', processed_at = now(), attempts = attempts + 1, failure = $2 WHERE id = $1",
        rows,
    )


_EVENT_COLUMNS = (
    "SELECT e.id, e.project_id, replace(e.event_id::text, '-', '') AS event_id, e.received_at, e.status, e.failure,"
    " e.platform, e.level, e.release, e.environment, e.title, e.occurred_at, e.normalized,"
    " e.cluster_id, e.grouping, e.notes"
)


async def list_events(
    conn: asyncpg.Connection | asyncpg.Pool,
    project_id: int,
    *,
    limit: int,
    before_id: int | None,
    release: str | None = None,
    environment: str | None = None,
    status: str | None = None,
    cluster_id: int | None = None,
) -> list[asyncpg.Record]:
    """A page of a project's events, newest first, before ``before_id``; each filter given must hold."""
    return await conn.fetch(
        _EVENT_COLUMNS + " FROM events e WHERE e.project_id = $1 AND ($2::bigint IS NULL OR e.id < $2)"
        " AND ($4::text IS NULL OR e.release = $4) AND ($5::text IS NULL OR e.environment = $5)"
        " AND ($6::text IS NULL OR e.status = $6) AND ($7::bigint IS NULL OR e.cluster_id = $7)"
        " ORDER BY e.id DESC LIMIT $3",
        project_id,
        before_id,
        limit,
        release,
        environment,
        status,
        cluster_id,
    )


async def get_event(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, event_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _EVENT_COLUMNS + ", e.payload FROM events e WHERE e.project_id = $1 AND e.event_id = $2::uuid",
        project_id,
        event_id,
    )


async def attachments_of(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, event_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT name, content_type, attachment_type, size FROM attachments"
        " WHERE project_id = $1 AND event_id = $2::uuid ORDER BY id",
        project_id,
        event_id,
    )


async def pending_count(conn: asyncpg.Connection | asyncpg.Pool, project_id: int) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM events WHERE status = 'pending' AND project_id = $1", project_id))


async def status_counts_of_organization(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT e.status, count(*) AS n FROM events e WHERE e.project_id IN"
        " (SELECT id FROM projects WHERE organization_id = $1) GROUP BY e.status",
        organization_id,
    )
    return {r["status"]: int(r["n"]) for r in rows}
