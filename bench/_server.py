"""Start a throwaway ``crashdesk serve`` for a benchmark (fresh database, free port)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

REPO = Path(__file__).resolve().parent.parent


def fresh_database(admin_url: str | None) -> tuple[str, contextlib.ExitStack]:
    """A new empty database on ``admin_url`` (or an embedded server) and a stack that drops it."""
    stack = contextlib.ExitStack()
    if admin_url is None:
        from server.database import EmbeddedPostgres

        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="crashdesk-bench-"))
        admin_url = stack.enter_context(EmbeddedPostgres(Path(tmp) / "pgdata").running())
    name = f"crashdesk_bench_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    stack.callback(lambda: asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")), stack


def local_postgres() -> str | None:
    """The machine's PostgreSQL on 127.0.0.1:5432 if one answers, else None (use embedded)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    with socket.socket() as s:
        s.settimeout(0.5)
        if s.connect_ex(("127.0.0.1", 5432)) == 0:
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    return None


def cli(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-m", "server.cli", *args, "--json"], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def serve(database_url: str, port: int, *args: str, env: dict[str, str] | None = None,
          tree: Path = REPO) -> Iterator[subprocess.Popen[bytes]]:
    """``crashdesk serve`` of the code in ``tree`` (this checkout unless a bench compares another)."""
    full_env = {**os.environ, "DATABASE_URL": database_url, "CRASHDESK_PUBLIC_URL": f"http://127.0.0.1:{port}", **(env or {})}
    if tree != REPO:
        full_env["PYTHONPATH"] = str(tree)
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--log-level", "warning", *args],
                            env=full_env, cwd=tree, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/0/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("crashdesk serve did not start")
            time.sleep(0.2)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
