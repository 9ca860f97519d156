"""Artifact uploads, listing and deletion: the service the CLI and the API share.

An upload is checked and prepared (kind from content, checksum, SymCache per native
object) before any database work, so a bad file is refused with its name and the
reason; a good one is stored and the events that lacked it go back to the queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import asyncpg
import msgspec

from server.db import artifacts as artifacts_sql
from server.errors import CrashdeskError, NotFound
from server.services import cursor, projects
from symbolication import ArtifactError, build_cfi, build_symcache, inspect_artifact, load_artifact

KINDS_TEXT = "a source map, minified JavaScript, a ProGuard/R8 mapping or a native debug file (ELF, Mach-O, PE/PDB, Breakpad .sym)"


class ArtifactRejected(CrashdeskError):
    """An uploaded file cannot be used; ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


class ArtifactTooLarge(ArtifactRejected):
    status = 413
    code = "too_large"


class ArtifactOut(msgspec.Struct, frozen=True):
    """One stored artifact as the API and ``crashdesk upload --json`` show it."""

    id: int
    kind: str
    name: str
    release: str | None
    dist: str | None
    debug_id: str | None
    debug_ids: list[str]  # native: one per object (a fat Mach-O has several)
    checksum: str  # sha1, hex
    size: int
    created_at: dt.datetime
    stored: bool = True  # False when the identical file was there already


class ArtifactsPage(msgspec.Struct, frozen=True):
    artifacts: list[ArtifactOut]
    next_cursor: str | None


class UploadOut(msgspec.Struct, frozen=True):
    artifacts: list[ArtifactOut]
    requeued_events: int  # events that lacked one of these files, sent back to processing


class Prepared(msgspec.Struct, frozen=True):
    kind: str
    name: str
    debug_id: str | None
    checksum: str
    data: bytes
    objects: tuple[tuple[str, str | None, str, str | None, list[str], bytes, bytes], ...] = ()  # ..., symcache, cfi

    @property
    def debug_ids(self) -> list[str]:
        return [o[0] for o in self.objects] or ([self.debug_id] if self.debug_id else [])


def prepare(name: str, data: bytes, *, max_bytes: int, release: str) -> Prepared:
    """Check one file and build what is stored with it; raise ``ArtifactRejected`` saying why not."""
    if len(data) > max_bytes:
        raise ArtifactTooLarge(name, f"is {len(data)} bytes, over the artifact limit of {max_bytes} bytes")
    try:
        info = inspect_artifact(data, name)
        if info.kind == "unknown":
            raise ArtifactRejected(name, f"not recognised as {KINDS_TEXT}")
        objects: list[tuple[str, str | None, str, str | None, list[str], bytes, bytes]] = []
        if info.kind == "native_debug":
            for obj in info.objects:
                pick = obj.debug_id if len(info.objects) > 1 else None
                cache, cfi = build_symcache(data, pick, name), build_cfi(data, pick, name)
                objects.append((obj.debug_id, obj.code_id, obj.arch, obj.file_format, list(obj.features), cache, cfi))
        elif info.kind in ("source_map", "proguard"):
            load_artifact(info.kind, data, name)  # refuse now what symbolication could not read later
    except ArtifactError as exc:
        raise ArtifactRejected(name, exc.reason) from None
    prepared = Prepared(info.kind, name, info.debug_id, hashlib.sha1(data).hexdigest(), data, tuple(objects))
    if not release and not prepared.debug_ids:
        raise ArtifactRejected(name, f"a {info.kind.replace('_', ' ')} without a debug id can only be found by its release; give one")
    return prepared


async def store(conn: asyncpg.Connection, project_id: int, release: str, dist: str, files: Sequence[Prepared]) -> tuple[list[ArtifactOut], int]:
    """Store prepared files in one transaction; returns them and how many events were requeued.

    A file replaces an earlier one of the same name in the same release and dist; the
    identical file is not stored twice.
    """
    out: list[ArtifactOut] = []
    async with conn.transaction():
        for f in files:
            same = await artifacts_sql.same_file(conn, project_id, release, dist, f.name, f.checksum)
            if same is not None:
                row = await artifacts_sql.get(conn, project_id, same)
                out.append(msgspec.structs.replace(to_out(row), stored=False))
                continue
            await artifacts_sql.delete_named(conn, project_id, release, dist, f.name)
            row = await artifacts_sql.insert(conn, project_id, release, dist, f.kind, f.name, f.debug_id, f.checksum, f.data)
            if f.objects:
                await artifacts_sql.insert_objects(conn, row["id"], project_id, f.objects)
            out.append(ArtifactOut(row["id"], f.kind, f.name, release or None, dist or None, f.debug_id, f.debug_ids,
                                   f.checksum, len(f.data), row["created_at"]))
        keys = missing_keys(release, [d for f in files for d in f.debug_ids])
        requeued = await artifacts_sql.requeue_missing(conn, project_id, keys)
    return out, requeued


def missing_keys(release: str, debug_ids: Sequence[str]) -> list[str]:
    """Keys an upload satisfies, matching what the symbolication stage records as missing."""
    return ([release_key(release)] if release else []) + [debug_id_key(d) for d in debug_ids]


def release_key(release: str) -> str:
    return f"release:{release}"


def debug_id_key(debug_id: str) -> str:
    return f"id:{debug_id.lower()}"


async def list_release(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, release: str) -> list[ArtifactOut]:
    return [to_out(r) for r in await artifacts_sql.list_for(conn, project_id, release)]


async def delete(conn: asyncpg.Connection | asyncpg.Pool, project_id: int, release: str, artifact_id: int) -> bool:
    return await artifacts_sql.delete(conn, project_id, release, artifact_id)


async def list_page(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, project_id: int, release: str, *, limit: int,
    cursor_: str | None = None,
) -> ArtifactsPage:
    """A page of a release's files (``release=""``: those found by debug id only), by name."""
    await projects.require(conn, organization_id, project_id)
    key = cursor.decode(cursor_, 2)
    after = cursor.typed(key, tuple[str, int]) if key else None
    rows = await artifacts_sql.list_for(conn, project_id, release, after=after, limit=limit)
    out = [to_out(r) for r in rows]
    return ArtifactsPage(out, cursor.encode(out[-1].name, out[-1].id) if len(out) == limit else None)


async def upload(
    pool: asyncpg.Pool, organization_id: int, project_id: int, release: str, dist: str, files: Sequence[Prepared]
) -> UploadOut:
    await projects.require(pool, organization_id, project_id)
    async with pool.acquire() as conn:
        stored, requeued = await store(conn, project_id, release, dist, files)
    return UploadOut(stored, requeued)


async def remove(pool: asyncpg.Pool, organization_id: int, project_id: int, release: str, artifact_id: int) -> None:
    await projects.require(pool, organization_id, project_id)
    if not await artifacts_sql.delete(pool, project_id, release, artifact_id):
        raise NotFound("artifact", artifact_id)


def to_out(row: asyncpg.Record | None) -> ArtifactOut:
    assert row is not None
    return ArtifactOut(
        id=row["id"], kind=row["kind"], name=row["name"], release=row["release"] or None, dist=row["dist"] or None,
        debug_id=row["debug_id"], debug_ids=list(row["object_ids"]) or ([row["debug_id"]] if row["debug_id"] else []),
        checksum=row["checksum"], size=row["size"], created_at=row["created_at"],
    )
