"""Projects of an organization, with their DSNs; the tenancy check every project route makes."""

from __future__ import annotations

import msgspec

from server.db import tenancy
from server.db.clusters import Conn
from server.dsn import dsn_for
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
