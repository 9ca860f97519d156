"""Clusters: exact-hash and candidate-key lookups, creation, counters, and reads.

Every query leads with ``project_id`` (or a cluster id) so its cost depends on the
rows it touches, not on how many clusters exist. Writes touching several clusters go
in cluster-id order so concurrent workers cannot deadlock on each other.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import msgspec

from server.db.releases import recount_clusters

Conn = asyncpg.Connection | asyncpg.Pool


class Counter(msgspec.Struct):
    """What one batch adds to one cluster."""

    count: int = 0
    first_seen: dt.datetime | None = None
    first_release: str | None = None
    last_seen: dt.datetime | None = None
    last_release: str | None = None
    releases: dict[str, list[Any]] = {}  # release -> [count, first, last]
    environments: dict[str, int] = {}
    users: set[str] = set()

    def add(self, when: dt.datetime, release: str | None, environment: str | None, user: str | None) -> None:
        self.count += 1
        if self.first_seen is None or when < self.first_seen:
            self.first_seen, self.first_release = when, release
        if self.last_seen is None or when >= self.last_seen:
            self.last_seen, self.last_release = when, release
        if release:
            stat = self.releases.setdefault(release, [0, when, when])
            stat[0] += 1
            stat[1], stat[2] = min(stat[1], when), max(stat[2], when)
        if environment:
            self.environments[environment] = self.environments.get(environment, 0) + 1
        if user:
            self.users.add(user)


async def grouping_configs(conn: Conn, project_ids: Sequence[int]) -> dict[int, Any]:
    rows = await conn.fetch(
        "SELECT project_id, config FROM grouping_configs WHERE project_id = ANY($1::bigint[])", list(project_ids)
    )
    return {r["project_id"]: r["config"] for r in rows}


async def set_grouping_config(conn: Conn, project_id: int, config: Any) -> None:
    await conn.execute(
        "INSERT INTO grouping_configs (project_id, config) VALUES ($1, $2)"
        " ON CONFLICT (project_id) DO UPDATE SET config = EXCLUDED.config, updated_at = now()",
        project_id,
        config,
    )


async def lookup_hashes(conn: Conn, project_id: int, hashes: Sequence[str]) -> dict[str, tuple[int, int]]:
    """hash -> (owning cluster, cluster it resolves to after merges)."""
    rows = await conn.fetch(
        "SELECT f.hash, f.cluster_id, COALESCE(c.merged_into, c.id) AS target"
        " FROM cluster_fingerprints f JOIN clusters c ON c.id = f.cluster_id"
        " WHERE f.project_id = $1 AND f.hash = ANY($2::text[])",
        project_id,
        list(hashes),
    )
    return {r["hash"]: (r["cluster_id"], r["target"]) for r in rows}


async def lock_hashes(conn: asyncpg.Connection, project_id: int, hashes: Iterable[str]) -> None:
    """Serialise creation of a cluster for the same new hash across workers (until commit).

    One round trip for the whole batch. Every worker takes its locks in ascending key
    order (a function scan over ``unnest`` keeps the array's order), so two workers
    wanting overlapping sets wait for each other instead of deadlocking.
    """
    keys = sorted({zlib.crc32(h.encode()) - 2**31 for h in hashes})
    if keys:
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k", project_id & 0x7FFFFFFF, keys
        )


async def with_fingerprints(conn: Conn, cluster_ids: Sequence[int]) -> set[int]:
    """Those of ``cluster_ids`` that own a hash (a regrouped event may take back only the others)."""
    rows = await conn.fetch(
        "SELECT DISTINCT cluster_id FROM cluster_fingerprints WHERE cluster_id = ANY($1::bigint[])", list(cluster_ids)
    )
    return {r["cluster_id"] for r in rows}


async def clear_grouping(conn: asyncpg.Connection, project_id: int) -> int:
    """Forget the project's hashes and keys and queue its events again (``crashdesk regroup``).

    Clusters stay: each regrouped event takes back its old cluster if no other hash has,
    so statuses, merges and ids survive where the grouping did not change.
    """
    await conn.execute("DELETE FROM cluster_fingerprints WHERE project_id = $1", project_id)
    await conn.execute("DELETE FROM cluster_candidate_keys WHERE project_id = $1", project_id)
    done = await conn.execute("UPDATE events SET status = 'pending' WHERE project_id = $1 AND status <> 'pending'", project_id)
    return int(done.split()[-1])


async def candidates(conn: Conn, project_id: int, keys: Sequence[str], per_key: int) -> list[tuple[int, bytes]]:
    """(cluster, signature) of the newest ``per_key`` clusters for any of ``keys``, merges resolved, newest first."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (t.id) t.id, t.signature FROM unnest($2::text[]) AS q(key)"
        " CROSS JOIN LATERAL (SELECT k.cluster_id FROM cluster_candidate_keys k"
        "   WHERE k.project_id = $1 AND k.key = q.key ORDER BY k.cluster_id DESC LIMIT $3) k"
        " JOIN clusters c ON c.id = k.cluster_id"
        " JOIN clusters t ON t.id = COALESCE(c.merged_into, c.id)"
        " ORDER BY t.id DESC",
        project_id,
        list(keys),
        per_key,
    )
    rows = sorted(rows, key=lambda r: -r["id"])
    return [(r["id"], r["signature"]) for r in rows]


async def candidates_by_key(conn: Conn, project_id: int, keys: Sequence[str], per_key: int) -> dict[str, list[tuple[int, bytes]]]:
    """key -> (cluster, signature) of its newest ``per_key`` clusters, merges resolved; one query for a batch."""
    rows = await conn.fetch(
        "SELECT q.key, t.id, t.signature FROM unnest($2::text[]) AS q(key)"
        " CROSS JOIN LATERAL (SELECT k.cluster_id FROM cluster_candidate_keys k"
        "   WHERE k.project_id = $1 AND k.key = q.key ORDER BY k.cluster_id DESC LIMIT $3) k"
        " JOIN clusters c ON c.id = k.cluster_id"
        " JOIN clusters t ON t.id = COALESCE(c.merged_into, c.id)",
        project_id,
        list(keys),
        per_key,
    )
    out: dict[str, list[tuple[int, bytes]]] = {}
    for r in rows:
        out.setdefault(r["key"], []).append((r["id"], r["signature"]))
    return out


async def create_cluster(
    conn: asyncpg.Connection,
    project_id: int,
    *,
    title: str,
    culprit: str | None,
    level: str | None,
    platform: str | None,
    seen: dt.datetime,
    config_id: str,
    signature: bytes,
) -> int:
    return int(
        await conn.fetchval(
            "INSERT INTO clusters (project_id, title, culprit, level, platform, first_seen, last_seen, config_id, signature)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING id",
            project_id,
            title,
            culprit,
            level,
            platform,
            seen,
            config_id,
            signature,
        )
    )


async def reserve_cluster_ids(conn: asyncpg.Connection, n: int) -> list[int]:
    """``n`` new cluster ids, ascending, so a batch can decide before it inserts (unused ones are gaps)."""
    if n <= 0:
        return []
    rows = await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence('clusters', 'id')) AS id FROM generate_series(1, $1)", n
    )
    return sorted(r["id"] for r in rows)


async def insert_clusters(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (id from ``reserve_cluster_ids``, project_id, title, culprit, level, platform, seen, config_id, signature)."""
    if rows:
        await conn.execute(
            "INSERT INTO clusters (id, project_id, title, culprit, level, platform, first_seen, last_seen, config_id, signature)"
            " OVERRIDING SYSTEM VALUE"
            " SELECT i, p, t, cu, l, pl, s, s, cf, sg FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"
            "   $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::bytea[]) AS u(i, p, t, cu, l, pl, s, cf, sg)",
            *(list(col) for col in zip(*rows)),
        )


async def add_fingerprints(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, int, str, str, float | None]]) -> None:
    """rows: (project_id, hash, cluster_id, config_id, origin, score); a known hash keeps its owner."""
    if rows:
        await conn.executemany(
            "INSERT INTO cluster_fingerprints (project_id, hash, cluster_id, config_id, origin, score)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, hash) DO NOTHING",
            sorted(rows),
        )


async def add_candidate_keys(conn: asyncpg.Connection, rows: Sequence[tuple[int, str, int]]) -> None:
    if rows:
        await conn.executemany(
            "INSERT INTO cluster_candidate_keys (project_id, key, cluster_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            sorted(set(rows)),
        )


async def set_signatures(conn: asyncpg.Connection, rows: Sequence[tuple[int, bytes]]) -> None:
    if rows:
        await conn.executemany("UPDATE clusters SET signature = $2 WHERE id = $1", sorted(rows))


async def apply_counters(conn: asyncpg.Connection, counters: dict[int, Counter]) -> None:
    """Add one batch's counts (regressions are judged after, by ``server.stages.regressions``)."""
    ids = sorted(counters)
    if not ids:
        return
    new_users: dict[int, int] = {}
    user_rows = [(cid, u) for cid in ids for u in sorted(counters[cid].users)]
    if user_rows:
        inserted = await conn.fetch(
            "INSERT INTO cluster_users (cluster_id, user_key) SELECT * FROM unnest($1::bigint[], $2::text[])"
            " ON CONFLICT DO NOTHING RETURNING cluster_id",
            [r[0] for r in user_rows],
            [r[1] for r in user_rows],
        )
        for r in inserted:
            new_users[r["cluster_id"]] = new_users.get(r["cluster_id"], 0) + 1
    await conn.executemany(
        "UPDATE clusters SET event_count = event_count + $2, user_count = user_count + $3,"
        " first_release = CASE WHEN $4 < first_seen OR first_release IS NULL THEN COALESCE($5, first_release) ELSE first_release END,"
        " first_seen = LEAST(first_seen, $4),"
        " last_release = CASE WHEN $6 >= last_seen OR last_release IS NULL THEN COALESCE($7, last_release) ELSE last_release END,"
        " last_seen = GREATEST(last_seen, $6)"
        " WHERE id = $1",
        [
            (cid, c.count, new_users.get(cid, 0), c.first_seen, c.first_release, c.last_seen, c.last_release)
            for cid in ids
            for c in (counters[cid],)
        ],
    )
    releases = [(cid, rel, *stat) for cid in ids for rel, stat in sorted(counters[cid].releases.items())]
    if releases:
        await conn.executemany(
            "INSERT INTO cluster_release_stats (cluster_id, release, count, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (cluster_id, release) DO UPDATE SET count = cluster_release_stats.count + EXCLUDED.count,"
            " first_seen = LEAST(cluster_release_stats.first_seen, EXCLUDED.first_seen),"
            " last_seen = GREATEST(cluster_release_stats.last_seen, EXCLUDED.last_seen)",
            releases,
        )
    envs = [(cid, env, n) for cid in ids for env, n in sorted(counters[cid].environments.items())]
    if envs:
        await conn.executemany(
            "INSERT INTO cluster_environment_stats (cluster_id, environment, count) VALUES ($1, $2, $3)"
            " ON CONFLICT (cluster_id, environment) DO UPDATE SET count = cluster_environment_stats.count + EXCLUDED.count",
            envs,
        )


async def recompute(conn: asyncpg.Connection, cluster_ids: Iterable[int]) -> None:
    """Rebuild counters from the events themselves (after a merge, unmerge or move)."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    await conn.execute("DELETE FROM cluster_release_stats WHERE cluster_id = ANY($1::bigint[])", ids)
    await conn.execute("DELETE FROM cluster_environment_stats WHERE cluster_id = ANY($1::bigint[])", ids)
    await conn.execute("DELETE FROM cluster_users WHERE cluster_id = ANY($1::bigint[])", ids)
    await conn.execute(
        "INSERT INTO cluster_release_stats (cluster_id, release, count, first_seen, last_seen)"
        " SELECT cluster_id, release, count(*), min(occurred_at), max(occurred_at) FROM events"
        " WHERE cluster_id = ANY($1::bigint[]) AND release IS NOT NULL GROUP BY cluster_id, release",
        ids,
    )
    await conn.execute(
        "INSERT INTO cluster_environment_stats (cluster_id, environment, count)"
        " SELECT cluster_id, environment, count(*) FROM events"
        " WHERE cluster_id = ANY($1::bigint[]) AND environment IS NOT NULL GROUP BY cluster_id, environment",
        ids,
    )
    await conn.execute(
        "INSERT INTO cluster_users (cluster_id, user_key) SELECT DISTINCT cluster_id, user_key FROM events"
        " WHERE cluster_id = ANY($1::bigint[]) AND user_key IS NOT NULL",
        ids,
    )
    await conn.execute(
        "UPDATE clusters c SET event_count = s.n, first_seen = COALESCE(s.first_seen, c.first_seen),"
        " last_seen = COALESCE(s.last_seen, c.last_seen), first_release = s.first_release, last_release = s.last_release,"
        " user_count = (SELECT count(*) FROM cluster_users u WHERE u.cluster_id = c.id)"
        " FROM (SELECT i.id, count(e.id) AS n, min(e.occurred_at) AS first_seen, max(e.occurred_at) AS last_seen,"
        "   (array_agg(e.release ORDER BY e.occurred_at) FILTER (WHERE e.release IS NOT NULL))[1] AS first_release,"
        "   (array_agg(e.release ORDER BY e.occurred_at DESC) FILTER (WHERE e.release IS NOT NULL))[1] AS last_release"
        "   FROM unnest($1::bigint[]) AS i(id) LEFT JOIN events e ON e.cluster_id = i.id GROUP BY i.id) s"
        " WHERE c.id = s.id",
        ids,
    )
    await recount_clusters(conn, ids)
    # A cluster all of whose events went elsewhere (regrouped, re-symbolicated) is gone.
    await conn.execute(
        "DELETE FROM clusters c WHERE c.id = ANY($1::bigint[]) AND c.event_count = 0 AND c.merged_into IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM clusters m WHERE m.merged_into = c.id)",
        ids,
    )

