"""Events from the real @sentry/node SDK group as well as Python ones."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import JS, Project
from tests.support import wait_until


def test_sentry_node_events_group_by_bug(project: Project, npm_packages: Path) -> None:
    env = {**os.environ, "NODE_PATH": str(npm_packages)}
    out = subprocess.run(["node", str(JS / "grouping.js"), project.dsn], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    sent = [line.split() for line in out.stdout.splitlines() if line.strip()]
    assert len(sent) == 5

    def event(event_id: str) -> dict:
        r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/events/{event_id}", headers=project.auth)
        return r.json() if r.status_code == 200 and r.json()["status"] == "processed" else {}

    events = {eid: wait_until(lambda eid=eid: event(eid)) for _, eid in sent}
    by_kind: dict[str, set[int]] = {}
    for kind, eid in sent:
        assert events[eid]["platform"] in ("node", "javascript")
        by_kind.setdefault(kind, set()).add(events[eid]["cluster_id"])
    assert len(by_kind["invoice"]) == 1, "ids in the message and a different caller must not split the bug"
    assert len(by_kind["quantity"]) == 1
    assert by_kind["invoice"] != by_kind["quantity"]
    invoice = events[sent[0][1]]
    assert invoice["title"].startswith("TypeError: invoice")
    assert invoice["grouping"]["components"]
