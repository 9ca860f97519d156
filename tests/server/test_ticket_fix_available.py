"""Closing the loop: a release marked released tells each ticket of its fixed clusters, once, by webhook."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import Project
from tests.server.sentry_cli_support import sentry_cli
from tests.server.test_tickets import _crash
from tests.support import cli, running_server, wait_until


def _receiver() -> tuple[ThreadingHTTPServer, list[dict]]:
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, got


async def _outbox_rows(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM webhook_outbox WHERE event_type = 'ticket.fix_available'"))
    finally:
        await conn.close()


def _hooked_project(srv, hook_port: int) -> tuple[Project, str]:  # type: ignore[no-untyped-def]
    """A new organization's project whose ``ticket.fix_available`` webhook posts to ``hook_port``; its API base."""
    project = Project(srv, f"org-{uuid.uuid4().hex[:8]}", "app")
    r = httpx.post(f"{srv.base_url}/api/0/webhooks", headers=project.auth,
                   json={"url": f"http://127.0.0.1:{hook_port}/hook", "events": ["ticket.fix_available"]})
    assert r.status_code == 201, r.text
    return project, f"{srv.base_url}/api/0/projects/{project.id}"


def test_fix_available_fires_once_per_ticket(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = make_database()
    httpd, got = _receiver()
    (tmp_path / "srv").mkdir()
    with running_server(db, tmp_path / "srv", env={"CRASHDESK_WEBHOOK_ALLOW_PRIVATE": "1"}) as srv:
        project, base = _hooked_project(srv, httpd.server_port)
        cluster, tb = _crash(project, tmp_path, "sock")
        tickets = [httpx.post(f"{base}/tickets", headers=project.auth, timeout=30,
                              json={"subject": f"checkout fails ({who})", "body": tb, "customer": who, "version": "1.0.0"}).json()
                   for who in ("acme", "bolt")]
        assert all(t["cluster_id"] == cluster for t in tickets)
        other = httpx.post(f"{base}/tickets", headers=project.auth, json={"subject": "How do I export customers?"}).json()
        assert httpx.post(f"{base}/releases/", headers=project.auth, json={"version": "app@1.1.0"}).status_code == 201
        r = httpx.patch(f"{base}/clusters/{cluster}", headers=project.auth, json={"status": "resolved", "resolved_in": "app@1.1.0"})
        assert r.status_code == 200, r.text
        # the lookup now says where the fix is and whether the customer has it
        found = httpx.post(f"{base}/lookup", headers=project.auth, json={"text": tb, "version": "1.0.0"}, timeout=30).json()
        top = found["candidates"][0]
        assert (top["status"], top["fixed_in"], top["fix_in_your_version"]) == ("resolved", "app@1.1.0", False)
        newer = httpx.post(f"{base}/lookup", headers=project.auth, json={"text": tb, "version": "1.2.0"}, timeout=30).json()
        assert newer["candidates"][0]["fix_in_your_version"] is True

        r = httpx.patch(f"{base}/releases/", headers=project.auth, params={"version": "app@1.1.0"}, json={"released": True})
        assert r.status_code == 200, r.text
        wait_until(lambda: len(got) >= 2)
        assert sorted(b["data"]["customer"] for b in got) == ["acme", "bolt"]
        assert all(b["type"] == "ticket.fix_available" and b["data"]["upgrade_to"] == "app@1.1.0" for b in got)
        assert {b["data"]["ticket_id"] for b in got} == {t["id"] for t in tickets}
        for t in tickets:
            again = httpx.get(f"{base}/tickets/{t['id']}", headers=project.auth).json()
            assert (again["status"], again["fix_version"]) == ("fix_available", "app@1.1.0")
        assert httpx.get(f"{base}/tickets/{other['id']}", headers=project.auth).json()["status"] == "open"
        # finalizing again tells nobody twice (only open tickets move)
        r = httpx.patch(f"{base}/releases/", headers=project.auth, params={"version": "app@1.1.0"}, json={"released": True})
        assert r.status_code == 200, r.text
        assert asyncio.run(_outbox_rows(db)) == 2
        # the other orders: a ticket filed after the fix is out learns it at once ...
        late = httpx.post(f"{base}/tickets", headers=project.auth, timeout=30,
                          json={"subject": "checkout fails (crow)", "body": tb, "customer": "crow"}).json()
        assert late["cluster_id"] == cluster
        assert httpx.get(f"{base}/tickets/{late['id']}", headers=project.auth).json()["status"] == "fix_available"
        # ... and so do the tickets of a cluster resolved in a release already out
        words = httpx.post(f"{base}/tickets", headers=project.auth,
                           json={"subject": "Gift cards cannot be redeemed", "customer": "dune"}).json()
        r = httpx.patch(f"{base}/clusters/{words['cluster_id']}", headers=project.auth,
                        json={"status": "resolved", "resolved_in": "app@1.1.0"})
        assert r.status_code == 200, r.text
        again = httpx.get(f"{base}/tickets/{words['id']}", headers=project.auth).json()
        assert (again["status"], again["fix_version"]) == ("fix_available", "app@1.1.0")
        wait_until(lambda: len(got) >= 4)
        assert sorted(b["data"]["customer"] for b in got) == ["acme", "bolt", "crow", "dune"]
        assert asyncio.run(_outbox_rows(db)) == 4
    httpd.shutdown()


def _two_customers_on_a_fixed_crash(srv, tmp_path: Path, hook_port: int, make_release) -> tuple[Project, list[dict], dict]:  # type: ignore[no-untyped-def]
    """A project with a webhook, two customers' tickets on one crash and an unrelated ticket; the crash
    resolved in ``app@1.1.0``, which ``make_release(project)`` created and nobody released yet."""
    project, base = _hooked_project(srv, hook_port)
    cluster, tb = _crash(project, tmp_path, "sock")
    tickets = [httpx.post(f"{base}/tickets", headers=project.auth, timeout=30,
                          json={"subject": f"checkout fails ({who})", "body": tb, "customer": who, "version": version}).json()
               for who, version in (("acme", "1.0.0"), ("bolt", "1.0.2"))]
    assert all(t["cluster_id"] == cluster for t in tickets)
    other = httpx.post(f"{base}/tickets", headers=project.auth, json={"subject": "How do I export customers?"}).json()
    make_release(project)
    r = httpx.patch(f"{base}/clusters/{cluster}", headers=project.auth, json={"status": "resolved", "resolved_in": "app@1.1.0"})
    assert r.status_code == 200, r.text
    assert all(httpx.get(f"{base}/tickets/{t['id']}", headers=project.auth).json()["status"] == "open" for t in tickets)
    return project, tickets, other


def _assert_told_once_each(db: str, project: Project, got: list[dict], tickets: list[dict], other: dict) -> None:
    wait_until(lambda: len(got) >= 2)
    assert sorted((b["data"]["customer"], b["data"]["customer_version"]) for b in got) == [("acme", "1.0.0"), ("bolt", "1.0.2")]
    assert all(b["type"] == "ticket.fix_available" and b["data"]["upgrade_to"] == "app@1.1.0" for b in got)
    assert sorted(b["data"]["ticket_id"] for b in got) == sorted(t["id"] for t in tickets)
    base = f"{project.server.base_url}/api/0/projects/{project.id}"
    for t in tickets:
        again = httpx.get(f"{base}/tickets/{t['id']}", headers=project.auth).json()
        assert (again["status"], again["fix_version"]) == ("fix_available", "app@1.1.0")
    assert httpx.get(f"{base}/tickets/{other['id']}", headers=project.auth).json()["status"] == "open"
    assert asyncio.run(_outbox_rows(db)) == 2


def test_sentry_cli_releases_finalize_tells_each_ticket_once(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The CI step most teams already have (``sentry-cli releases finalize``) closes the loop."""
    db = make_database()
    httpd, got = _receiver()
    (tmp_path / "srv").mkdir()
    with running_server(db, tmp_path / "srv", env={"CRASHDESK_WEBHOOK_ALLOW_PRIVATE": "1"}) as srv:
        project, tickets, other = _two_customers_on_a_fixed_crash(
            srv, tmp_path, httpd.server_port,
            lambda p: sentry_cli(p, "releases", "new", "-p", "app", "app@1.1.0", cwd=tmp_path))
        sentry_cli(project, "releases", "finalize", "app@1.1.0", cwd=tmp_path)
        _assert_told_once_each(db, project, got, tickets, other)
        sentry_cli(project, "releases", "finalize", "app@1.1.0", cwd=tmp_path)  # a re-run CI job
        assert asyncio.run(_outbox_rows(db)) == 2
    httpd.shutdown()


def test_crashdesk_release_with_a_date_tells_each_ticket_once(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``crashdesk release ORG PROJECT VERSION --date`` on an existing release marks it released, as finalize does."""
    db = make_database()
    httpd, got = _receiver()
    (tmp_path / "srv").mkdir()
    with running_server(db, tmp_path / "srv", env={"CRASHDESK_WEBHOOK_ALLOW_PRIVATE": "1"}) as srv:
        project, tickets, other = _two_customers_on_a_fixed_crash(
            srv, tmp_path, httpd.server_port, lambda p: cli(db, "release", p.org, "app", "app@1.1.0"))
        out = cli(db, "release", project.org, "app", "app@1.1.0", "--date", "2026-11-20")
        assert out["created"] is False and out["released_at"].startswith("2026-11-20")
        _assert_told_once_each(db, project, got, tickets, other)
        cli(db, "release", project.org, "app", "app@1.1.0", "--date", "2026-11-21")  # a corrected date
        assert asyncio.run(_outbox_rows(db)) == 2
    httpd.shutdown()
