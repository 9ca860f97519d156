"""Projects of an organization, with their DSNs; the tenancy check every project route makes."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.db import tenancy
from server.db.clusters import Conn
from server.dsn import dsn_for
from server.errors import Invalid, NotFound
from server.services import cursor


class ProjectOut(msgspec.Struct, frozen=True):
    id: int
    organization: str
    slug: str
    name: str
    platform: str | None
    dsn: list[str]  # one per enabled or disabled key, oldest first


class ProjectsPage(msgspec.Struct, frozen=True):
    projects: list[ProjectOut]
    next_cursor: str | None


async def require(conn: Conn, organization_id: int, project_id: int) -> tenancy.Project:
    """The project, or ``NotFound`` when it is missing or another organization's (never told apart)."""
    return await tenancy.project_in_org(conn, organization_id, project_id)


async def list_projects(
    conn: Conn, organization_id: int, *, base_url: str, limit: int, cursor_: str | None = None
) -> ProjectsPage:
    """One query for the page of projects and all their keys (no query per project)."""
    after = cursor.decode(cursor_, 1)
    after_id = cursor.typed(after, tuple[int])[0] if after else None
    rows = await tenancy.projects_with_keys(conn, organization_id, after_id=after_id, limit=limit)
    projects = [
        ProjectOut(p.id, p.organization, p.slug, p.name, p.platform, [dsn_for(base_url, k, p.id) for k in keys])
        for p, keys in rows
    ]
    more = len(rows) == limit
    return ProjectsPage(projects, cursor.encode(projects[-1].id) if more and projects else None)


MAX_RATE_WINDOW = 86_400  # seconds: a day is the longest window a limit is counted over


class KeyOut(msgspec.Struct, frozen=True):
    """One client key: its DSN and whether and how fast it may send."""

    id: int
    label: str
    public_key: str
    dsn: str
    enabled: bool
    rate_limit_count: int | None  # events per window; None: no limit of its own
    rate_limit_window: int  # seconds
    created_at: dt.datetime


class KeyUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool
    rate_limit_count: int | None = None
    rate_limit_window: int = 60


def _key_out(base_url: str, project_id: int, k: tenancy.KeyRow) -> KeyOut:
    return KeyOut(k.id, k.label, k.public_key, dsn_for(base_url, k.public_key, project_id), k.enabled,
                  k.rate_limit_count, k.rate_limit_window, k.created_at)


async def list_keys(conn: Conn, organization_id: int, project_id: int, *, base_url: str) -> list[KeyOut]:
    await require(conn, organization_id, project_id)
    return [_key_out(base_url, project_id, k) for k in await tenancy.keys_of(conn, project_id)]


async def update_key(
    conn: Conn, organization_id: int, project_id: int, key_id: int, change: KeyUpdate, *, base_url: str
) -> KeyOut:
    """Enable or disable a key and set its rate limit; ingestion sees it once its key cache expires."""
    await require(conn, organization_id, project_id)
    if change.rate_limit_count is not None and not 1 <= change.rate_limit_count <= 2**31 - 1:
        raise Invalid("a rate limit is a whole number of events from 1 up, or empty for none", "rate_limit_count")
    if not 1 <= change.rate_limit_window <= MAX_RATE_WINDOW:
        raise Invalid(f"a rate-limit window is 1 to {MAX_RATE_WINDOW} seconds", "rate_limit_window")
    row = await tenancy.set_key(
        conn, project_id, key_id, enabled=change.enabled, rate_limit_count=change.rate_limit_count,
        rate_limit_window=change.rate_limit_window,
    )
    if row is None:
        raise NotFound("key", key_id)
    return _key_out(base_url, project_id, row)
