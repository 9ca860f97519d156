"""Tokens: scopes on every route, expiry, revocation, last use written at most once a minute; health without counts."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import Project
from tests.support import CRASHDESK, REPO, Server, cli, running_server, wait_until, with_database


def _sql(url: str, query: str, *args: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(go())


def _token(project: Project, *args: str) -> dict:
    return cli(project.server.database_url, "token", "create", project.org, *args)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _operations(server: Server) -> dict[tuple[str, str], str]:
    """(method, path) -> the scope the document says it needs."""
    doc = httpx.get(server.base_url + "/api/0/schema/openapi.json").json()
    return {(m, p): op["security"][0]["bearer"][0] for p, item in doc["paths"].items() for m, op in item.items()
            if op.get("security")}


def _call(server: Server, project: Project, method: str, path: str, token: str) -> httpx.Response:
    url = server.base_url + path.replace("{project_id}", str(project.id))
    url = re.sub(r"\{[a-z_]+\}", "1", url)
    return httpx.request(method, url, headers=_bearer(token), json={})


def test_every_route_enforces_its_scope(project: Project) -> None:
    server = project.server
    read, write = _token(project, "--scope", "read")["token"], _token(project, "--scope", "write")["token"]
    admin_routes = {("get", "/api/0/tokens"), ("post", "/api/0/tokens"), ("delete", "/api/0/tokens/{token_id}"),
                    ("put", "/api/0/projects/{project_id}/grouping-config")}
    operations = _operations(server)
    assert {r for r, scope in operations.items() if scope == "admin"} >= admin_routes
    for (method, path), needs in operations.items():
        where = f"{method.upper()} {path}"
        assert needs in ("read", "write", "admin") and (needs != "read" or method == "get"), where
        got_read = _call(server, project, method, path, read).status_code
        got_write = _call(server, project, method, path, write).status_code
        assert (got_read == 403) == (needs != "read"), (where, "read", got_read)
        assert (got_write == 403) == (needs == "admin"), (where, "write", got_write)
        assert _call(server, project, method, path, project.token).status_code != 403, (where, "admin")
    r = httpx.put(f"{server.base_url}/api/0/projects/{project.id}/grouping-config", json={}, headers=_bearer(write))
    assert r.json() == {"detail": "this token's scopes (write) do not include 'admin', which this route needs",
                        "code": "forbidden"}


def test_cli_lists_expires_and_revokes(project: Project) -> None:
    url = project.server.database_url
    made = _token(project, "--scope", "read", "--expires", "2h", "--label", "ci")
    assert made["scopes"] == ["read"] and made["label"] == "ci" and made["expires_at"] and made["active"]
    listed = {t["id"]: t for t in cli(url, "token", "list", project.org)["tokens"]}
    assert "token" not in listed[made["id"]], "the secret is shown only once"
    assert listed[made["id"]]["expires_at"] == made["expires_at"]
    me = httpx.get(f"{project.server.base_url}/api/0/projects/", headers=_bearer(made["token"]))
    assert me.status_code == 200

    _sql(url, "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", made["id"])
    r = httpx.get(f"{project.server.base_url}/api/0/projects/", headers=_bearer(made["token"]))
    assert (r.status_code, r.json()["detail"]) == (401, "this API token is expired")
    assert not {t["id"]: t for t in cli(url, "token", "list", project.org)["tokens"]}[made["id"]]["active"]

    other = _token(project)
    assert cli(url, "token", "revoke", project.org, str(other["id"]))["revoked_at"]
    r = httpx.get(f"{project.server.base_url}/api/0/projects/", headers=_bearer(other["token"]))
    assert (r.status_code, r.json()["detail"]) == (401, "this API token is revoked")

    env = {**os.environ, "DATABASE_URL": url}
    bad = subprocess.run([*CRASHDESK, "token", "create", project.org, "--expires", "soon"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--expires 'soon'" in bad.stderr
    stranger = subprocess.run([*CRASHDESK, "token", "revoke", f"nobody-{uuid.uuid4().hex[:6]}", "1"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert stranger.returncode == 2 and "organization" in stranger.stderr


def test_api_creates_lists_and_revokes_tokens(project: Project, server: Server) -> None:
    api = project.server.base_url + "/api/0/tokens/"
    r = httpx.post(api, json={"scopes": ["write"], "label": "deploy", "expires_at": "2099-01-01T00:00:00Z"}, headers=project.auth)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["token"].startswith("cdt_") and made["scopes"] == ["write"] and made["active"]
    listed = httpx.get(api, headers=project.auth).json()
    assert set(listed) == {"tokens", "next_cursor"} and "token" not in listed["tokens"][-1]
    assert made["id"] in [t["id"] for t in listed["tokens"]]

    for body, says in [({"scopes": []}, "scopes"), ({"scopes": ["root"]}, "allowed: admin, read, write"),
                       ({"scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}, "in the past"),
                       ({"scopes": ["read"], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
                       ({"scopes": ["read"], "label": "a\x00"}, "label")]:
        r = httpx.post(api, json=body, headers=project.auth)
        assert r.status_code == 400 and says in r.json()["detail"], (body, r.text)

    other = Project(server, f"other-{uuid.uuid4().hex[:8]}", "app")
    assert httpx.delete(f"{api}{made['id']}", headers=other.auth).status_code == 404, "another org's token is not found"
    assert made["id"] not in [t["id"] for t in httpx.get(api, headers=other.auth).json()["tokens"]]
    revoked = httpx.delete(f"{api}{made['id']}", headers=project.auth).json()
    assert revoked["revoked_at"] and not revoked["active"]
    assert httpx.get(project.server.base_url + "/api/0/projects/", headers=_bearer(made["token"])).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(project: Project) -> None:
    url = project.server.database_url
    made = _token(project)
    last_used = lambda: _sql(url, "SELECT last_used_at FROM api_tokens WHERE id = $1", made["id"])[0][0]  # noqa: E731
    assert last_used() is None
    for _ in range(3):
        assert httpx.get(project.server.base_url + "/api/0/projects/", headers=_bearer(made["token"])).status_code == 200
    first = last_used()
    assert first is not None
    for _ in range(5):
        httpx.get(project.server.base_url + "/api/0/projects/", headers=_bearer(made["token"]))
    assert last_used() == first, "no write within the minute"
    _sql(url, "UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1", made["id"])
    httpx.get(project.server.base_url + "/api/0/projects/", headers=_bearer(made["token"]))
    assert last_used() > first


def test_health_tells_only_whether_reports_can_be_taken(project: Project) -> None:
    r = httpx.get(project.server.base_url + "/api/0/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    stats = httpx.get(project.server.base_url + "/api/0/stats/")
    assert stats.status_code == 401, "counts need a token"
    mine = httpx.get(project.server.base_url + "/api/0/stats/", headers=project.auth)
    assert mine.status_code == 200 and set(mine.json()) == {"events"}


def test_health_is_503_database_while_the_database_refuses(pg_admin_url: str, tmp_path: Path) -> None:
    name = f"crashdesk_test_health_{uuid.uuid4().hex[:8]}"
    _sql(pg_admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = with_database(pg_admin_url, name)
        with running_server(url, tmp_path) as server:
            token = cli(url, "token", "create", "default")["token"]
            _sql(pg_admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            _sql(pg_admin_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
            r = wait_until(lambda: (x := httpx.get(server.base_url + "/api/0/health", timeout=10)).status_code == 503 and x)
            assert r.json() == {"status": "unavailable", "reason": "database"}
            assert r.headers["retry-after"]
            r = httpx.get(server.base_url + "/api/0/projects/", headers=_bearer(token), timeout=10)
            assert (r.status_code, r.json()["code"]) == (503, "unavailable") and r.headers["retry-after"]
            _sql(pg_admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            wait_until(lambda: httpx.get(server.base_url + "/api/0/health", timeout=10).status_code == 200)
            assert httpx.get(server.base_url + "/api/0/projects/", headers=_bearer(token)).status_code == 200
    finally:
        _sql(pg_admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        _sql(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("scope", ["read", "write", "admin"])
def test_scope_levels_include_the_ones_below(project: Project, scope: str) -> None:
    token = _token(project, "--scope", scope)["token"]
    assert httpx.get(f"{project.server.base_url}/api/0/projects/", headers=_bearer(token)).status_code == 200
