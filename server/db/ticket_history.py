"""SQL of a ticket's history: one row per step (filed and matched, confirmed, corrected, article, fix)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def add(conn: Conn, ticket_id: int, kind: str, *, cluster_id: int | None = None, article_id: int | None = None,
              version: str | None = None, actor: str | None = None, at: Any = None) -> None:
    await conn.execute(
        "INSERT INTO ticket_history (ticket_id, kind, cluster_id, article_id, version, actor, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))",
        ticket_id, kind, cluster_id, article_id, version, actor, at)


async def add_filed(conn: Conn, rows: Sequence[tuple[int, str, int | None, Any]]) -> None:
    """``add`` for many filed tickets in one statement: rows of (ticket, kind, cluster, at or None)."""
    if rows:
        ids, kinds, clusters, ats = (list(c) for c in zip(*rows, strict=True))
        await conn.execute(
            "INSERT INTO ticket_history (ticket_id, kind, cluster_id, at)"
            " SELECT t, k, c, COALESCE(a, now()) FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[])"
            " AS x(t, k, c, a)", ids, kinds, clusters, ats)


async def add_fix_available(conn: Conn, ticket_ids: Sequence[int], version: str) -> None:
    """One row per ticket a released fix reached (one statement for the whole release)."""
    if ticket_ids:
        await conn.execute(
            "INSERT INTO ticket_history (ticket_id, kind, version) SELECT unnest($1::bigint[]), 'fix_available', $2",
            list(ticket_ids), version)


async def of_ticket(conn: Conn, ticket_id: int) -> list[asyncpg.Record]:
    """The steps, oldest first, each with the title of the article it names (if any and still there)."""
    return await conn.fetch(
        "SELECT h.at, h.kind, h.cluster_id, h.article_id, h.version, h.actor,"
        " (SELECT t.title FROM kb_translations t WHERE t.article_id = h.article_id ORDER BY t.id LIMIT 1) AS article_title"
        " FROM ticket_history h WHERE h.ticket_id = $1 ORDER BY h.id", ticket_id)
