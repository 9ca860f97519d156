"""Organizations, projects, project keys, users, memberships and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import asyncpg
import msgspec

from server.errors import Conflict, NotFound
from server.passwords import hash_password


class ProjectKey(msgspec.Struct, frozen=True):
    key_id: int
    project_id: int
    organization_id: int
    public_key: str
    enabled: bool
    rate_limit_count: int | None
    rate_limit_window: int


class Project(msgspec.Struct, frozen=True):
    id: int
    organization_id: int
    organization: str
    slug: str
    name: str
    platform: str | None


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()




async def ensure_organization(conn: asyncpg.Connection, slug: str) -> int:
    row = await conn.fetchrow(
        "INSERT INTO organizations (slug, name) VALUES ($1, $1)"
        " ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id",
        slug,
    )
    return int(row["id"])


async def create_organization(conn: asyncpg.Connection, slug: str) -> int | None:
    """A new organization's id, or None when the slug is taken (one statement: two callers never both get it)."""
    value = await conn.fetchval(
        "INSERT INTO organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING RETURNING id", slug
    )
    return None if value is None else int(value)


async def organization_id(conn: asyncpg.Connection, slug: str) -> int:
    value = await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", slug)
    if value is None:
        raise NotFound("organization", slug)
    return int(value)


async def create_project(conn: asyncpg.Connection, org_slug: str, slug: str, platform: str | None = None) -> int:
    async with conn.transaction():
        org_id = await ensure_organization(conn, org_slug)
        try:
            project_id = await conn.fetchval(
                "INSERT INTO projects (organization_id, slug, name, platform) VALUES ($1, $2, $2, $3) RETURNING id",
                org_id,
                slug,
                platform,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(f"project {org_slug}/{slug} exists already") from None
        await create_key(conn, int(project_id))
    return int(project_id)


async def create_key(conn: asyncpg.Connection, project_id: int, *, rate_limit_count: int | None = None) -> str:
    public_key = uuid.uuid4().hex
    await conn.execute(
        "INSERT INTO project_keys (project_id, public_key, rate_limit_count) VALUES ($1, $2, $3)",
        project_id,
        public_key,
        rate_limit_count,
    )
    return public_key


async def update_key(
    conn: asyncpg.Connection, public_key: str, *, enabled: bool | None = None, rate_limit: tuple[int | None, int] | None = None
) -> None:
    if enabled is not None:
        await conn.execute("UPDATE project_keys SET enabled = $2 WHERE public_key = $1", public_key, enabled)
    if rate_limit is not None:
        await conn.execute(
            "UPDATE project_keys SET rate_limit_count = $2, rate_limit_window = $3 WHERE public_key = $1",
            public_key,
            *rate_limit,
        )


async def key_by_public(conn: asyncpg.Connection | asyncpg.Pool, public_key: str) -> ProjectKey | None:
    row = await conn.fetchrow(
        "SELECT k.id, k.project_id, p.organization_id, k.public_key, k.enabled, k.rate_limit_count, k.rate_limit_window"
        " FROM project_keys k JOIN projects p ON p.id = k.project_id WHERE k.public_key = $1",
        public_key,
    )
    return ProjectKey(*row.values()) if row else None


async def project_keys(conn: asyncpg.Connection | asyncpg.Pool, project_id: int) -> list[str]:
    rows = await conn.fetch("SELECT public_key FROM project_keys WHERE project_id = $1 ORDER BY id", project_id)
    return [r["public_key"] for r in rows]


class KeyRow(msgspec.Struct, frozen=True):
    id: int
    public_key: str
    label: str
    enabled: bool
    rate_limit_count: int | None
    rate_limit_window: int
    created_at: dt.datetime


_KEY_COLUMNS = "id, public_key, label, enabled, rate_limit_count, rate_limit_window, created_at"


async def keys_of(conn: asyncpg.Connection | asyncpg.Pool, project_id: int) -> list[KeyRow]:
    """A project's keys with their settings, oldest first."""
    rows = await conn.fetch(f"SELECT {_KEY_COLUMNS} FROM project_keys WHERE project_id = $1 ORDER BY id", project_id)
    return [KeyRow(*r.values()) for r in rows]


async def set_key(
    conn: asyncpg.Connection | asyncpg.Pool, project_id: int, key_id: int, *, enabled: bool,
    rate_limit_count: int | None, rate_limit_window: int,
) -> KeyRow | None:
    """Change one key of ``project_id`` (None when the project has no such key)."""
    row = await conn.fetchrow(
        "UPDATE project_keys SET enabled = $3, rate_limit_count = $4, rate_limit_window = $5"
        f" WHERE project_id = $1 AND id = $2 RETURNING {_KEY_COLUMNS}",
        project_id, key_id, enabled, rate_limit_count, rate_limit_window,
    )
    return KeyRow(*row.values()) if row else None


_PROJECT_SELECT = (
    "SELECT p.id, p.organization_id, o.slug AS organization, p.slug, p.name, p.platform"
    " FROM projects p JOIN organizations o ON o.id = p.organization_id"
)


async def project_by_slug(conn: asyncpg.Connection, org_slug: str, slug: str) -> Project:
    row = await conn.fetchrow(_PROJECT_SELECT + " WHERE o.slug = $1 AND p.slug = $2", org_slug, slug)
    if row is None:
        raise NotFound("project", f"{org_slug}/{slug}")
    return Project(*row.values())


async def projects_of(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int) -> list[Project]:
    rows = await conn.fetch(_PROJECT_SELECT + " WHERE p.organization_id = $1 ORDER BY p.id", organization_id)
    return [Project(*r.values()) for r in rows]


async def projects_with_keys(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, *, after_id: int | None, limit: int
) -> list[tuple[Project, list[str]]]:
    """A page of projects (id order) with their public keys, in one query."""
    rows = await conn.fetch(
        "SELECT p.id, p.organization_id, o.slug AS organization, p.slug, p.name, p.platform,"
        " COALESCE((SELECT array_agg(k.public_key ORDER BY k.id) FROM project_keys k WHERE k.project_id = p.id), '{}') AS keys"
        " FROM projects p JOIN organizations o ON o.id = p.organization_id"
        " WHERE p.organization_id = $1 AND ($2::bigint IS NULL OR p.id > $2) ORDER BY p.id LIMIT $3",
        organization_id,
        after_id,
        limit,
    )
    return [(Project(*list(r.values())[:6]), list(r["keys"])) for r in rows]


async def project_in_org(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int, project_id: int) -> Project:
    row = await conn.fetchrow(_PROJECT_SELECT + " WHERE p.organization_id = $1 AND p.id = $2", organization_id, project_id)
    if row is None:
        raise NotFound("project", project_id)
    return Project(*row.values())


async def create_user(
    conn: asyncpg.Connection, email: str, password: str, *, org_slug: str, role: str = "admin", superuser: bool = False
) -> int:
    async with conn.transaction():
        org_id = await ensure_organization(conn, org_slug)
        try:
            user_id = await conn.fetchval(
                "INSERT INTO users (email, password_hash, is_superuser) VALUES ($1, $2, $3) RETURNING id",
                email.strip().lower(),
                hash_password(password),
                superuser,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(f"user {email} exists already") from None
        await conn.execute(
            "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)", org_id, user_id, role
        )
    return int(user_id)


async def create_token(conn: asyncpg.Connection, org_slug: str, label: str = "") -> str:
    org_id = await organization_id(conn, org_slug)
    token = "cdt_" + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO api_tokens (organization_id, token_hash, label) VALUES ($1, $2, $3)", org_id, hash_token(token), label
    )
    return token


async def is_empty(conn: asyncpg.Connection) -> bool:
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM organizations)")


async def set_instance_setting(conn: asyncpg.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        key,
        value,
    )


async def instance_setting(conn: asyncpg.Connection, key: str) -> str | None:
    value = await conn.fetchval("SELECT value FROM instance_settings WHERE key = $1", key)
    return str(value) if value is not None else None


class Organization(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    created_at: dt.datetime


async def organization_by_id(conn: asyncpg.Connection | asyncpg.Pool, organization_id: int) -> Organization:
    row = await conn.fetchrow("SELECT id, slug, name, created_at FROM organizations WHERE id = $1", organization_id)
    if row is None:
        raise NotFound("organization", organization_id)
    return Organization(*row.values())
