"""SQL of tickets: insert, read, list, move between clusters, and the facts a match shows.

A ticket's cluster is read through ``clusters.merged_into`` so a merge carries its
tickets along; every query leads with the project (or ids already scoped to it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool

TICKET_COLUMNS = (
    "t.id, t.project_id, t.external_ref, t.subject, t.body, t.customer, t.version, t.language,"
    " COALESCE(c.merged_into, t.cluster_id) AS cluster_id, t.status, t.match, t.match_source, t.trace_kind,"
    " t.article_id, t.fix_version, t.created_at"
)
_FROM = " FROM tickets t LEFT JOIN clusters c ON c.id = t.cluster_id"


async def insert_ticket(conn: Conn, row: dict[str, Any]) -> int:
    return int(await conn.fetchval(
        "INSERT INTO tickets (organization_id, project_id, external_ref, subject, body, customer, version, language,"
        " cluster_id, match, match_source, trace_kind, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13, now())) RETURNING id",
        row["organization_id"], row["project_id"], row.get("external_ref"), row["subject"], row["body"],
        row.get("customer"), row.get("version"), row["language"], row["cluster_id"], row.get("match"),
        row["match_source"], row.get("trace_kind"), row.get("created_at"),
    ))


async def get_ticket(conn: Conn, project_id: int, ticket_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT " + TICKET_COLUMNS + _FROM + " WHERE t.project_id = $1 AND t.id = $2",
                               project_id, ticket_id)


async def by_external_refs(conn: Conn, project_id: int, refs: Sequence[str]) -> dict[str, int]:
    rows = await conn.fetch("SELECT external_ref, id FROM tickets WHERE project_id = $1 AND external_ref = ANY($2::text[])",
                            project_id, list(refs))
    return {r["external_ref"]: r["id"] for r in rows}


async def list_tickets(
    conn: Conn, project_id: int, *, cluster_id: int | None, status: str | None, customer: str | None,
    version: str | None, before_id: int | None, limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT " + TICKET_COLUMNS + _FROM + " WHERE t.project_id = $1"
        " AND ($2::bigint IS NULL OR COALESCE(c.merged_into, t.cluster_id) = $2)"
        " AND ($3::text IS NULL OR t.status = $3) AND ($4::text IS NULL OR t.customer = $4)"
        " AND ($5::text IS NULL OR t.version = $5) AND ($6::bigint IS NULL OR t.id < $6)"
        " ORDER BY t.id DESC LIMIT $7",
        project_id, cluster_id, status, customer, version, before_id, limit,
    )


async def set_cluster(conn: Conn, project_id: int, ticket_id: int, cluster_id: int, source: str, match: Any) -> bool:
    done = await conn.execute(
        "UPDATE tickets SET cluster_id = $3, match_source = $4, match = $5, updated_at = now()"
        " WHERE project_id = $1 AND id = $2", project_id, ticket_id, cluster_id, source, match)
    return done != "UPDATE 0"


async def set_article(conn: Conn, project_id: int, ticket_id: int, article_id: int | None) -> bool:
    done = await conn.execute("UPDATE tickets SET article_id = $3, updated_at = now() WHERE project_id = $1 AND id = $2",
                              project_id, ticket_id, article_id)
    return done != "UPDATE 0"


async def cluster_in_project(conn: Conn, project_id: int, cluster_id: int) -> int | None:
    """The cluster (after merges) if it belongs to the project."""
    return await conn.fetchval("SELECT COALESCE(merged_into, id) FROM clusters WHERE project_id = $1 AND id = $2",
                               project_id, cluster_id)


async def create_ticket_cluster(conn: Conn, project_id: int, title: str, when: dt.datetime, signature: bytes,
                                config_id: str) -> int:
    """A cluster started by a ticket (no event yet): later duplicates and crashes can join it."""
    return int(await conn.fetchval(
        "INSERT INTO clusters (project_id, title, level, platform, first_seen, last_seen, config_id, signature)"
        " VALUES ($1, $2, 'info', 'ticket', $3, $3, $4, $5) RETURNING id",
        project_id, title[:200], when, config_id, signature))


async def create_ticket_clusters(conn: Conn, project_id: int, titles: Sequence[str], whens: Sequence[dt.datetime | None],
                                 signature: bytes, config_id: str) -> list[int]:
    """``create_ticket_cluster`` for many tickets in one statement; ids in the order given
    (the sequence hands them out in the insert's ``ORDER BY`` order)."""
    rows = await conn.fetch(
        "INSERT INTO clusters (project_id, title, level, platform, first_seen, last_seen, config_id, signature)"
        " SELECT $1, left(x.title, 200), 'info', 'ticket', COALESCE(x.seen, now()), COALESCE(x.seen, now()), $4, $5"
        " FROM unnest($2::text[], $3::timestamptz[]) WITH ORDINALITY AS x(title, seen, n) ORDER BY x.n RETURNING id",
        project_id, list(titles), list(whens), config_id, signature)
    return sorted(r["id"] for r in rows)


async def insert_tickets(conn: Conn, organization_id: int, project_id: int, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Tickets that started their own cluster, in one statement: rows of (external_ref, subject, body,
    customer, version, language, cluster_id, created_at); ids in the order given."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    out = await conn.fetch(
        "INSERT INTO tickets (organization_id, project_id, external_ref, subject, body, customer, version, language,"
        " cluster_id, match_source, created_at)"
        " SELECT $1, $2, x.ref, x.subject, x.body, x.customer, x.version, x.language, x.cluster, 'new', COALESCE(x.at, now())"
        " FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[],"
        "             $10::timestamptz[]) WITH ORDINALITY AS x(ref, subject, body, customer, version, language, cluster, at, n)"
        " ORDER BY x.n RETURNING id",
        organization_id, project_id, *(list(c) for c in cols))
    return sorted(r["id"] for r in out)


async def tickets_by_ids(conn: Conn, project_id: int, ids: Sequence[int], recent: int = 0) -> list[asyncpg.Record]:
    """The tickets, each with ``newer``: how many of the project's tickets were filed after it, when
    that is fewer than ``recent`` (NULL otherwise; read from the newest ``recent`` ids by index)."""
    return await conn.fetch(
        "WITH recent AS (SELECT array_agg(id ORDER BY id DESC) AS ids FROM"
        "  (SELECT id FROM tickets WHERE project_id = $1 ORDER BY id DESC LIMIT $3) s)"
        " SELECT t.id, COALESCE(c.merged_into, t.cluster_id) AS cluster_id, t.subject, t.body, t.match_source,"
        " array_position(recent.ids, t.id) - 1 AS newer"
        + _FROM + " CROSS JOIN recent WHERE t.project_id = $1 AND t.id = ANY($2::bigint[])", project_id, list(ids), recent)


async def ticket_counts(conn: Conn, cluster_ids: Sequence[int]) -> dict[int, int]:
    """Tickets per cluster, merged-away clusters' tickets included. The clusters merged into the
    given ones are found first (``clusters_merged_into``), then each cluster's tickets are counted
    on ``tickets_cluster``: an ``OR`` across the join made the planner scan every ticket."""
    rows = await conn.fetch(
        "WITH m AS (SELECT id, merged_into AS cid FROM clusters WHERE merged_into = ANY($1::bigint[])"
        "           UNION ALL SELECT id, id FROM clusters WHERE id = ANY($1::bigint[]) AND merged_into IS NULL)"
        " SELECT m.cid, sum((SELECT count(*) FROM tickets t WHERE t.cluster_id = m.id)) AS n FROM m GROUP BY m.cid",
        list(cluster_ids))
    return {r["cid"]: int(r["n"]) for r in rows}


async def clusters_to_index(conn: Conn, project_id: int, after_id: int, since: Any, limit: int) -> list[asyncpg.Record]:
    """Clusters created after ``after_id``, and active ones whose event count doubled since indexed,
    each with the normalised payloads of its latest events (their routes, jobs and messages).

    The two kinds are found apart, each by its index (ids after the watermark; ``last_seen``
    after the last sync): one ``OR`` made the planner walk every cluster of the project on every
    lookup."""
    return await conn.fetch(
        "SELECT c.id, c.title, c.culprit, c.signature, c.platform, c.event_count, c.last_seen,"
        " ARRAY(SELECT e.normalized FROM events e WHERE e.cluster_id = c.id AND e.normalized IS NOT NULL"
        "       ORDER BY e.id DESC LIMIT 3) AS samples"
        " FROM clusters c LEFT JOIN ticket_cluster_index x ON x.cluster_id = c.id"
        " WHERE c.id = ANY(ARRAY((SELECT id FROM clusters WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $4)"
        "                        UNION SELECT id FROM clusters WHERE project_id = $1 AND last_seen > $3))"
        " AND c.merged_into IS NULL AND c.platform <> 'ticket' AND ("
        "   c.id > $2 OR (c.last_seen > $3 AND c.event_count >= 2 * COALESCE(x.events, 0)))"
        " ORDER BY c.id LIMIT $4", project_id, after_id, since, limit)


async def mark_indexed(conn: Conn, rows: Sequence[tuple[int, int, str]]) -> None:
    """(cluster, its event count, the document's extra words) as just indexed."""
    await conn.executemany(
        "INSERT INTO ticket_cluster_index (cluster_id, events, extra) VALUES ($1, $2, $3)"
        " ON CONFLICT (cluster_id) DO UPDATE SET events = EXCLUDED.events, extra = EXCLUDED.extra", rows)


async def search_state(conn: Conn, project_id: int) -> tuple[int, Any, Any, int, bool]:
    """(cluster watermark, last sync, the database's now, the project's newest cluster, whether any cluster
    was seen since the last sync) in one round trip: with none new and none seen, ``clusters_to_index``
    has nothing to find, and most lookups need not ask it (planned afresh each time, it cost 0.8 ms).
    The latest ``last_seen`` is read as a max (first entry of ``clusters_project_last_seen``): an
    EXISTS against the state's column was planned as a scan of the project's clusters."""
    row = await conn.fetchrow(
        "SELECT s.cluster_watermark, s.synced_at, now() AS now,"
        " COALESCE((SELECT max(id) FROM clusters WHERE project_id = $1), 0) AS newest,"
        " (SELECT max(last_seen) FROM clusters WHERE project_id = $1) AS latest"
        " FROM (SELECT 1) one LEFT JOIN ticket_search_state s ON s.project_id = $1", project_id)
    mark, since = row["cluster_watermark"], row["synced_at"]
    if mark is None:
        mark, since = 0, dt.datetime.min.replace(tzinfo=dt.UTC)
    seen = row["latest"] is not None and row["latest"] > since
    return int(mark), since, row["now"], int(row["newest"]), seen


async def set_search_state(conn: Conn, project_id: int, watermark: int, synced_at: Any) -> None:
    await conn.execute(
        "INSERT INTO ticket_search_state (project_id, cluster_watermark, synced_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (project_id) DO UPDATE SET cluster_watermark = GREATEST(ticket_search_state.cluster_watermark, $2),"
        " synced_at = GREATEST(ticket_search_state.synced_at, $3)", project_id, watermark, synced_at)


async def clusters_by_ids(conn: Conn, project_id: int, ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.id, c.title, c.culprit, c.signature, c.platform, c.status, c.regressed_in_release, c.event_count,"
        " COALESCE(x.extra, '') AS extra, x.events AS indexed_events"
        " FROM clusters c LEFT JOIN ticket_cluster_index x ON x.cluster_id = c.id"
        " WHERE c.project_id = $1 AND c.id = ANY($2::bigint[])", project_id, list(ids))


async def mark_fix_available(conn: Conn, project_id: int, release_id: int, version: str) -> list[asyncpg.Record]:
    """Open tickets whose cluster (after merges) was resolved in the release become ``fix_available``."""
    return await conn.fetch(
        "UPDATE tickets t SET status = 'fix_available', fix_version = $3, updated_at = now()"
        " FROM clusters c LEFT JOIN clusters m ON m.id = c.merged_into"
        " WHERE t.project_id = $1 AND t.status = 'open' AND c.id = t.cluster_id"
        " AND COALESCE(m.resolved_in_release_id, c.resolved_in_release_id) = $2"
        " RETURNING t.id, t.external_ref, COALESCE(c.merged_into, c.id) AS cluster_id, t.customer, t.version, t.subject",
        project_id, release_id, version)


async def released_fix(conn: Conn, cluster_id: int) -> asyncpg.Record | None:
    """(release id, version) the cluster (after merges) is resolved in, when that release is out."""
    return await conn.fetchrow(
        "SELECT r.id, r.version FROM clusters c LEFT JOIN clusters m ON m.id = c.merged_into"
        " JOIN releases r ON r.id = COALESCE(m.resolved_in_release_id, c.resolved_in_release_id)"
        " WHERE c.id = $1 AND COALESCE(m.status, c.status) = 'resolved' AND r.released_at IS NOT NULL", cluster_id)


async def list_org_tickets(
    conn: Conn, organization_id: int, *, project_id: int | None, cluster_id: int | None, status: str | None,
    customer: str | None, version: str | None, before_id: int | None, limit: int,
) -> list[asyncpg.Record]:
    """The organization's tickets across its projects (or one), newest first, with each cluster's title."""
    return await conn.fetch(
        "SELECT " + TICKET_COLUMNS + ", COALESCE(m.title, c.title) AS cluster_title"
        " FROM tickets t LEFT JOIN clusters c ON c.id = t.cluster_id LEFT JOIN clusters m ON m.id = c.merged_into"
        " WHERE t.organization_id = $1 AND ($2::bigint IS NULL OR t.project_id = $2)"
        " AND ($3::bigint IS NULL OR COALESCE(c.merged_into, t.cluster_id) = $3)"
        " AND ($4::text IS NULL OR t.status = $4) AND ($5::text IS NULL OR t.customer = $5)"
        " AND ($6::text IS NULL OR t.version = $6) AND ($7::bigint IS NULL OR t.id < $7)"
        " ORDER BY t.id DESC LIMIT $8",
        organization_id, project_id, cluster_id, status, customer, version, before_id, limit,
    )
