"""Session fixtures on real parts: a PostgreSQL (``DATABASE_URL`` or embedded) and a server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from server.database import EmbeddedPostgres
from tests.support import REPO, Server, cli, start_server, with_database

JS = REPO / "tests/js"


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: ``DATABASE_URL`` if set, else an embedded one (as on a fresh machine)."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    # Outside pytest's temporary root, which other pytest sessions reset to mode 0700 (locking out
    # the unprivileged user the embedded server runs as when tests run as root).
    folder = Path(tempfile.mkdtemp(prefix="crashdesk-test-pg-"))
    try:
        with EmbeddedPostgres(folder / "pgdata").running() as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def make_database(pg_admin_url: str) -> Iterator:  # type: ignore[type-arg]
    """Factory of fresh, empty databases on the test server; all dropped at the end."""
    made: list[str] = []

    def make() -> str:
        name = f"crashdesk_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_create_database(pg_admin_url, name))
        made.append(name)
        return with_database(pg_admin_url, name)

    yield make
    for name in made:
        asyncio.run(_drop_database(pg_admin_url, name))


@pytest.fixture(scope="session")
def server(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    """One shared ``crashdesk serve`` for tests that do not stop it."""
    srv = start_server(make_database(), tmp_path_factory.mktemp("srv"))
    try:
        yield srv
    finally:
        srv.stop()


class Project:
    def __init__(self, server: Server, org: str, name: str) -> None:
        made = cli(server.database_url, "createproject", org, name, "--create-org", public_url=server.base_url)
        self.id: int = made["project_id"]
        self.dsn: str = made["dsn"]
        self.public_key: str = made["public_key"]
        self.token: str = cli(server.database_url, "token", "create", org)["token"]
        self.org = org
        self.server = server

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def envelope_url(self) -> str:
        return f"{self.server.base_url}/api/{self.id}/envelope/"

    @property
    def store_url(self) -> str:
        return f"{self.server.base_url}/api/{self.id}/store/"

    def sentry_auth(self, key: str | None = None) -> dict[str, str]:
        return {"X-Sentry-Auth": f"Sentry sentry_key={key or self.public_key}, sentry_version=7"}


@pytest.fixture
def project(server: Server) -> Project:
    return Project(server, f"org-{uuid.uuid4().hex[:8]}", "app")


@pytest.fixture(scope="session")
def npm_packages() -> Path:
    """``node_modules`` with esbuild and @sentry/node, installed at most once per lock file."""
    return npm_install(JS, ".bin/esbuild")


def npm_install(folder: Path, marker: str) -> Path:
    """``node_modules`` of ``folder``'s package.json + lock, installed into ``.cache/`` once per lock file."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("node and npm are not installed; the real-bundle test needs them")
    manifest = [(folder / "package.json").read_bytes(), (folder / "package-lock.json").read_bytes()]
    target = REPO / ".cache" / f"js-{hashlib.sha1(b''.join(manifest)).hexdigest()[:12]}"
    if not (target / "node_modules" / marker).exists():
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(folder / name, target / name)
        out = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=target, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"npm ci failed:\n{out.stdout}\n{out.stderr}"
    return target / "node_modules"
