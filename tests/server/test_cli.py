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
    assert "DSN:       http://" in log and "Admin:     admin@localhost / " in log
    token = log.split("API token: ")[1].split()[0]
    dsn = log.split("DSN:       ")[1].split()[0]

    with running_server(url, tmp_path) as again:
        projects = httpx.get(f"{again.base_url}/api/0/projects/", headers={"Authorization": f"Bearer {token}"}).json()["projects"]
    assert "Admin:" not in again.log(), "the login is shown only on the first start"
    assert [p["slug"] for p in projects] == ["default"]
    assert dsn.split("@")[0] == projects[0]["dsn"][0].split("@")[0]  # same key, whatever the port

    made = cli(url, "createproject", "acme", "web")  # another terminal, no CRASHDESK_PUBLIC_URL
    assert made["dsn"].startswith(f"http://{made['public_key']}@{again.base_url.split('//')[1]}/")


def test_scripted_commands_print_json(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    made = cli(url, "createproject", "acme", "billing", public_url="https://crash.acme.test")
    assert made["dsn"] == f"https://{made['public_key']}@crash.acme.test/{made['project_id']}"
    assert cli(url, "token", "create", "acme")["token"].startswith("cdt_")
    user = cli(url, "createuser", "Ops@Acme.test", "--org", "acme", "--role", "agent")
    assert user["role"] == "agent" and len(user["password"]) >= 12
    assert cli(url, "migrate")["applied"] == []
    assert cli(url, "key", made["public_key"], "disable") == {"public_key": made["public_key"], "action": "disable"}
