"""Helpers of the symbolication server tests: uploads through the API and CLI, waiting for events."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import Project
from tests.support import CRASHDESK, FIXTURES, REPO, wait_until

SYMBOLIC = FIXTURES / "symbolic/py/tests/res"
RUST_MINIDUMP = FIXTURES / "rust-minidump/testdata"
TEST_DMP = RUST_MINIDUMP / "test.dmp"
TEST_APP_SYM = RUST_MINIDUMP / "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
TEST_APP_DEBUG_ID = "5a9832e5-2872-41c1-838e-d98914e9b7ff-1"
BUGSINK = FIXTURES / "bugsink-event-samples/bugsink"


def api(project: Project, path: str) -> str:
    return f"{project.server.base_url}/api/0/projects/{project.id}{path}"


def upload_api(project: Project, files: dict[str, bytes], release: str | None = None, **form: str) -> httpx.Response:
    path = f"/releases/{release}/artifacts/" if release else "/artifacts/"
    parts = [("file", (name, data, "application/octet-stream")) for name, data in files.items()]
    return httpx.post(api(project, path), files=parts, data=form, headers=project.auth, timeout=60)


def upload_cli(project: Project, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [*CRASHDESK, "upload", project.org, "app", *args, "--json"],
        env={**os.environ, "DATABASE_URL": project.server.database_url, **(env or {})},
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def cli_json(out: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(out.stdout.strip().splitlines()[-1])


def get_event(project: Project, event_id: str) -> dict:
    r = httpx.get(api(project, f"/events/{event_id}"), headers=project.auth, timeout=10)
    return r.json() if r.status_code == 200 else {}


def processed(project: Project, event_id: str, check=None, timeout: float = 30.0) -> dict:  # type: ignore[no-untyped-def]
    """The event once processed (and, if given, once ``check(event)`` holds)."""

    def ready() -> dict:
        event = get_event(project, event_id)
        if event.get("status") == "processed" and (check is None or check(event)):
            return event
        return {}

    return wait_until(ready, timeout=timeout)


def store(project: Project, event: dict) -> str:
    r = httpx.post(project.store_url, json=event, headers=project.sentry_auth(), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def post_minidump(project: Project, dump: Path, sentry: dict | None = None) -> httpx.Response:
    data = {"sentry": json.dumps(sentry)} if sentry else {}
    return httpx.post(
        f"{project.server.base_url}/api/{project.id}/minidump/?sentry_key={project.public_key}",
        files={"upload_file_minidump": (dump.name, dump.read_bytes(), "application/octet-stream")},
        data=data, timeout=30,
    )


def frames(event: dict, index: int = -1) -> list[dict]:
    return event["exception"][index]["frames"]
