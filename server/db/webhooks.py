"""SQL of outgoing webhooks: hooks, the outbox (enqueue, claim, settle) and the delivery log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg

from server.db.search import Conn

CHANNEL = "crashdesk_webhooks"
_HOOK = "id, organization_id, url, events, active, created_at"


async def create(conn: Conn, organization_id: int, url: str, secret: str, events: Sequence[str]) -> asyncpg.Record:
    return await conn.fetchrow(
        f"INSERT INTO webhooks (organization_id, url, secret, events) VALUES ($1, $2, $3, $4) RETURNING {_HOOK}",
        organization_id, url, secret, list(events),
    )


async def hooks(conn: Conn, organization_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_HOOK} FROM webhooks WHERE organization_id = $1 ORDER BY id", organization_id)


async def hook(conn: Conn, organization_id: int, hook_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_HOOK} FROM webhooks WHERE organization_id = $1 AND id = $2",
                               organization_id, hook_id)


async def deactivate(conn: Conn, organization_id: int, hook_id: int) -> bool:
    done = await conn.execute("UPDATE webhooks SET active = false WHERE organization_id = $1 AND id = $2",
                              organization_id, hook_id)
    return done != "UPDATE 0"


async def enqueue(conn: Conn, organization_id: int, event_type: str, body: bytes) -> int:
    """One outbox row per active hook of the organization that wants ``event_type``; wakes the senders."""
    return await enqueue_many(conn, [(organization_id, event_type, body)])


async def claim(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Due rows, locked until the caller's transaction ends (a killed sender's rows come back at once)."""
    return await conn.fetch(
        "SELECT o.id, o.webhook_id, o.event_type, o.body, o.attempts, w.url, w.secret FROM webhook_outbox o"
        " JOIN webhooks w ON w.id = o.webhook_id WHERE o.status = 'pending' AND o.next_attempt_at <= now()"
        " ORDER BY o.next_attempt_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED",
        limit,
    )


async def settle(
    conn: asyncpg.Connection,
    results: Sequence[tuple[int, int, str, dt.datetime | None, str | None]],
    log: Sequence[tuple[int, int, int, int | None, str | None, int]],
) -> None:
    """results: (outbox id, attempts, status, next attempt, error); log: (hook, outbox, attempt, code, error, ms)."""
    await conn.executemany(
        "UPDATE webhook_outbox SET attempts = $2, status = $3, next_attempt_at = coalesce($4, next_attempt_at),"
        " last_error = $5, delivered_at = CASE WHEN $3 = 'delivered' THEN now() END WHERE id = $1",
        results,
    )
    await conn.executemany(
        "INSERT INTO webhook_deliveries (webhook_id, outbox_id, attempt, status_code, error, duration_ms)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        log,
    )


async def next_due(conn: Conn) -> dt.datetime | None:
    return await conn.fetchval("SELECT min(next_attempt_at) FROM webhook_outbox WHERE status = 'pending'")


async def deliveries(conn: Conn, hook_id: int, before: int | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT d.id, d.outbox_id, o.event_type, d.attempt, d.at, d.status_code, d.error, d.duration_ms, o.status"
        " FROM webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id"
        " WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3",
        hook_id, before, limit,
    )


async def enqueue_many(conn: Conn, events: Sequence[tuple[int, str, bytes]]) -> int:
    """Like ``enqueue`` for (organization, event type, body) triples, in one statement."""
    if not events:
        return 0
    orgs, types, bodies = zip(*events, strict=True)
    done = await conn.execute(
        "INSERT INTO webhook_outbox (webhook_id, event_type, body)"
        " SELECT w.id, e.type, e.body FROM unnest($1::bigint[], $2::text[], $3::bytea[]) AS e(org, type, body)"
        " JOIN webhooks w ON w.organization_id = e.org AND w.active AND e.type = ANY(w.events)",
        list(orgs), list(types), list(bodies),
    )
    count = int(done.split()[-1])
    if count:
        await conn.execute(f"NOTIFY {CHANNEL}")
    return count
