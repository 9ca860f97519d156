"""What a lookup candidate shows beside the cluster: fixed-in release, regression, articles.

The release and knowledge-base tables belong to other parts; these reads go through
their public columns (``clusters.resolved_in_release_id`` -> ``releases.version``,
``kb_article_clusters``), and answer empty where a part is not installed yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
_present: dict[str, bool] = {}


async def _has(conn: Conn, table: str, column: str | None = None) -> bool:
    key = f"{table}.{column}"
    if key not in _present:
        if column is None:
            found = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        else:
            found = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2)",
                table, column)
        if not found:
            return False  # not cached: the part may be migrated in later
        _present[key] = True
    return _present[key]


async def fixed_in(conn: Conn, cluster_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """cluster -> (version it was resolved in, release id) for resolved clusters."""
    if not cluster_ids or not await _has(conn, "clusters", "resolved_in_release_id"):
        return {}
    rows = await conn.fetch(
        "SELECT c.id, r.version, r.id AS release_id FROM clusters c JOIN releases r ON r.id = c.resolved_in_release_id"
        " WHERE c.id = ANY($1::bigint[])", list(cluster_ids))
    return {r["id"]: (r["version"], r["release_id"]) for r in rows}


async def project_packages(conn: Conn, project_id: int) -> frozenset[str] | None:
    if not await _has(conn, "releases", "package"):
        return None
    rows = await conn.fetch("SELECT DISTINCT package FROM releases WHERE project_id = $1", project_id)
    return frozenset(r["package"] for r in rows)


async def articles(conn: Conn, cluster_ids: Sequence[int], language: str | None = None,
                   per_cluster: int = 3) -> dict[int, list[tuple[int, str]]]:
    """cluster -> [(article id, title)]: those the knowledge base links to it first, then those agents
    sent as the answer to its tickets (``PUT .../tickets/{id}/cluster`` with ``article_id``), the most
    sent first: what solved the cluster's earlier cases is what to send the next customer. Archived
    ones left out; titled in ``language`` where the article has it."""
    if not cluster_ids or not await _has(conn, "kb_article_clusters"):
        return {}
    rows = await conn.fetch(
        "WITH m AS (SELECT id, merged_into AS cid FROM clusters WHERE merged_into = ANY($1::bigint[])"
        "           UNION ALL SELECT id, id FROM clusters WHERE id = ANY($1::bigint[]) AND merged_into IS NULL),"
        " answers AS (SELECT m.cid AS cluster_id, t.article_id, count(*) AS sent FROM m"
        "             JOIN tickets t ON t.cluster_id = m.id WHERE t.article_id IS NOT NULL GROUP BY 1, 2),"
        " found AS (SELECT cluster_id, article_id, 0 AS kind, 0::bigint AS sent FROM kb_article_clusters"
        "           WHERE cluster_id = ANY($1::bigint[])"
        "           UNION ALL SELECT cluster_id, article_id, 1, sent FROM answers)"
        " SELECT DISTINCT ON (f.cluster_id, a.id) f.cluster_id, a.id, f.kind, f.sent,"
        " (SELECT t.title FROM kb_translations t WHERE t.article_id = a.id"
        "   ORDER BY (t.language = $2) DESC, t.id LIMIT 1) AS title"
        " FROM found f JOIN kb_articles a ON a.id = f.article_id WHERE a.status <> 'archived'"
        " ORDER BY f.cluster_id, a.id, f.kind",
        list(cluster_ids), language or "")
    rows = sorted(rows, key=lambda r: (r["cluster_id"], r["kind"], -r["sent"], r["id"]))
    out: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        lst = out.setdefault(r["cluster_id"], [])
        if len(lst) < per_cluster and r["title"] is not None:
            lst.append((r["id"], r["title"]))
    return out


async def candidate_facts(conn: Conn, project_id: int, cluster_ids: Sequence[int]) -> list[asyncpg.Record] | None:
    """What a lookup shows of each of the project's ``cluster_ids`` but its articles, in one round trip: the
    cluster's columns, its tickets as ``tickets.ticket_counts`` counts them and the release it was resolved
    in (``fixed_in``). None when the releases part is not installed: the caller reads each on its own."""
    if not await _has(conn, "clusters", "resolved_in_release_id"):
        return None
    return await conn.fetch(
        "SELECT c.id, c.title, c.status, c.regressed_in_release, c.event_count, r.version, r.id AS release_id,"
        " (SELECT count(*) FROM tickets t WHERE t.cluster_id = c.id AND c.merged_into IS NULL)"
        " + (SELECT count(*) FROM clusters m JOIN tickets t ON t.cluster_id = m.id WHERE m.merged_into = c.id) AS tickets"
        " FROM clusters c LEFT JOIN releases r ON r.id = c.resolved_in_release_id"
        " WHERE c.project_id = $1 AND c.id = ANY($2::bigint[])", project_id, list(cluster_ids))
