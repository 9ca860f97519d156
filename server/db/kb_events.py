"""SQL the knowledge base's worker hooks read: clusters with their organization."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.db.search import Conn


async def clusters(conn: Conn, cluster_ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.id, c.project_id, p.organization_id, c.title, c.culprit, c.level, c.platform, c.first_seen"
        " FROM clusters c JOIN projects p ON p.id = c.project_id WHERE c.id = ANY($1::bigint[])",
        list(cluster_ids),
    )


async def project_ids(conn: Conn, organization_id: int) -> list[int]:
    rows = await conn.fetch("SELECT id FROM projects WHERE organization_id = $1 ORDER BY id", organization_id)
    return [r["id"] for r in rows]
