"""SQL of article <-> cluster links and of the stale flag."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.db.search import Conn

_LINK = (
    "l.article_id, l.cluster_id, c.project_id, c.title AS cluster_title, l.affected, l.fixed_in, l.workaround,"
    " l.linked_by, l.linked_at, c.status AS cluster_status, r.version AS resolved_in"
    " FROM kb_article_clusters l JOIN clusters c ON c.id = l.cluster_id"
    " LEFT JOIN releases r ON r.id = c.resolved_in_release_id"
)


async def links_of_article(conn: Conn, article_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_LINK} WHERE l.article_id = $1 ORDER BY l.linked_at, l.cluster_id", article_id)


async def link(conn: Conn, article_id: int, cluster_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_LINK} WHERE l.article_id = $1 AND l.cluster_id = $2", article_id, cluster_id)


async def cluster_in_org(conn: Conn, organization_id: int, cluster_id: int) -> asyncpg.Record | None:
    """The cluster (following merges) if it belongs to one of the organization's projects."""
    return await conn.fetchrow(
        "SELECT c.id, c.project_id, c.title, c.culprit, c.status, c.first_seen, c.last_seen, c.event_count,"
        " c.user_count, c.regressed_in_release FROM clusters c JOIN projects p ON p.id = c.project_id"
        " WHERE p.organization_id = $1 AND c.id = coalesce((SELECT merged_into FROM clusters WHERE id = $2), $2)",
        organization_id, cluster_id,
    )


async def upsert_link(conn: Conn, article_id: int, cluster_id: int, affected: str | None, fixed_in: str | None,
                      workaround: str | None, linked_by: str) -> None:
    await conn.execute(
        "INSERT INTO kb_article_clusters (article_id, cluster_id, affected, fixed_in, workaround, linked_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (article_id, cluster_id) DO UPDATE SET"
        " affected = EXCLUDED.affected, fixed_in = EXCLUDED.fixed_in, workaround = EXCLUDED.workaround,"
        " linked_by = EXCLUDED.linked_by, linked_at = now()",
        article_id, cluster_id, affected, fixed_in, workaround, linked_by,
    )


async def unlink(conn: Conn, article_id: int, cluster_id: int) -> bool:
    done = await conn.execute("DELETE FROM kb_article_clusters WHERE article_id = $1 AND cluster_id = $2",
                              article_id, cluster_id)
    return done != "DELETE 0"


async def articles_of_cluster(conn: Conn, cluster_id: int) -> list[asyncpg.Record]:
    """Links of a cluster (and of the clusters merged into it) with their articles' owners."""
    return await conn.fetch(
        "SELECT l.article_id, l.fixed_in, a.organization_id, a.stale, u.email AS owner FROM kb_article_clusters l"
        " JOIN kb_articles a ON a.id = l.article_id LEFT JOIN users u ON u.id = a.owner_id"
        " WHERE l.cluster_id = $1 OR l.cluster_id IN (SELECT id FROM clusters WHERE merged_into = $1)",
        cluster_id,
    )


async def linked_articles(conn: Conn, organization_id: int, cluster_id: int) -> list[asyncpg.Record]:
    """The articles linked to a cluster (or to one merged into it), each with one title (English first)."""
    return await conn.fetch(
        "SELECT DISTINCT ON (a.id) a.id AS article_id, t.title, t.language, a.status, a.stale, l.fixed_in, l.workaround"
        " FROM kb_article_clusters l JOIN kb_articles a ON a.id = l.article_id"
        " JOIN kb_translations t ON t.article_id = a.id"
        " WHERE a.organization_id = $1"
        " AND (l.cluster_id = $2 OR l.cluster_id IN (SELECT id FROM clusters WHERE merged_into = $2))"
        " ORDER BY a.id, t.language <> 'en', t.id LIMIT 50",
        organization_id, cluster_id,
    )


async def mark_stale(conn: Conn, article_ids: Sequence[int], reason: str) -> list[int]:
    """Flag these articles for re-verification; returns the ones that were not flagged already."""
    rows = await conn.fetch(
        "UPDATE kb_articles SET stale = true, stale_reason = $2, stale_at = now()"
        " WHERE id = ANY($1::bigint[]) AND NOT stale RETURNING id",
        list(article_ids), reason,
    )
    return [r["id"] for r in rows]


async def cluster_sample(conn: Conn, cluster_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT normalized FROM events WHERE cluster_id = $1 AND normalized IS NOT NULL ORDER BY id DESC LIMIT 1",
        cluster_id,
    )


async def cluster_releases(conn: Conn, cluster_id: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT release FROM cluster_release_stats WHERE cluster_id = $1 ORDER BY first_seen LIMIT 50", cluster_id
    )
    return [r["release"] for r in rows]
