"""Releases: creation (by API, CLI or first event), reads in version order, deploys, and
the counters the worker adds per batch.

Ordering is the database's: ``sort_key`` (``kb_link.versions.order_key``) compares byte by
byte in version order, so a page of releases is one index range scan. Counter writes
touch rows in id order so concurrent workers cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

from kb_link.versions import Version, order_key

Conn = asyncpg.Connection | asyncpg.Pool

RELEASE_COLUMNS = (
    "r.id, r.project_id, r.version, r.package, r.number, r.build, r.scheme, r.sort_key, r.created_at,"
    " r.first_event, r.last_event, r.released_at, r.environments, r.event_count, r.user_count, r.cluster_count"
)


def _values(v: Version) -> tuple[str, str, str | None, str, str]:
    return v.package, v.number, v.build, v.scheme, order_key(v)


async def ensure(conn: asyncpg.Connection, project_id: int, versions: Sequence[Version]) -> tuple[list[Any], set[int]]:
    """The rows of these versions, creating missing ones; also the ids created now."""
    cols = list(zip(*(( v.raw, *_values(v)) for v in sorted(versions, key=lambda v: v.raw)), strict=True))
    created = await conn.fetch(
        "INSERT INTO releases (project_id, version, package, number, build, scheme, sort_key)"
        " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])"
        " ON CONFLICT (project_id, version) DO NOTHING RETURNING id",
        project_id,
        *[list(c) for c in cols],
    )
    rows = await conn.fetch(
        f"SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.project_id = $1 AND r.version = ANY($2::text[])",
        project_id,
        list(cols[0]),
    )
    return list(rows), {r["id"] for r in created}


async def create(
    conn: asyncpg.Connection, project_id: int, v: Version, released_at: dt.datetime | None
) -> tuple[Any, bool]:
    """(row, created now); an existing release keeps its dates unless ``released_at`` is given."""
    new_id = await conn.fetchval(
        "INSERT INTO releases (project_id, version, package, number, build, scheme, sort_key, released_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (project_id, version) DO NOTHING RETURNING id",
        project_id,
        v.raw,
        *_values(v),
        released_at,
    )
    if new_id is None and released_at is not None:
        await conn.execute(
            "UPDATE releases SET released_at = $3 WHERE project_id = $1 AND version = $2", project_id, v.raw, released_at
        )
    return await get(conn, project_id, v.raw), new_id is not None


async def get(conn: Conn, project_id: int, version: str) -> Any:
    return await conn.fetchrow(
        f"SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.project_id = $1 AND r.version = $2", project_id, version
    )


async def set_released(conn: Conn, project_id: int, version: str, released_at: dt.datetime | None) -> bool:
    done = await conn.execute(
        "UPDATE releases SET released_at = $3 WHERE project_id = $1 AND version = $2", project_id, version, released_at
    )
    return done.endswith(" 1")


async def page(
    conn: Conn, project_id: int, *, package: str | None, after: tuple[str, str, int] | None, limit: int
) -> list[Any]:
    """Newest version first within each package (packages by name); keyset after (package, sort_key, id)."""
    return await conn.fetch(
        f"SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.project_id = $1 AND ($2::text IS NULL OR r.package = $2)"
        " AND ($3::text IS NULL OR r.package > $3 OR (r.package = $3 AND (r.sort_key, r.id) < ($4::text COLLATE \"C\", $5)))"
        " ORDER BY r.package, r.sort_key DESC, r.id DESC LIMIT $6",
        project_id,
        package,
        after[0] if after else None,
        after[1] if after else None,
        after[2] if after else None,
        limit,
    )


async def packages(conn: Conn, project_id: int) -> list[str]:
    rows = await conn.fetch(
        "WITH RECURSIVE p AS (SELECT min(package) AS package FROM releases WHERE project_id = $1"
        " UNION ALL SELECT (SELECT min(package) FROM releases WHERE project_id = $1 AND package > p.package)"
        " FROM p WHERE p.package IS NOT NULL) SELECT package FROM p WHERE package IS NOT NULL",
        project_id,
    )
    return [r["package"] for r in rows]


async def newest(conn: Conn, project_id: int, package: str) -> tuple[int, str | None]:
    """(newest release id of the project, highest parsed version key of ``package``)."""
    top_id = await conn.fetchval("SELECT max(id) FROM releases WHERE project_id = $1", project_id)
    top_key = await conn.fetchval(
        "SELECT sort_key FROM releases WHERE project_id = $1 AND package = $2 AND sort_key > '0'"
        " ORDER BY sort_key DESC LIMIT 1",
        project_id,
        package,
    )
    return int(top_id or 0), (top_key[1:] if top_key else None)


async def add_deploy(
    conn: Conn, release_id: int, environment: str, name: str | None, url: str | None,
    started: dt.datetime | None, finished: dt.datetime | None,
) -> Any:
    return await conn.fetchrow(
        "INSERT INTO release_deploys (release_id, environment, name, url, date_started, date_finished)"
        " VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()))"
        " RETURNING id, environment, name, url, date_started, date_finished",
        release_id,
        environment,
        name,
        url,
        started,
        finished,
    )


async def deploys(conn: Conn, release_id: int, limit: int = 50) -> list[Any]:
    return await conn.fetch(
        "SELECT id, environment, name, url, date_started, date_finished FROM release_deploys"
        " WHERE release_id = $1 ORDER BY date_finished DESC, id DESC LIMIT $2",
        release_id,
        limit,
    )


async def add_batch(
    conn: asyncpg.Connection,
    totals: Sequence[tuple[int, int, dt.datetime | None, dt.datetime | None]],
    environments: Sequence[tuple[int, str]],
    users: Sequence[tuple[int, str]],
    clusters: Sequence[tuple[int, int, int, dt.datetime, dt.datetime]],
    arrivals: Sequence[int],
) -> set[int]:
    """One batch's counts in one statement (a round trip and one row version per release);
    returns which of ``arrivals`` (clusters the batch's new events reached) are not unresolved.

    totals: (release_id, events, first, last) for every release the batch touched;
    environments: (release_id, environment); users: (release_id, user_key), a user new to a
    release adds one to its user_count; clusters: (release_id, cluster_id, events, first,
    last), a cluster new to a release adds one to its cluster_count.
    """
    totals, users, clusters = sorted(totals), sorted(set(users)), sorted(clusters)
    rows = await conn.fetch(
        "WITH t AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[]) AS t(id, n, a, b)),"
        " e AS (SELECT rid, array_agg(DISTINCT env) AS envs FROM unnest($5::bigint[], $6::text[]) AS x(rid, env) GROUP BY rid),"
        " u AS (INSERT INTO release_users (release_id, user_key) SELECT * FROM unnest($7::bigint[], $8::text[])"
        "   ON CONFLICT DO NOTHING RETURNING release_id),"
        " c AS (INSERT INTO release_clusters (release_id, cluster_id, events, first_seen, last_seen)"
        "   SELECT * FROM unnest($9::bigint[], $10::bigint[], $11::bigint[], $12::timestamptz[], $13::timestamptz[])"
        "   ON CONFLICT (release_id, cluster_id) DO UPDATE SET events = release_clusters.events + EXCLUDED.events,"
        "    first_seen = LEAST(release_clusters.first_seen, EXCLUDED.first_seen),"
        "    last_seen = GREATEST(release_clusters.last_seen, EXCLUDED.last_seen)"
        "   RETURNING release_id, (xmax = 0) AS inserted),"
        " nu AS (SELECT release_id, count(*) AS n FROM u GROUP BY release_id),"
        " nc AS (SELECT release_id, count(*) AS n FROM c WHERE inserted GROUP BY release_id),"
        " up AS (UPDATE releases r SET event_count = r.event_count + t.n,"
        "  first_event = LEAST(r.first_event, t.a), last_event = GREATEST(r.last_event, t.b),"
        "  user_count = r.user_count + COALESCE(nu.n, 0), cluster_count = r.cluster_count + COALESCE(nc.n, 0),"
        "  environments = CASE WHEN e.envs IS NULL OR e.envs <@ r.environments THEN r.environments"
        "   ELSE ARRAY(SELECT DISTINCT x FROM unnest(r.environments || e.envs) x ORDER BY x) END"
        " FROM t LEFT JOIN e ON e.rid = t.id LEFT JOIN nu ON nu.release_id = t.id LEFT JOIN nc ON nc.release_id = t.id"
        " WHERE r.id = t.id RETURNING r.id)"
        " SELECT id FROM clusters WHERE id = ANY($14::bigint[]) AND status <> 'unresolved'",
        [r[0] for r in totals], [r[1] for r in totals], [r[2] for r in totals], [r[3] for r in totals],
        [r[0] for r in environments], [r[1] for r in environments],
        [r[0] for r in users], [r[1] for r in users],
        [r[0] for r in clusters], [r[1] for r in clusters], [r[2] for r in clusters], [r[3] for r in clusters],
        [r[4] for r in clusters],
        list(arrivals),
    )
    return {r["id"] for r in rows}


async def recount_clusters(conn: asyncpg.Connection, cluster_ids: Sequence[int]) -> None:
    """Rebuild release_clusters of clusters whose events moved (merge, unmerge, regroup)."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    touched = await conn.fetch(
        "DELETE FROM release_clusters WHERE cluster_id = ANY($1::bigint[]) RETURNING release_id", ids
    )
    added = await conn.fetch(
        "INSERT INTO release_clusters (release_id, cluster_id, events, first_seen, last_seen)"
        " SELECT r.id, e.cluster_id, count(*), min(COALESCE(e.occurred_at, e.received_at)),"
        "  max(COALESCE(e.occurred_at, e.received_at))"
        " FROM events e JOIN releases r ON r.project_id = e.project_id AND r.version = e.release"
        " WHERE e.cluster_id = ANY($1::bigint[]) GROUP BY r.id, e.cluster_id RETURNING release_id",
        ids,
    )
    release_ids = sorted({r["release_id"] for r in [*touched, *added]})
    await conn.execute(
        "UPDATE releases r SET cluster_count = (SELECT count(*) FROM release_clusters c WHERE c.release_id = r.id)"
        " WHERE r.id = ANY($1::bigint[])",
        release_ids,
    )
