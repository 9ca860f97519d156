"""The command line that scripts rely on: JSON shapes and the one-time first-run banner."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import asyncpg
import httpx

from server.services import accounts
from tests.support import CRASHDESK, REPO, cli, running_server


def test_first_serve_prints_dsn_and_login_once(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    with running_server(url, tmp_path) as first:
        pass
    log = first.log()
    assert "DSN:       http://" in log and "Admin:     admin@localhost / " not in log, "secrets stay out of captured output"
    secrets_file = tmp_path / "data" / "first-run-secrets.txt"
    assert f"in {secrets_file} (readable only by its owner)" in log
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    secrets = secrets_file.read_text()
    assert "Admin:     admin@localhost / " in secrets
    token = secrets.split("API token: ")[1].split()[0]
    dsn = log.split("DSN:       ")[1].split()[0]

    with running_server(url, tmp_path) as again:
        projects = httpx.get(f"{again.base_url}/api/0/projects/", headers={"Authorization": f"Bearer {token}"}).json()["projects"]
    assert "Admin" not in again.log() and "Crashdesk is set up" not in again.log(), "the first-run banner shows once"
    assert [p["slug"] for p in projects] == ["default"]
    assert dsn.split("@")[0] == projects[0]["dsn"][0].split("@")[0]  # same key, whatever the port

    made = cli(url, "createproject", "acme", "web", "--create-org")  # another terminal, no CRASHDESK_PUBLIC_URL
    assert made["dsn"].startswith(f"http://{made['public_key']}@{again.base_url.split('//')[1]}/")


def test_scripted_commands_print_json(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    made = cli(url, "createproject", "acme", "billing", "--create-org", public_url="https://crash.acme.test")
    assert made["dsn"] == f"https://{made['public_key']}@crash.acme.test/{made['project_id']}"
    assert cli(url, "token", "create", "acme")["token"].startswith("cdt_")
    user = cli(url, "createuser", "Ops@Acme.test", "--org", "acme", "--role", "agent")
    assert user["role"] == "agent" and len(user["password"]) >= 12
    assert cli(url, "migrate")["applied"] == []
    assert cli(url, "key", made["public_key"], "disable") == {"public_key": made["public_key"], "action": "disable"}


def test_a_locked_out_admin_gets_a_reset_link_from_the_command_line(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    cli(url, "createuser", "Boss@Acme.test", "--org", "acme", "--role", "admin", "--password", "the old password")
    made = cli(url, "user", "reset-link", "boss@acme.test", "--org", "acme", public_url="https://crash.acme.test/")
    assert made["email"] == "boss@acme.test" and made["organization"] == "acme"
    assert made["url"].startswith("https://crash.acme.test/account/reset/")

    async def use_it() -> tuple[str, str]:
        conn = await asyncpg.connect(url)
        try:
            token = made["url"].rsplit("/", 1)[1]
            session = await accounts.use_link(conn, "reset", token, "the new password")
            stored = await conn.fetchval("SELECT password_hash FROM users WHERE email = 'boss@acme.test'")
            return session.viewer.memberships[0].role, stored
        finally:
            await conn.close()

    role, stored = asyncio.run(use_it())
    assert role == "admin"
    assert stored.startswith("$argon2id$"), "createuser and resets hash with argon2id"

    env = {**os.environ, "DATABASE_URL": url}
    stranger = subprocess.run([*CRASHDESK, "user", "reset-link", "nobody@acme.test", "--org", "acme"],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert stranger.returncode == 2 and "nobody@acme.test in acme" in stranger.stderr
    weak = subprocess.run([*CRASHDESK, "createuser", "ops@acme.test", "--org", "acme", "--password", "short"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert weak.returncode == 2 and "at least 8 characters" in weak.stderr
