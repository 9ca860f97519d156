"""The CLI never quietly works on the wrong database or organization, and keeps secrets out of logs."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import pytest

from server.cli import main
from tests.server.test_settings import commands
from tests.support import CRASHDESK, REPO, cli, free_port, running_server, wait_until

CREATORS = {"serve", "worker", "migrate", "demo"}  # the only commands that may create a data folder
USERS = sorted(set(commands()) - CREATORS)


@pytest.mark.parametrize("state", ["missing", "empty"])
@pytest.mark.parametrize("command", USERS)
def test_commands_refuse_a_missing_or_empty_data_folder(command: str, state: str, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    if state == "empty":
        data.mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    Path("x").write_text('{"version": 3, "sources": [], "names": [], "mappings": ""}')  # upload's file: a source map
    argv = commands()[command] + (["--release", "r"] if command == "upload" else [])  # a file upload accepts
    code = main(argv, {"CRASHDESK_DATA_DIR": str(data), "HOME": str(tmp_path)})
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"no Crashdesk database in {data / 'pgdata'}" in err and "CRASHDESK_DATA_DIR" in err and "DATABASE_URL" in err
    assert err.count("\n") == 1
    assert data.exists() == (state == "empty") and not (data / "pgdata").exists(), "nothing created"


def test_createproject_refuses_an_unknown_organization_unless_asked(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    cli(url, "createproject", "acme", "web", "--create-org")
    typo = subprocess.run([*CRASHDESK, "createproject", "acmee", "billing"], env={**os.environ, "DATABASE_URL": url},
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert typo.returncode == 2
    assert typo.stderr == "crashdesk: organization 'acmee' does not exist; check the name, or add --create-org to create it\n"
    assert cli(url, "createproject", "acme", "billing")["organization"] == "acme"  # an existing one needs no flag
    assert asyncio.run(_organizations(url)) == ["acme"]


async def _organizations(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [r["slug"] for r in await conn.fetch("SELECT slug FROM organizations ORDER BY slug")]
    finally:
        await conn.close()


def test_first_run_on_a_terminal_shows_the_secrets_and_writes_no_file(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The non-terminal case (secrets in an owner-only file) is tests/server/test_cli.py's first test."""
    master, slave = pty.openpty()
    env = {**os.environ, "DATABASE_URL": make_database(), "CRASHDESK_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([*CRASHDESK, "serve", "--port", str(free_port())], env=env, cwd=REPO, stdout=slave,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(slave)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while b"API docs:" not in shown and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                shown += os.read(master, 65536)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        os.close(master)
    text = shown.decode()
    assert "Admin:     admin@localhost / " in text and "API token: cdt_" in text, text
    token = text.split("API token: ")[1].split()[0]
    assert f"Authorization: Bearer {token}" in text, "the next step is ready to paste"
    assert "sentry_sdk.capture_message" in text
    assert not (tmp_path / "data" / "first-run-secrets.txt").exists()


def test_the_printed_next_step_sends_an_event_and_shows_its_cluster(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The two lines the first start prints, pasted into a shell as they are (curl reads the secrets file)."""
    with running_server(make_database(), tmp_path) as server:
        log = server.log()
        send = log.split("Send a test event:\n")[1].splitlines()[0].strip()
        look = log.split("or see the cluster from the API:\n")[1].splitlines()[0].strip()
        assert f"Sign in at {server.base_url}/ " in log
        assert look.startswith("curl ") and "first-run-secrets.txt" in look
        sent = subprocess.run(["bash", "-c", send], capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr

        def cluster_listed() -> bool:
            out = subprocess.run(["bash", "-c", look + " --silent --fail"], capture_output=True, text=True, timeout=30)
            return out.returncode == 0 and '"title":"Hello from Crashdesk"' in out.stdout

        wait_until(cluster_listed, timeout=30)


def test_a_data_folder_of_another_postgresql_version_is_refused_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """pgserver's PostgreSQL 16 folders can't be opened by the embedded PostgreSQL 18: say so, don't crash."""
    pgdata = tmp_path / "data" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("16\n")
    assert main(["migrate"], {"CRASHDESK_DATA_DIR": str(tmp_path / "data")}) == 2
    err = capsys.readouterr().err
    assert err == (f"crashdesk: {pgdata} holds a PostgreSQL 16 database, but the embedded PostgreSQL is 18: move it with "
                   "pg_dump/pg_restore from a PostgreSQL 16 server, or set DATABASE_URL to one\n")
