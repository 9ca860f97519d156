"""Sentry's chunked uploads: chunks in, files assembled, checked and stored as artifacts.

sentry-cli splits every file it uploads into sha1-named chunks, asks which are missing,
sends those, then asks the server to assemble the file. Assembly here is synchronous:
the answer is ``ok`` or ``error`` with a detail, never a job to poll. An assembled file
goes through the same checks and store as a file uploaded with ``crashdesk upload``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import zlib
from collections.abc import Sequence

import asyncpg
import msgspec

from server.services import artifacts
from server.db import chunks as chunks_sql
from server.db.tenancy import Project
from server.errors import Invalid
from symbolication import ArtifactError
from symbolication.bundle import read_bundle

CHUNK_SIZE = 8 << 20
CHUNKS_PER_REQUEST = 64
MAX_REQUEST_SIZE = 32 << 20
CONCURRENCY = 4
# What the tools may send by chunks; "proguard" makes sentry-cli assemble mappings as difs.
ACCEPT = ("debug_files", "release_files", "pdbs", "sources", "artifact_bundles", "artifact_bundles_v2", "proguard")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


class ChunkOptionsOut(msgspec.Struct, frozen=True, rename="camel"):
    """``GET /organizations/{org}/chunk-upload/``: where and how to send chunks."""

    url: str
    chunk_size: int
    chunks_per_request: int
    max_file_size: int
    max_request_size: int
    concurrency: int
    hash_algorithm: str
    compression: list[str]
    accept: list[str]


class AssembleOut(msgspec.Struct, frozen=True, rename="camel"):
    state: str  # ok | error | not_found
    missing_chunks: list[str]
    detail: str | None = None


class DifOut(msgspec.Struct, frozen=True, rename="camel"):
    """A stored debug file as sentry-cli reads it back (``DebugInfoFile``)."""

    id: str
    uuid: str
    debug_id: str
    object_name: str
    cpu_name: str
    sha1: str
    size: int
    data: dict[str, object]


class DifAssembleOut(msgspec.Struct, frozen=True, rename="camel"):
    state: str
    missing_chunks: list[str]
    detail: str | None = None
    dif: DifOut | None = None


class DifIn(msgspec.Struct, frozen=True):
    name: str
    chunks: list[str]
    debug_id: str | None = None


class BundleIn(msgspec.Struct, frozen=True):
    checksum: str
    chunks: list[str]
    projects: list[str] = []
    version: str | None = None
    dist: str | None = None


def options(url: str, max_file_size: int) -> ChunkOptionsOut:
    return ChunkOptionsOut(url, CHUNK_SIZE, CHUNKS_PER_REQUEST, max_file_size, MAX_REQUEST_SIZE, CONCURRENCY,
                           "sha1", ["gzip"], list(ACCEPT))


async def accept_chunks(pool: asyncpg.Pool, organization_id: int, parts: Sequence[tuple[str, str, bytes]]) -> int:
    """parts: (form field, file name = the chunk's sha1, bytes); gzip under ``file_gzip``. Returns how many."""
    if not parts:
        raise Invalid("no chunks: send multipart/form-data with 'file' (or 'file_gzip') parts named by their sha1")
    if len(parts) > CHUNKS_PER_REQUEST:
        raise Invalid(f"{len(parts)} chunks in one request, over the announced {CHUNKS_PER_REQUEST}")
    verified = []
    for field, name, data in parts:
        if field == "file_gzip":
            data = _gunzip(name, data)
        if len(data) > CHUNK_SIZE:
            raise Invalid(f"chunk {name[:64]} is {len(data)} bytes, over the announced chunk size of {CHUNK_SIZE}")
        actual = hashlib.sha1(data).hexdigest()
        if actual != name.lower():
            raise Invalid(f"chunk {name[:64]!r}: its sha1 is {actual}; the chunk is damaged or misnamed", field)
        verified.append((actual, data))
    await chunks_sql.store(pool, organization_id, verified)
    return len(verified)


def _gunzip(name: str, data: bytes) -> bytes:
    out = zlib.decompressobj(wbits=47)
    try:
        body = out.decompress(data, CHUNK_SIZE + 1)
    except zlib.error as exc:
        raise Invalid(f"chunk {name[:64]}: not valid gzip: {exc}", "file_gzip") from None
    if len(body) > CHUNK_SIZE or out.unconsumed_tail:
        raise Invalid(f"chunk {name[:64]} unpacks past the announced chunk size of {CHUNK_SIZE}", "file_gzip")
    return body


async def _assembled(conn: asyncpg.Connection, organization_id: int, checksum: str, chunks: Sequence[str],
                     max_bytes: int) -> bytes | AssembleOut:
    """The joined, verified file, or the answer that says why there is none yet."""
    wanted = [c.lower() for c in chunks]
    bad = [c for c in [checksum.lower(), *wanted] if not _SHA1.match(c)]
    if bad:
        return AssembleOut("error", [], f"{bad[0][:64]!r} is not a sha1 checksum (40 hex digits)")
    missing = await chunks_sql.missing(conn, organization_id, wanted)
    if missing:
        return AssembleOut("not_found", missing)
    size = await chunks_sql.total_size(conn, organization_id, wanted)
    if size > max_bytes:
        return AssembleOut("error", [], f"the file is {size} bytes, over the artifact limit of {max_bytes} bytes")
    data = await chunks_sql.join(conn, organization_id, wanted)
    actual = hashlib.sha1(data).hexdigest()
    if actual != checksum.lower():
        return AssembleOut("error", [], f"the assembled file's sha1 is {actual}, not {checksum.lower()}")
    return data


async def assemble_bundle(pool: asyncpg.Pool, organization_id: int, projects: Sequence[Project], body: BundleIn,
                          max_bytes: int) -> AssembleOut:
    """Unpack an artifact bundle into every named project's artifacts; all or nothing."""
    async with pool.acquire() as conn:
        got = await _assembled(conn, organization_id, body.checksum, body.chunks, max_bytes)
        if isinstance(got, AssembleOut):
            return got
        try:
            prepared, release, dist = await asyncio.to_thread(_prepare_bundle, got, body, max_bytes)
        except (ArtifactError, artifacts.ArtifactRejected) as exc:
            return AssembleOut("error", [], str(exc))
        for project in projects:
            await artifacts.store(conn, project.id, release, dist, prepared)
        await chunks_sql.drop_stale(conn)
    return AssembleOut("ok", [])


def _prepare_bundle(data: bytes, body: BundleIn, max_bytes: int) -> tuple[list[artifacts.Prepared], str, str]:
    bundle = read_bundle(data, f"bundle {body.checksum.lower()}", max_bytes=max_bytes)
    release = body.version or bundle.release or ""
    dist = body.dist or bundle.dist or ""
    prepared, unfindable = [], []
    for f in bundle.files:
        try:
            prepared.append(artifacts.prepare(f.url, f.data, max_bytes=max_bytes, release=release))
        except artifacts.ArtifactRejected as exc:
            if release or "without a debug id" not in exc.reason:
                raise
            unfindable.append(f.url)  # no release and no debug id: nothing could ever find it
    if not prepared:
        why = f"; without a release these lack debug ids: {', '.join(unfindable[:5])}" if unfindable else ""
        raise ArtifactError(f"bundle {body.checksum.lower()}", f"holds no minified source or source map to store{why}")
    return prepared, release, dist


async def assemble_difs(pool: asyncpg.Pool, project: Project, files: dict[str, DifIn],
                        max_bytes: int) -> dict[str, DifAssembleOut]:
    """Assemble each debug file (native object, Breakpad .sym, ProGuard mapping) and store it by debug id."""
    out: dict[str, DifAssembleOut] = {}
    async with pool.acquire() as conn:
        for checksum, dif in files.items():
            got = await _assembled(conn, project.organization_id, checksum, dif.chunks, max_bytes)
            if isinstance(got, AssembleOut):
                out[checksum] = DifAssembleOut(got.state, got.missing_chunks, got.detail)
                continue
            try:
                prepared = await asyncio.to_thread(artifacts.prepare, dif.name, got, max_bytes=max_bytes, release="")
            except artifacts.ArtifactRejected as exc:
                out[checksum] = DifAssembleOut("error", [], str(exc))
                continue
            stored, _ = await artifacts.store(conn, project.id, "", "", [prepared])
            out[checksum] = DifAssembleOut("ok", [], None, dif_out(stored[0]))
    return out


def dif_out(a: artifacts.ArtifactOut) -> DifOut:
    debug_id = a.debug_ids[0] if a.debug_ids else (a.debug_id or "")
    return DifOut(str(a.id), debug_id, debug_id, a.name, "any", a.checksum, a.size, {"features": []})
