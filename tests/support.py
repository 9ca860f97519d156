"""Real parts for tests: a PostgreSQL database and a running ``crashdesk serve``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"  # every file a test reads; sources in its README.md
CRASHDESK = [sys.executable, "-m", "server.cli"]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(database_url: str, *args: str, public_url: str | None = None) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    if public_url:
        env["CRASHDESK_PUBLIC_URL"] = public_url
    out = subprocess.run([*CRASHDESK, *args, "--json"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    database_url: str
    log_path: Path

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str | None, tmp: Path, *, port: int | None = None, env: dict[str, str] | None = None) -> Server:
    """``crashdesk serve`` on ``database_url``, or (None) on its own embedded PostgreSQL in ``tmp / "data"``."""
    port = port or free_port()
    log_path = tmp / f"serve-{port}.log"
    full_env = {
        # self-monitoring only when a test asks; the embedded database only when database_url is None
        **{k: v for k, v in os.environ.items() if k not in ("SENTRY_DSN", "DATABASE_URL")},
        **({"DATABASE_URL": database_url} if database_url else {}),
        "CRASHDESK_DATA_DIR": str(tmp / "data"),
        "CRASHDESK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CRASHDESK, "serve", "--port", str(port), "--log-level", "warning"],
            env=full_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", database_url or "", log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"crashdesk serve exited {process.returncode}:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.base_url + "/api/0/health", timeout=2).status_code == 200:
                return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"crashdesk serve did not become healthy:\n{server.log()}")


@contextlib.contextmanager
def running_server(database_url: str | None, tmp: Path, **kw: object) -> Iterator[Server]:
    server = start_server(database_url, tmp, **kw)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def run_sdk(dsn: str, body: str, *args: str, release: str = "app@1.0.0", environment: str = "production") -> list[str]:
    """Run ``body`` in a fresh Python with the real sentry-sdk initialised on ``dsn``.

    ``body`` appends event ids to ``ids``; they are returned in order.
    """
    script = (
        "import sys, sentry_sdk\n"
        "sentry_sdk.init(dsn=sys.argv[1], release=sys.argv[2], environment=sys.argv[3], default_integrations=False)\n"
        "ids = []\n" + body + "\nsentry_sdk.flush(timeout=10)\nprint(' '.join(i for i in ids if i))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, dsn, release, environment, *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()
