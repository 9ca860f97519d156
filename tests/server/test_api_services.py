"""Service-layer reads on a real PostgreSQL: round trips counted where a loop would query per row."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.db import tenancy
from server.migrate import migrate
from server.services import projects


class Counting:
    """A real connection that counts the statements sent through it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.conn, name)
        if name not in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
            return method

        async def counted(query: str, *args: Any, **kw: Any) -> Any:
            self.statements.append(query)
            return await method(query, *args, **kw)

        return counted


def test_projects_with_their_keys_in_one_query(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()

    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            ids = [await tenancy.create_project(conn, "acme", f"p{n}") for n in range(4)]
            for project_id in ids[:2]:
                await tenancy.create_key(conn, project_id)
            org = await tenancy.organization_id(conn, "acme")
            counting = Counting(conn)
            page = await projects.list_projects(counting, org, base_url="http://x", limit=3)  # type: ignore[arg-type]
            assert len(counting.statements) == 1, counting.statements
            assert [p.id for p in page.projects] == ids[:3] and page.next_cursor
            assert [len(p.dsn) for p in page.projects] == [2, 2, 1]
            rest = await projects.list_projects(conn, org, base_url="http://x", limit=3, cursor_=page.next_cursor)
            assert [p.id for p in rest.projects] == ids[3:] and rest.next_cursor is None
        finally:
            await conn.close()

    asyncio.run(go())
