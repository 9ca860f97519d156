"""The per-release view and the per-cluster release list: clusters seen, new, regressed or
resolved in a release; a cluster's releases in version order. Each read is one index
range (release_clusters by release, clusters by project and release), paged by key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from server.db.releases import RELEASE_COLUMNS

Conn = asyncpg.Connection | asyncpg.Pool

_CLUSTER = "c.id, c.title, c.culprit, c.level, c.status, c.event_count, c.user_count, c.first_seen, c.last_seen, c.first_release"


async def detail(conn: Conn, project_id: int, version: str, environment: str | None) -> Any:
    """The release row with its cluster counts, session totals and last deploy, in one round trip."""
    return await conn.fetchrow(
        f"SELECT {RELEASE_COLUMNS},"
        " (SELECT count(*) FROM clusters WHERE project_id = $1 AND first_release = $2 AND merged_into IS NULL) AS new,"
        " (SELECT count(*) FROM clusters WHERE project_id = $1 AND regressed_in_release = $2 AND merged_into IS NULL)"
        "   AS regressed,"
        " (SELECT count(*) FROM clusters WHERE resolved_in_release_id = r.id AND merged_into IS NULL) AS resolved,"
        " s.sessions, s.errored, s.abnormal, s.crashed, u.users, u.crashed_users,"
        " d.id AS deploy_id, d.environment AS deploy_environment, d.name AS deploy_name, d.url AS deploy_url,"
        " d.date_started AS deploy_started, d.date_finished AS deploy_finished"
        " FROM releases r"
        " CROSS JOIN LATERAL (SELECT COALESCE(sum(sessions), 0) AS sessions, COALESCE(sum(errored), 0) AS errored,"
        "   COALESCE(sum(abnormal), 0) AS abnormal, COALESCE(sum(crashed), 0) AS crashed FROM release_sessions"
        "   WHERE release_id = r.id AND ($3::text IS NULL OR environment = $3)) s"
        " CROSS JOIN LATERAL (SELECT count(DISTINCT did) AS users, count(DISTINCT did) FILTER (WHERE crashed) AS crashed_users"
        "   FROM release_session_users WHERE release_id = r.id AND ($3::text IS NULL OR environment = $3)) u"
        " LEFT JOIN LATERAL (SELECT * FROM release_deploys WHERE release_id = r.id"
        "   ORDER BY date_finished DESC, id DESC LIMIT 1) d ON true"
        " WHERE r.project_id = $1 AND r.version = $2",
        project_id,
        version,
        environment,
    )


async def seen_in(
    conn: Conn, release_id: int, *, after: tuple[dt.datetime, int] | None, limit: int
) -> list[Any]:
    """Clusters with events in the release, most recently seen there first."""
    return await conn.fetch(
        f"SELECT {_CLUSTER}, rc.events AS release_events, rc.first_seen AS release_first_seen,"
        " rc.last_seen AS release_last_seen FROM release_clusters rc JOIN clusters c ON c.id = rc.cluster_id"
        " WHERE rc.release_id = $1 AND ($2::timestamptz IS NULL OR (rc.last_seen, rc.cluster_id) < ($2, $3))"
        " ORDER BY rc.last_seen DESC, rc.cluster_id DESC LIMIT $4",
        release_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def marked_in(
    conn: Conn, project_id: int, release_id: int, version: str, kind: str, *, after: int | None, limit: int
) -> list[Any]:
    """Clusters new in (first seen in), regressed in, or resolved in the release; newest id first.

    ``$3`` is what the kind matches on (the version, or the release id for resolved): every
    parameter must appear in the statement, or PostgreSQL cannot type it.
    """
    where = {
        "new": "c.project_id = $1 AND c.first_release = $3",
        "regressed": "c.project_id = $1 AND c.regressed_in_release = $3",
        "resolved": "c.project_id = $1 AND c.resolved_in_release_id = $3",
    }[kind]
    return await conn.fetch(
        f"SELECT {_CLUSTER}, rc.events AS release_events, rc.first_seen AS release_first_seen,"
        " rc.last_seen AS release_last_seen FROM clusters c"
        " LEFT JOIN release_clusters rc ON rc.release_id = $2 AND rc.cluster_id = c.id"
        f" WHERE {where} AND c.merged_into IS NULL AND ($4::bigint IS NULL OR c.id < $4)"
        " ORDER BY c.id DESC LIMIT $5",
        project_id,
        release_id,
        release_id if kind == "resolved" else version,
        after,
        limit,
    )


async def releases_of_cluster(conn: Conn, cluster_id: int, limit: int) -> list[Any]:
    """A cluster's releases, newest version first (by package), with its events in each."""
    return await conn.fetch(
        "SELECT r.version, r.package, r.sort_key, rc.events, rc.first_seen, rc.last_seen"
        " FROM release_clusters rc JOIN releases r ON r.id = rc.release_id"
        " WHERE rc.cluster_id = $1 ORDER BY r.package, r.sort_key DESC, r.id DESC LIMIT $2",
        cluster_id,
        limit,
    )


async def cluster_exists(conn: Conn, project_id: int, cluster_id: int) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM clusters WHERE project_id = $1 AND id = $2)", project_id, cluster_id))
