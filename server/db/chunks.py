"""Upload chunks of Sentry's chunked-upload protocol: store by sha1, find, join."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

# Chunks nobody assembled within a day are garbage (an aborted upload); dropped lazily.
_KEEP = "1 day"


async def store(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, chunks: Sequence[tuple[str, bytes]]) -> None:
    """chunks: (sha1 hex, bytes), already verified; a chunk stored before is kept as is."""
    await conn.execute(
        "INSERT INTO upload_chunks (organization_id, checksum, data)"
        " SELECT $1, c, d FROM unnest($2::text[], $3::bytea[]) AS u(c, d)"
        " ON CONFLICT (organization_id, checksum) DO UPDATE SET created_at = now()",
        organization_id, [c for c, _ in chunks], [d for _, d in chunks],
    )


async def missing(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, checksums: Sequence[str]) -> list[str]:
    """Those of ``checksums`` not stored, in the order asked."""
    rows = await conn.fetch(
        "SELECT checksum FROM upload_chunks WHERE organization_id = $1 AND checksum = ANY($2::text[])",
        organization_id, list(checksums),
    )
    have = {r["checksum"] for r in rows}
    return [c for c in dict.fromkeys(checksums) if c not in have]


async def total_size(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, checksums: Sequence[str]) -> int:
    """Bytes the file joined from ``checksums`` would have (a chunk may repeat)."""
    value = await conn.fetchval(
        "SELECT coalesce(sum(octet_length(c.data)), 0) FROM unnest($2::text[]) AS u(k)"
        " JOIN upload_chunks c ON c.organization_id = $1 AND c.checksum = u.k",
        organization_id, list(checksums),
    )
    return int(value)


async def join(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, checksums: Sequence[str]) -> bytes:
    """The file made of ``checksums`` in order; call ``missing`` and ``total_size`` first."""
    rows = await conn.fetch(
        "SELECT c.data FROM unnest($2::text[]) WITH ORDINALITY AS u(k, n)"
        " JOIN upload_chunks c ON c.organization_id = $1 AND c.checksum = u.k ORDER BY u.n",
        organization_id, list(checksums),
    )
    return b"".join(r["data"] for r in rows)


async def drop_stale(conn: asyncpg.Connection | asyncpg.Pool) -> None:
    await conn.execute(f"DELETE FROM upload_chunks WHERE created_at < now() - interval '{_KEEP}'")
