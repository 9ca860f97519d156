"""The artifacts tables: stored files for symbolication, lookups by name or debug id, requeues."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import msgspec

from server.db.events import NOTIFY_CHANNEL

# Advisory lock class for "artifacts of project N are changing" (objid = project id):
# symbolication holds it shared while it resolves, an upload takes it exclusively before
# it requeues events, so no event can miss an artifact committed while it was processed.
_LOCK_CLASS = 0x41525446  # "ARTF"


class Lookup(msgspec.Struct, frozen=True):
    """One question to the store: an artifact by debug id, or by name within a release."""

    n: int  # the caller's request number
    prio: int  # lower wins among answers to the same ``n``
    project_id: int
    release: str
    dist: str
    kind: str
    debug_id: str | None = None
    name: str | None = None


class Found(msgspec.Struct, frozen=True):
    n: int
    prio: int
    source: str  # 'a' (artifacts.data) or 'o' (artifact_objects.symcache)
    row_id: int
    name: str
    size: int


_RESOLVE = """
WITH r AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
        AS r(n, prio, project_id, release, dist, kind, debug_id, name)
)
SELECT r.n, r.prio, 'a' AS source, x.id AS row_id, x.name, x.size FROM r CROSS JOIN LATERAL (
    SELECT a.id, a.name, a.size FROM artifacts a
    WHERE r.debug_id IS NOT NULL AND r.kind <> 'native_debug'
      AND a.project_id = r.project_id AND a.debug_id = r.debug_id AND a.kind = r.kind
    ORDER BY a.id DESC LIMIT 1) x
UNION ALL
SELECT r.n, r.prio, 'o', x.id, x.name, x.size FROM r CROSS JOIN LATERAL (
    SELECT o.id, a.name, octet_length(o.symcache) AS size FROM artifact_objects o JOIN artifacts a ON a.id = o.artifact_id
    WHERE r.debug_id IS NOT NULL AND r.kind = 'native_debug' AND o.project_id = r.project_id AND o.debug_id = r.debug_id
    ORDER BY o.id DESC LIMIT 1) x
UNION ALL
SELECT r.n, r.prio, 'a', x.id, x.name, x.size FROM r CROSS JOIN LATERAL (
    SELECT a.id, a.name, a.size FROM artifacts a
    WHERE r.name IS NOT NULL AND a.project_id = r.project_id AND a.release = r.release AND a.name = r.name
      AND a.kind = r.kind AND a.dist IN (r.dist, '')
    ORDER BY a.dist = r.dist DESC, a.id DESC LIMIT 1) x
"""


async def lock_projects_shared(conn: asyncpg.Connection, project_ids: Iterable[int]) -> None:
    """Held until the transaction ends; see ``_LOCK_CLASS``."""
    ids = sorted(set(project_ids))
    if ids:
        await conn.execute(
            "SELECT pg_advisory_xact_lock_shared($1, (p % 2147483647)::int) FROM unnest($2::bigint[]) AS u(p)",
            _LOCK_CLASS,
            ids,
        )


async def resolve(conn: asyncpg.Connection, lookups: Sequence[Lookup]) -> list[Found]:
    """Every stored artifact answering a lookup (no bytes); one round trip for all of them."""
    if not lookups:
        return []
    rows = await conn.fetch(
        _RESOLVE,
        [q.n for q in lookups],
        [q.prio for q in lookups],
        [q.project_id for q in lookups],
        [q.release for q in lookups],
        [q.dist for q in lookups],
        [q.kind for q in lookups],
        [q.debug_id for q in lookups],
        [q.name for q in lookups],
    )
    return [Found(r["n"], r["prio"], r["source"], r["row_id"], r["name"], int(r["size"])) for r in rows]


async def fetch_bytes(conn: asyncpg.Connection, artifact_ids: Sequence[int], object_ids: Sequence[int]) -> dict[tuple[str, int], bytes]:
    """Bytes by ('a', artifact id) and ('o', object id): the file, or an object's SymCache."""
    rows = await conn.fetch(
        "SELECT 'a' AS source, id, data FROM artifacts WHERE id = ANY($1::bigint[])"
        " UNION ALL SELECT 'o', id, symcache FROM artifact_objects WHERE id = ANY($2::bigint[])",
        list(artifact_ids),
        list(object_ids),
    )
    return {(r["source"], r["id"]): r["data"] for r in rows}


async def same_file(conn: asyncpg.Connection, project_id: int, release: str, dist: str, name: str, checksum: str) -> int | None:
    """Id of an identical upload (same place, same bytes), so a re-upload is a no-op."""
    return await conn.fetchval(
        "SELECT id FROM artifacts WHERE project_id = $1 AND release = $2 AND name = $3 AND dist = $4 AND checksum = $5"
        " ORDER BY id DESC LIMIT 1",
        project_id, release, name, dist, checksum,
    )


async def delete_named(conn: asyncpg.Connection, project_id: int, release: str, dist: str, name: str) -> int:
    """Drop the file a new upload replaces (same release, dist and name). Release-less files are kept."""
    if not release:
        return 0
    status = await conn.execute(
        "DELETE FROM artifacts WHERE project_id = $1 AND release = $2 AND name = $3 AND dist = $4",
        project_id, release, name, dist,
    )
    return int(status.split()[-1])


async def insert(
    conn: asyncpg.Connection, project_id: int, release: str, dist: str, kind: str, name: str,
    debug_id: str | None, checksum: str, data: bytes,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO artifacts (project_id, release, dist, kind, name, debug_id, checksum, size, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at",
        project_id, release, dist, kind, name, debug_id, checksum, len(data), data,
    )
    assert row is not None
    return row


async def insert_objects(conn: asyncpg.Connection, artifact_id: int, project_id: int, objects: Sequence[tuple[Any, ...]]) -> None:
    """objects: (debug_id, code_id, arch, file_format, features, symcache, cfi)."""
    await conn.executemany(
        "INSERT INTO artifact_objects (artifact_id, project_id, debug_id, code_id, arch, file_format, features, symcache, cfi)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [(artifact_id, project_id, *o) for o in objects],
    )


_LIST = (
    "SELECT a.id, a.release, a.dist, a.kind, a.name, a.debug_id, a.checksum, a.size, a.created_at,"
    " coalesce(array_agg(o.debug_id ORDER BY o.id) FILTER (WHERE o.id IS NOT NULL), '{}') AS object_ids"
    " FROM artifacts a LEFT JOIN artifact_objects o ON o.artifact_id = a.id"
)


async def list_for(
    conn: asyncpg.Connection | asyncpg.Pool, project_id: int, release: str, *, after: tuple[str, int] | None = None,
    limit: int | None = None,
) -> list[asyncpg.Record]:
    """A release's files (``""``: those found by debug id only) by name, after the key ``after``."""
    return await conn.fetch(
        _LIST + " WHERE a.project_id = $1 AND a.release = $2 AND ($4::bigint IS NULL OR (a.name, a.id) > ($3::text, $4::bigint))"
        " GROUP BY a.id ORDER BY a.name, a.id LIMIT $5",
        project_id, release, after[0] if after else None, after[1] if after else None, limit,
    )


async def get(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, artifact_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(_LIST + " WHERE a.project_id = $1 AND a.id = $2 GROUP BY a.id", project_id, artifact_id)


async def delete(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, release: str, artifact_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM artifacts WHERE project_id = $1 AND release = $2 AND id = $3", project_id, release, artifact_id
    )
    return status.endswith(" 1")


async def requeue_missing(conn: asyncpg.Connection, project_id: int, keys: Sequence[str]) -> int:
    """Send processed events that lacked one of ``keys`` back to the queue; wake the processors.

    Call inside the upload's transaction: the exclusive project lock waits for batches
    being processed now, so their results are visible to this update.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)", _LOCK_CLASS, project_id)
    status = await conn.execute(
        "UPDATE events SET status = 'pending', missing_artifacts = NULL"
        " WHERE project_id = $1 AND missing_artifacts IS NOT NULL AND missing_artifacts && $2::text[]"
        " AND status = 'processed'",
        project_id, list(keys),
    )
    count = int(status.split()[-1])
    if count:
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return count


async def set_missing(conn: asyncpg.Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
    """Record what each event's symbolication lacked (event row id, keys); one statement."""
    if rows:
        await conn.execute(
            "UPDATE events e SET missing_artifacts = string_to_array(u.k, E'\\n')"
            " FROM unnest($1::bigint[], $2::text[]) AS u(i, k) WHERE e.id = u.i",
            [i for i, _ in rows],
            ["\n".join(k.replace("\n", " ") for k in keys) for _, keys in rows],
        )


async def cfi_objects(conn: asyncpg.Connection, wanted: Sequence[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, int]]:
    """(object id, CFI size) of the newest object with STACK CFI, by (project id, debug id); no bytes."""
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT DISTINCT ON (o.project_id, o.debug_id) o.project_id, o.debug_id, o.id, octet_length(o.cfi) AS size"
        " FROM unnest($1::bigint[], $2::text[]) AS w(p, d)"
        " JOIN artifact_objects o ON o.project_id = w.p AND o.debug_id = w.d AND octet_length(o.cfi) > 0"
        " ORDER BY o.project_id, o.debug_id, o.id DESC",
        [w[0] for w in wanted],
        [w[1] for w in wanted],
    )
    return {(r["project_id"], r["debug_id"]): (r["id"], r["size"]) for r in rows}


async def cfi_texts(conn: asyncpg.Connection, object_ids: Sequence[int]) -> dict[int, bytes]:
    rows = await conn.fetch("SELECT id, cfi FROM artifact_objects WHERE id = ANY($1::bigint[])", list(object_ids))
    return {r["id"]: r["cfi"] for r in rows}


async def minidumps(conn: asyncpg.Connection, wanted: Sequence[tuple[int, str, str | None]]) -> dict[tuple[int, str], bytes]:
    """Minidump attachments by (project id, event id hex): named ones, or any of type event.minidump."""
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT DISTINCT ON (t.project_id, t.event_id) w.p AS project_id, w.e AS event_id, t.data"
        " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS w(p, e, n)"
        " JOIN attachments t ON t.project_id = w.p AND t.event_id = w.e::uuid"
        " WHERE t.name = w.n OR t.attachment_type = 'event.minidump'"
        " ORDER BY t.project_id, t.event_id, (t.name = w.n) DESC, t.id",
        [w[0] for w in wanted],
        [w[1] for w in wanted],
        [w[2] for w in wanted],
    )
    return {(r["project_id"], r["event_id"]): r["data"] for r in rows}
