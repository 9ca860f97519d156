"""A migrated database with organization "acme" and its project "app", for the ticket services' tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from server.database import connect
from server.db import tenancy
from server.migrate import migrate


@contextlib.asynccontextmanager
async def acme_app(url: str) -> AsyncIterator[tuple[asyncpg.Connection, int, int]]:
    """(connection, organization id, project id), the connection closed afterwards."""
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "acme")
        project = await tenancy.create_project(conn, "acme", "app")
        yield conn, org, project
    finally:
        await conn.close()
