"""Cluster reads and edits for the API: lists, details, status, merge and unmerge."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from server.db.clusters import Conn, recompute

# sort name -> (column, its SQL type); every order ends with the id so keys are unique.
SORTS = {
    "count": ("c.event_count", "bigint"), "users": ("c.user_count", "bigint"), "trending": ("t.n", "bigint"),
    "last_seen": ("c.last_seen", "timestamptz"), "first_seen": ("c.first_seen", "timestamptz"),
}
# "regressed" is a view of status: unresolved again after a fix, with the release it came back in.
_STATUS = (
    "($2::text IS NULL OR c.status = $2"
    " OR ($2 = 'regressed' AND c.status = 'unresolved' AND c.regressed_in_release IS NOT NULL))"
)
# The text filter: $8 a substring of title or culprit in any case (LIKE's own characters escaped), so
# the trigram index of migration 0071 can answer it.
_TEXT = (
    " AND lower(c.title || ' ' || coalesce(c.culprit, ''))"
    " LIKE '%' || replace(replace(replace(lower($8), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
)
# The owner filter, $9: a user id (index clusters_owner_project, migration 0072), or unowned clusters; each its
# own statement, so the planner sees which.
_OWNER = {"any": " AND $9::bigint IS NULL", "none": " AND c.owner_id IS NULL AND $9::bigint IS NULL",
          "user": " AND c.owner_id = $9::bigint"}
# Trending: events received since $10 (the last 24 hours), read through events_project_received.
_TRENDING = (
    " JOIN (SELECT cluster_id, count(*) AS n FROM events WHERE project_id = $1 AND received_at >= $10"
    " AND cluster_id IS NOT NULL GROUP BY cluster_id) t ON t.cluster_id = c.id"
)
_CLUSTER_COLUMNS = (
    "c.id, c.project_id, c.title, c.culprit, c.level, c.platform, c.status, c.regressed_in_release, c.merged_into,"
    " c.event_count, c.user_count, c.first_seen, c.last_seen, c.first_release, c.last_release, c.config_id,"
    # the resolution (server.services.resolution); resolved_in is the one source of "fixed in"
    " (SELECT r.version FROM releases r WHERE r.id = c.resolved_in_release_id) AS resolved_in, c.resolved_in_next,"
    " c.resolved_at, c.regressed_in_release AS regressed_in, c.regressed_at, c.older_release_events AS seen_in_older_release,"
    " (SELECT u.email FROM users u WHERE u.id = c.owner_id) AS owner"
)


async def list_clusters(
    conn: Conn,
    project_id: int,
    *,
    status: str | None,
    release: str | None,
    environment: str | None,
    sort: str,
    limit: int,
    after: tuple[Any, int] | None,
    query: str | None = None,
    since: dt.datetime | None = None,
    owner: int | None = None,
) -> list[asyncpg.Record]:
    """A page of a project's clusters (merged-away ones hidden), highest key first, after the key ``after``.

    ``release``/``environment`` keep clusters seen there; ``query`` those whose title or culprit holds it
    (any case); ``owner`` those a user owns (its id; 0: those nobody owns); sort ``trending`` counts events
    received since ``since`` and keeps clusters that have some.
    Each row has ``sort_key``, the value the page is ordered by.
    """
    column, sql_type = SORTS[sort]
    trending = _TRENDING if sort == "trending" else ""
    since_arg = [since] if sort == "trending" else []
    async with _custom_plan(conn, bool(query)) as c:
        return await _page(c, column, sql_type, trending, project_id, status, release, environment, after, limit,
                           query, owner, since_arg)


@contextlib.asynccontextmanager
async def _custom_plan(conn: Conn, needed: bool) -> AsyncIterator[Any]:
    """A connection that plans each statement for its values, when ``needed``: the text filter's
    trigram index is only usable once the pattern is known (a generic plan would scan)."""
    if not needed:
        yield conn
        return
    async with conn.acquire() if isinstance(conn, asyncpg.Pool) else contextlib.nullcontext(conn) as c, c.transaction():
        await c.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield c


async def _page(
    conn: Any, column: str, sql_type: str, trending: str, project_id: int, status: str | None, release: str | None,
    environment: str | None, after: tuple[Any, int] | None, limit: int, query: str | None, owner: int | None,
    since_arg: list[Any],
) -> list[asyncpg.Record]:
    owned = "any" if owner is None else "none" if owner == 0 else "user"
    return await conn.fetch(
        f"SELECT {_CLUSTER_COLUMNS}, {column} AS sort_key FROM clusters c{trending}"
        " WHERE c.project_id = $1 AND c.merged_into IS NULL"
        f" AND {_STATUS}"
        f"{_TEXT if query else ' AND $8::text IS NULL'}"
        f"{_OWNER[owned]}"
        " AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM cluster_release_stats r WHERE r.cluster_id = c.id AND r.release = $3))"
        " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM cluster_environment_stats v"
        "      WHERE v.cluster_id = c.id AND v.environment = $4))"
        f" AND ($6::bigint IS NULL OR ({column}, c.id) < ($5::{sql_type}, $6::bigint))"
        f" ORDER BY {column} DESC, c.id DESC LIMIT $7",
        project_id,
        status,
        release,
        environment,
        after[0] if after else None,
        after[1] if after else None,
        limit,
        query or None,
        owner or None,
        *since_arg,
    )


async def get_cluster(conn: Conn, project_id: int, cluster_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_CLUSTER_COLUMNS} FROM clusters c WHERE c.project_id = $1 AND c.id = $2", project_id, cluster_id
    )


async def cluster_details(conn: Conn, cluster_id: int) -> dict[str, list[asyncpg.Record]]:
    return {
        "fingerprints": await conn.fetch(
            "SELECT hash, cluster_id, config_id, origin, score, created_at FROM cluster_fingerprints"
            " WHERE cluster_id IN (SELECT id FROM clusters WHERE id = $1 OR merged_into = $1) ORDER BY created_at",
            cluster_id,
        ),
        "releases": await conn.fetch(
            "SELECT release, count, first_seen, last_seen FROM cluster_release_stats WHERE cluster_id = $1"
            " ORDER BY first_seen",
            cluster_id,
        ),
        "environments": await conn.fetch(
            "SELECT environment, count FROM cluster_environment_stats WHERE cluster_id = $1 ORDER BY count DESC", cluster_id
        ),
        "merged": await conn.fetch("SELECT id, title FROM clusters WHERE merged_into = $1 ORDER BY id", cluster_id),
        "notes": await conn.fetch(
            "SELECT note, count(*) AS events FROM (SELECT unnest(notes) AS note FROM"
            " (SELECT notes FROM events WHERE cluster_id = $1 ORDER BY id DESC LIMIT 200) recent) n"
            " GROUP BY note ORDER BY count(*) DESC, note LIMIT 20",
            cluster_id,
        ),
        "latest_events": await conn.fetch(
            "SELECT replace(event_id::text, '-', '') AS event_id, occurred_at, release FROM events"
            " WHERE cluster_id = $1 ORDER BY id DESC LIMIT 10",
            cluster_id,
        ),
    }


async def merge(conn: asyncpg.Connection, project_id: int, target: int, sources: Sequence[int]) -> list[int]:
    """Fold ``sources`` into ``target``; later events of their hashes follow. Returns the merged ids."""
    ids = await conn.fetch(
        "SELECT id FROM clusters WHERE project_id = $1 AND id = ANY($2::bigint[]) AND id <> $3 ORDER BY id FOR UPDATE",
        project_id,
        list(sources),
        target,
    )
    merged = [r["id"] for r in ids]
    if not merged:
        return []
    await conn.execute(
        "UPDATE clusters SET merged_into = $2 WHERE project_id = $3 AND (id = ANY($1::bigint[]) OR merged_into = ANY($1::bigint[]))",
        merged,
        target,
        project_id,
    )
    await conn.execute("UPDATE events SET cluster_id = $2 WHERE cluster_id = ANY($1::bigint[])", merged, target)
    await recompute(conn, [target, *merged])
    return merged


async def unmerge(conn: asyncpg.Connection, project_id: int, target: int, sources: Sequence[int]) -> list[int]:
    """Split clusters back out of ``target``: their hashes and the events of those hashes return."""
    rows = await conn.fetch(
        "UPDATE clusters SET merged_into = NULL WHERE project_id = $1 AND merged_into = $2 AND id = ANY($3::bigint[])"
        " RETURNING id",
        project_id,
        target,
        list(sources),
    )
    split = sorted(r["id"] for r in rows)
    if not split:
        return []
    await conn.execute(
        "UPDATE events SET cluster_id = grouping_cluster_id WHERE cluster_id = $1 AND grouping_cluster_id = ANY($2::bigint[])",
        target,
        split,
    )
    await recompute(conn, [target, *split])
    return split


async def daily_counts(
    conn: Conn, project_id: int, cluster_ids: Sequence[int], *, since: dt.datetime
) -> list[asyncpg.Record]:
    """(cluster_id, day, count) of events received since ``since``, for a page of clusters in one query.

    ``day`` counts whole days from ``since`` (0 is the oldest); the id of the last event received
    before ``since`` bounds the scan of events_cluster (ids grow with arrival), so old events are not read.
    """
    return await conn.fetch(
        "WITH before AS (SELECT coalesce((SELECT id FROM events WHERE project_id = $1 AND received_at < $3"
        "   ORDER BY received_at DESC, id DESC LIMIT 1), 0) AS id)"
        " SELECT cluster_id, floor(extract(epoch FROM received_at - $3) / 86400)::int AS day, count(*) AS count"
        " FROM events WHERE cluster_id = ANY($2::bigint[]) AND id > (SELECT id FROM before) AND received_at >= $3"
        " GROUP BY 1, 2",
        project_id,
        list(cluster_ids),
        since,
    )
