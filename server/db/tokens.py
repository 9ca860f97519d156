"""API tokens: create, list, revoke, and the per-request lookup (``last_used_at`` at most once a minute)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

import asyncpg
import msgspec

from server.db.tenancy import hash_token

Conn = asyncpg.Connection | asyncpg.Pool

_COLUMNS = "id, organization_id, label, scopes, created_at, expires_at, revoked_at, last_used_at"


class TokenRow(msgspec.Struct, frozen=True):
    id: int
    organization_id: int
    label: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class Caller(msgspec.Struct, frozen=True):
    """Who a request acts for: the token's organization and what it may do."""

    token_id: int
    organization_id: int
    scopes: list[str]


class Refused(msgspec.Struct, frozen=True):
    reason: str  # "revoked" or "expired"


async def create(
    conn: Conn, organization_id: int, *, label: str, scopes: Sequence[str], expires_at: dt.datetime | None
) -> tuple[str, TokenRow]:
    """A new token (returned once, only its hash is kept) and its row."""
    token = "cdt_" + secrets.token_urlsafe(32)
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (organization_id, token_hash, label, scopes, expires_at) VALUES ($1, $2, $3, $4, $5)"
        f" RETURNING {_COLUMNS}",
        organization_id,
        hash_token(token),
        label,
        list(scopes),
        expires_at,
    )
    return token, TokenRow(*row.values())


async def list_tokens(conn: Conn, organization_id: int, *, after_id: int | None, limit: int) -> list[TokenRow]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE organization_id = $1 AND ($2::bigint IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        organization_id,
        after_id,
        limit,
    )
    return [TokenRow(*r.values()) for r in rows]


async def revoke(conn: Conn, organization_id: int, token_id: int) -> TokenRow | None:
    """Revoke (idempotent: a revoked token keeps its first revocation time); None if not this org's."""
    row = await conn.fetchrow(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE organization_id = $1 AND id = $2"
        f" RETURNING {_COLUMNS}",
        organization_id,
        token_id,
    )
    return TokenRow(*row.values()) if row else None


async def authenticate(conn: Conn, token: str) -> Caller | Refused | None:
    """The caller a token stands for; ``last_used_at`` is written only when a minute old."""
    row = await conn.fetchrow(
        "SELECT id, organization_id, scopes, revoked_at IS NOT NULL AS revoked,"
        " expires_at IS NOT NULL AND expires_at <= now() AS expired,"
        " last_used_at IS NULL OR last_used_at < now() - interval '60 seconds' AS stale"
        " FROM api_tokens WHERE token_hash = $1",
        hash_token(token),
    )
    if row is None:
        return None
    if row["revoked"] or row["expired"]:
        return Refused("revoked" if row["revoked"] else "expired")
    if row["stale"]:
        await conn.execute(
            "UPDATE api_tokens SET last_used_at = now() WHERE id = $1"
            " AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
            row["id"],
        )
    return Caller(row["id"], row["organization_id"], list(row["scopes"]))
