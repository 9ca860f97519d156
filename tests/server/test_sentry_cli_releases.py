"""Releases made by the real sentry-cli are Crashdesk releases: one per listed project, finalized, deployed."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import Project
from tests.server.sentry_cli_support import sentry_cli
from tests.support import cli


def _release(project: Project, project_id: int, version: str) -> dict:
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project_id}/releases/", params={"version": version},
                  headers=project.auth, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _deploys(project: Project, project_id: int, version: str) -> list[dict]:
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project_id}/releases/deploys/", params={"version": version},
                  headers=project.auth, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["deploys"]


def test_releases_new_finalize_and_deploys_through_sentry_cli(project: Project, tmp_path: Path) -> None:
    web_id = cli(project.server.database_url, "createproject", project.org, "web")["project_id"]
    sentry_cli(project, "releases", "new", "-p", "app", "-p", "web", "shop@1.4.0", cwd=tmp_path)
    for pid in (project.id, web_id):  # an organization-level release lands in each project it lists
        assert _release(project, pid, "shop@1.4.0")["released_at"] is None

    sentry_cli(project, "releases", "finalize", "shop@1.4.0", cwd=tmp_path)
    released = [_release(project, pid, "shop@1.4.0")["released_at"] for pid in (project.id, web_id)]
    assert all(released)

    sentry_cli(project, "deploys", "new", "--release", "shop@1.4.0", "-e", "production", "-n", "blue", cwd=tmp_path)
    for pid in (project.id, web_id):
        assert [(d["environment"], d["name"]) for d in _deploys(project, pid, "shop@1.4.0")] == [("production", "blue")]
    listed = sentry_cli(project, "deploys", "list", "--release", "shop@1.4.0", cwd=tmp_path).stdout
    assert listed.count("production") == 1

    info = sentry_cli(project, "releases", "info", "shop@1.4.0", cwd=tmp_path).stdout
    assert "shop@1.4.0" in info


def test_release_order_is_crashdesks_version_order(project: Project, tmp_path: Path) -> None:
    for version in ("shop@1.9.0", "shop@1.10.0", "shop@1.10.0-rc.1"):
        sentry_cli(project, "releases", "new", "-p", "app", version, cwd=tmp_path)
    listed = sentry_cli(project, "releases", "list", cwd=tmp_path).stdout
    rows = [line for line in listed.splitlines() if "shop@" in line]
    assert [r.split("|")[2].strip() for r in rows] == ["shop@1.10.0", "shop@1.10.0-rc.1", "shop@1.9.0"]


def test_an_unknown_project_or_release_is_a_clear_error(project: Project, tmp_path: Path) -> None:
    out = sentry_cli(project, "releases", "new", "-p", "nope", "v1", cwd=tmp_path, check=False)
    assert out.returncode != 0 and "project" in (out.stdout + out.stderr).lower()
    out = sentry_cli(project, "releases", "finalize", "v404", cwd=tmp_path, check=False)
    assert out.returncode != 0 and "not found" in (out.stdout + out.stderr).lower()
