"""First start on an empty database: a default organization, project, key and admin.

The password is printed once and only its hash is stored.
"""

from __future__ import annotations

import secrets

import msgspec

from server.database import connect
from server.db import tenancy
from server.dsn import dsn_for as dsn
from server.migrate import migrate


class FirstRun(msgspec.Struct, frozen=True):
    organization: str
    project_id: int
    dsn: str
    admin_email: str
    admin_password: str
    token: str


async def first_run(url: str, base_url: str) -> FirstRun | None:
    """Record the URL the service announces; on an empty database, create the defaults."""
    conn = await connect(url)
    try:
        await migrate(conn)
        await tenancy.set_instance_setting(conn, "public_url", base_url)
        async with conn.transaction():
            await conn.execute("LOCK TABLE organizations IN EXCLUSIVE MODE")
            if not await tenancy.is_empty(conn):
                return None
            project_id = await tenancy.create_project(conn, "default", "default")
            key = (await tenancy.project_keys(conn, project_id))[0]
            password = secrets.token_urlsafe(12)
            await tenancy.create_user(conn, "admin@localhost", password, org_slug="default", superuser=True)
            token = await tenancy.create_token(conn, "default", "first run")
    finally:
        await conn.close()
    return FirstRun("default", project_id, dsn(base_url, key, project_id), "admin@localhost", password, token)


def banner(first: FirstRun) -> str:
    return (
        "\n  Crashdesk is set up.\n"
        f"  DSN:       {first.dsn}\n"
        f"  Admin:     {first.admin_email} / {first.admin_password}\n"
        f"  API token: {first.token}\n"
        "  (shown once; only hashes are stored)\n"
    )


__all__ = ["FirstRun", "banner", "dsn", "first_run"]
