"""SQL of the shared text index (``search_documents``): upsert, remove, and one ranked query.

Vectors and queries arrive as PostgreSQL literals built by ``server.services.search``
from ``dedupe.text`` terms; nothing here parses text, so the database's locale and text
search configuration play no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def upsert(conn: Conn, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of (organization, kind, ref id, project, visibility, language, title, body, vector literal)."""
    await conn.executemany(
        "INSERT INTO search_documents"
        " (organization_id, kind, ref_id, project_id, visibility, language, title, body, terms)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::tsvector)"
        " ON CONFLICT (organization_id, kind, ref_id) DO UPDATE SET project_id = EXCLUDED.project_id,"
        " visibility = EXCLUDED.visibility, language = EXCLUDED.language, title = EXCLUDED.title,"
        " body = EXCLUDED.body, terms = EXCLUDED.terms, updated_at = now()",
        rows,
    )


async def remove(conn: Conn, organization_id: int, kind: str, ref_ids: Sequence[int]) -> None:
    await conn.execute(
        "DELETE FROM search_documents WHERE organization_id = $1 AND kind = $2 AND ref_id = ANY($3::bigint[])",
        organization_id, kind, list(ref_ids),
    )


async def query(
    conn: Conn, organization_id: int, kind: str, tsquery: str, terms: Sequence[str], limit: int
) -> list[asyncpg.Record]:
    """The ``limit`` best documents matching ``tsquery`` by ``ts_rank``, with the query terms each contains.

    Title terms weigh 1.0, extra terms (tags, linked titles) 0.4, body 0.2; rank is
    normalised by log length (flag 1) so long bodies do not win by bulk.
    """
    return await conn.fetch(
        "SELECT d.ref_id, d.project_id, d.visibility, d.language, d.title, d.body, d.rank,"
        " ARRAY(SELECT unnest(tsvector_to_array(d.terms)) INTERSECT SELECT unnest($5::text[])) AS matched"
        " FROM (SELECT s.*, ts_rank('{0.2, 0.2, 0.4, 1.0}', s.terms, q, 1) AS rank"
        "   FROM search_documents s, CAST($3 AS tsquery) q"
        "   WHERE s.organization_id = $1 AND s.kind = $2 AND s.terms @@ q"
        "   ORDER BY rank DESC, s.ref_id DESC LIMIT $4) d"
        " ORDER BY d.rank DESC, d.ref_id DESC",
        organization_id, kind, tsquery, limit, list(terms),
    )
