"""First start on an empty database: a default organization, project, key and admin.

The password and token are shown once and only their hashes are stored. They go to a
terminal only; when output is captured (a service manager, a container log) they are written
to an owner-only file instead and only its path is printed.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from pathlib import Path

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


SECRETS_FILE = "first-run-secrets.txt"


def secrets_text(first: FirstRun) -> str:
    return (
        f"  Admin:     {first.admin_email} / {first.admin_password}\n"
        f"  API token: {first.token}\n"
    )


def write_secrets(first: FirstRun, data_dir: str) -> Path:
    """Write the admin password and token to a file only its owner can read; return its path."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRETS_FILE
    path.unlink(missing_ok=True)  # a new file, so the mode below is the one it gets
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("Crashdesk first-run secrets (shown once; only hashes are stored):\n" + secrets_text(first))
    return path


def next_step(first: FirstRun, base_url: str, token: str) -> str:
    """Copy-paste lines that send a test event with the real sentry-sdk and show where it landed."""
    send = (
        f'import sentry_sdk; sentry_sdk.init("{first.dsn}"); '
        'sentry_sdk.capture_message("Hello from Crashdesk"); sentry_sdk.flush()'
    )
    return (
        "  Send a test event:\n"
        f"    {shlex.quote(sys.executable)} -c {shlex.quote(send)}\n"
        f"  Sign in at {base_url}/ with the admin login above, or see the cluster from the API:\n"
        f'    curl -H "Authorization: Bearer {token}" {base_url}/api/0/projects/{first.project_id}/clusters/\n'
        f"  API docs: {base_url}/api/0/schema\n"
    )


def banner(first: FirstRun, base_url: str, *, secrets_path: Path | None = None) -> str:
    """What the first start prints: the secrets themselves on a terminal, else the file holding them."""
    if secrets_path is None:
        shown, token = secrets_text(first) + "  (shown once; only hashes are stored)\n", first.token
    else:
        shown = f"  Admin password and API token: in {secrets_path} (readable only by its owner)\n"
        token = f"$(sed -n 's/.*API token: //p' {shlex.quote(str(secrets_path))})"
    return f"\n  Crashdesk is set up.\n  DSN:       {first.dsn}\n{shown}\n{next_step(first, base_url, token)}"


__all__ = ["FirstRun", "banner", "dsn", "first_run", "next_step", "write_secrets"]
