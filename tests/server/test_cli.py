"""The command line that scripts rely on: JSON shapes and the one-time first-run banner."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support import cli, running_server


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
