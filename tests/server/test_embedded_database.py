"""The embedded PostgreSQL: any stop of ``serve`` or ``worker`` stops it, and it is restarted if it dies."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import CRASHDESK, REPO, Server, free_port, start_server, wait_until


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if psutil.pid_exists(pid) else None


def postgres_family(pgdata: Path) -> list[psutil.Process]:
    """The postmaster of ``pgdata`` and its children (checkpointer, backends, ...)."""
    pid = postmaster_pid(pgdata)
    if pid is None:
        return []
    master = psutil.Process(pid)
    return [master, *master.children(recursive=True)]


def assert_none_left(family: list[psutil.Process], pgdata: Path) -> None:
    assert family, "the embedded PostgreSQL was running before the stop"
    _, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, f"postgres processes left running: {alive}"
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(pgdata) in " ".join(p.info["cmdline"] or [])]


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A folder outside pytest's own temporary root: pytest sessions running side by side reset that
    root to mode 0700, which locks out the unprivileged user the embedded PostgreSQL runs as under root."""
    folder = Path(tempfile.mkdtemp(prefix="crashdesk-embedded-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def embedded_env(tmp: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "CRASHDESK_DATA_DIR": str(tmp / "data")}


def stop_when_ready(argv: list[str], tmp: Path, ready: Callable[[Path], bool], sig: signal.Signals) -> list[psutil.Process]:
    """Run ``crashdesk argv`` on an embedded database until ``ready(log)``, send ``sig`` to that process
    only (as a service manager does), wait for it to end; return the postgres processes it had."""
    log = tmp / "crashdesk.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*CRASHDESK, *argv], env=embedded_env(tmp), cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: ready(log) or proc.poll() is not None, timeout=90)
        assert proc.poll() is None, log.read_text()
        family = postgres_family(tmp / "data/pgdata")
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
    return family


@pytest.mark.parametrize(
    ("args", "sig"),
    [([], signal.SIGTERM), ([], signal.SIGINT), (["--workers", "2"], signal.SIGTERM)],
    ids=["serve-SIGTERM", "serve-SIGINT", "serve-2-workers-SIGTERM"],
)
def test_stopping_serve_stops_its_database(tmp_path: Path, args: list[str], sig: signal.Signals) -> None:
    port = free_port()
    family = stop_when_ready(["serve", "--port", str(port), *args], tmp_path, lambda log: _healthy(port), sig)
    assert_none_left(family, tmp_path / "data/pgdata")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_worker_stops_its_database(tmp_path: Path, sig: signal.Signals) -> None:
    family = stop_when_ready(["worker"], tmp_path, lambda log: "applied migration 0001" in log.read_text(), sig)
    assert_none_left(family, tmp_path / "data/pgdata")


def test_serve_that_fails_to_start_stops_its_database(tmp_path: Path) -> None:
    """An exception on the way (here: the port is taken) still stops the database it started."""
    with taken_port() as port:
        out = subprocess.run([*CRASHDESK, "serve", "--port", str(port)], env=embedded_env(tmp_path), cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    pgdata = tmp_path / "data/pgdata"
    assert (pgdata / "PG_VERSION").is_file(), "the database was started"
    assert postmaster_pid(pgdata) is None
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(pgdata) in " ".join(p.info["cmdline"] or [])]


def test_killed_database_is_restarted(tmp_path: Path) -> None:
    server: Server = start_server(None, tmp_path)
    pgdata = tmp_path / "data/pgdata"
    try:
        before = postmaster_pid(pgdata)
        assert before is not None
        os.kill(before, signal.SIGKILL)
        after = wait_until(lambda: (pid := postmaster_pid(pgdata)) not in (None, before) and pid, timeout=60)
        wait_until(lambda: _healthy(int(server.base_url.rsplit(":", 1)[1])), timeout=60)
        secrets = (tmp_path / "data/first-run-secrets.txt").read_text()
        token = secrets.split("API token: ")[1].split()[0]
        projects = httpx.get(f"{server.base_url}/api/0/projects/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert projects.status_code == 200 and "default" in projects.text, "the data survived the restart"
        assert "restarting it" in server.log()
        family = postgres_family(pgdata)
        assert family[0].pid == after
    finally:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
    assert_none_left(family, pgdata)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/0/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A port something already listens on, so ``serve`` cannot bind it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])
