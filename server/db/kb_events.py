"""SQL the knowledge base's worker hooks read: clusters with their organization and exception text."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.db.search import Conn


async def clusters(conn: Conn, cluster_ids: Sequence[int]) -> list[asyncpg.Record]:
    """Each cluster with its organization and the exception text of its newest processed event."""
    return await conn.fetch(
        "SELECT c.id, c.project_id, p.organization_id, c.title, c.culprit, c.level, c.platform, c.first_seen,"
        " (SELECT string_agg(concat_ws(' ', x->>'type', x->>'value'), ' ')"
        "    FROM events e, jsonb_array_elements(coalesce(e.normalized->'exceptions', '[]')) x"
        "    WHERE e.id = (SELECT max(id) FROM events WHERE cluster_id = c.id AND normalized IS NOT NULL)) AS message"
        " FROM clusters c JOIN projects p ON p.id = c.project_id WHERE c.id = ANY($1::bigint[])",
        list(cluster_ids),
    )


async def cluster_ids_of_organization(conn: Conn, organization_id: int, after: int, limit: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT c.id FROM clusters c JOIN projects p ON p.id = c.project_id WHERE p.organization_id = $1"
        " AND c.merged_into IS NULL AND c.id > $2 ORDER BY c.id LIMIT $3",
        organization_id, after, limit,
    )
    return [r["id"] for r in rows]
