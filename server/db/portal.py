"""SQL of the public self-help portal: the organization behind a slug, its ticket project, the form throttle."""

from __future__ import annotations

import datetime as dt

import asyncpg

from server.db.search import Conn


async def organization(conn: Conn, slug: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, slug, name FROM organizations WHERE slug = $1", slug)


async def first_project(conn: Conn, organization_id: int) -> int | None:
    """The organization's oldest project: where the portal's tickets go."""
    return await conn.fetchval(
        "SELECT id FROM projects WHERE organization_id = $1 ORDER BY id LIMIT 1", organization_id
    )


async def record_hit(conn: Conn, key: str, window: dt.timedelta) -> tuple[int, dt.datetime]:
    """Count one hit (a window that has passed starts again at 1); (hits now, window start). One statement,
    so two requests at once cannot both see the last free place."""
    row = await conn.fetchrow(
        "INSERT INTO portal_throttle (key, hits, window_start) VALUES ($1, 1, now())"
        " ON CONFLICT (key) DO UPDATE SET"
        " hits = CASE WHEN portal_throttle.window_start > now() - $2::interval THEN portal_throttle.hits + 1 ELSE 1 END,"
        " window_start = CASE WHEN portal_throttle.window_start > now() - $2::interval"
        "   THEN portal_throttle.window_start ELSE now() END"
        " RETURNING hits, window_start",
        key, window,
    )
    return row["hits"], row["window_start"]


async def prune(conn: Conn, window: dt.timedelta) -> None:
    await conn.execute("DELETE FROM portal_throttle WHERE window_start < now() - $1::interval", window)
