"""Where the database is: a configured server, or an embedded one in the data folder.

The embedded PostgreSQL (``pgserver``) exists so a fresh machine needs no setup;
production points ``DATABASE_URL`` at a real server.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import msgspec

from server.settings import Settings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield a connection URL, starting (and finally stopping) an embedded server if needed."""
    if settings.database_url:
        yield settings.database_url
        return
    import pgserver  # heavy import, only needed without DATABASE_URL

    pgdata = Path(settings.data_dir) / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    log.info("embedded PostgreSQL running in %s", pgdata)
    try:
        yield server.get_uri()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_json_text, decoder=_json_load, schema="pg_catalog", format="text")


def _json_text(value: object) -> str:
    if isinstance(value, (bytes, str)):
        return value.decode() if isinstance(value, bytes) else value
    return msgspec.json.encode(value).decode()


def _json_load(text: str) -> object:
    return msgspec.json.decode(text)


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init_connection)
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await _init_connection(conn)
    return conn


def process_env(url: str) -> dict[str, str]:
    """Environment for child processes so they reuse this process's database."""
    return {**os.environ, "DATABASE_URL": url}
