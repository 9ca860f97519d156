"""Outgoing webhooks against a receiver in the test: signatures, retries, SIGKILL, SSRF refusal.

Events come from the real path: the real sentry-sdk sends an error, the worker makes a
cluster, ``cluster.created`` is queued in that transaction and delivered by the sender.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import Project
from tests.support import Server, free_port, run_sdk, running_server, start_server, wait_until

RAISE = "try:\n    raise ValueError('webhook please ' + sys.argv[4])\nexcept ValueError:\n    ids.append(sentry_sdk.capture_exception())\n"
FAST_RETRY = {"CRASHDESK_WEBHOOK_ALLOW_PRIVATE": "true", "CRASHDESK_WEBHOOK_BACKOFF_SECONDS": "0.2"}


class Receiver:
    """An HTTP endpoint that records what it gets; ``fail`` requests answer 500 first, ``hold`` blocks one."""

    def __init__(self, port: int | None = None, fail: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.fail = fail
        self.hold = threading.Event()
        self.hold.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = 500 if receiver.fail > 0 else 200
                receiver.fail -= 1
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, code))
                receiver.hold.wait(60)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail=2)
    yield r
    r.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the documented scheme (not our code): t=<unix>,v1=HMAC(t.body)."""
    parts = dict(p.split("=", 1) for p in headers["crashdesk-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def _hook(project: Project, url: str, events: list[str]) -> dict:
    r = httpx.post(f"{project.server.base_url}/api/0/webhooks/", json={"url": url, "events": events},
                   headers=project.auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_signed_delivery_retried_after_two_failures(make_database, tmp_path: Path, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_database(), tmp_path, env=FAST_RETRY) as server:
        project = Project(server, f"hooks-{uuid.uuid4().hex[:8]}", "app")
        hook = _hook(project, receiver.url, ["cluster.created"])
        assert len(hook["secret"]) >= 32
        run_sdk(project.dsn, RAISE, "one")
        wait_until(lambda: [c for *_, c in receiver.requests] == [500, 500, 200], timeout=60)
        headers, body, _ = receiver.requests[-1]
        assert verify(hook["secret"], headers, body)
        assert not verify("another secret of enough length", headers, body)
        event = json.loads(body)
        assert event["type"] == "cluster.created" and "webhook please one" in event["data"]["title"]
        assert headers["crashdesk-event"] == "cluster.created"
        assert len({h["crashdesk-delivery"] for h, *_ in receiver.requests}) == 1
        log = httpx.get(f"{server.base_url}/api/0/webhooks/{hook['id']}/deliveries", headers=project.auth).json()
        assert [(d["attempt"], d["status_code"], d["status"]) for d in log["deliveries"]] == [
            (3, 200, "delivered"), (2, 500, "delivered"), (1, 500, "delivered")]
        assert log["deliveries"][-1]["error"] == "HTTP 500"


def test_outbox_survives_sigkill_of_the_sender(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    receiver.hold.clear()  # the first delivery hangs until the sender is dead
    database = make_database()
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    try:
        first = start_server(database, tmp_path / "a", env=FAST_RETRY)
        try:
            project = Project(first, f"kill-{uuid.uuid4().hex[:8]}", "app")
            hook = _hook(project, receiver.url, ["cluster.created"])
            run_sdk(project.dsn, RAISE, "two")
            wait_until(lambda: len(receiver.requests) == 1, timeout=60)
        finally:
            first.kill()  # SIGKILL mid-delivery: no chance to record anything
        receiver.hold.set()
        with running_server(database, tmp_path / "b", env=FAST_RETRY) as second:
            wait_until(lambda: len(receiver.requests) >= 2, timeout=60)
            ids = {h["crashdesk-delivery"] for h, *_ in receiver.requests}
            assert len(ids) == 1  # the same outbox row, delivered again
            assert verify(hook["secret"], receiver.requests[-1][0], receiver.requests[-1][1])

            def delivered() -> bool:
                log = httpx.get(f"{second.base_url}/api/0/webhooks/{hook['id']}/deliveries", headers=project.auth)
                return any(d["status"] == "delivered" and d["status_code"] == 200 for d in log.json()["deliveries"])

            wait_until(delivered, timeout=30)
    finally:
        receiver.close()


INTERNAL = [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://[fe80::1]/hook", "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/hook", "ftp://example.com/hook", "http:///nohost",
]


def test_internal_or_odd_urls_are_refused(server: Server) -> None:
    project = Project(server, f"ssrf-{uuid.uuid4().hex[:8]}", "app")
    for url in INTERNAL:
        r = httpx.post(f"{server.base_url}/api/0/webhooks/", json={"url": url, "events": ["cluster.created"]},
                       headers=project.auth)
        assert r.status_code == 400 and r.json()["code"] == "invalid", (url, r.text)


def test_hook_events_are_checked_and_hooks_are_private(server: Server, tmp_path: Path) -> None:
    project = Project(server, f"ev-{uuid.uuid4().hex[:8]}", "app")
    r = httpx.post(f"{server.base_url}/api/0/webhooks/", json={"url": "http://example.com/", "events": ["nope"]},
                   headers=project.auth)
    assert r.status_code == 400 and "nope" in r.json()["detail"]
    other = Project(server, f"ev2-{uuid.uuid4().hex[:8]}", "app")
    port = free_port()
    with running_server(server.database_url, tmp_path, env={"CRASHDESK_WEBHOOK_ALLOW_PRIVATE": "true"}) as srv:
        made = httpx.post(f"{srv.base_url}/api/0/webhooks/", json={"url": f"http://127.0.0.1:{port}/", "events":
                          ["article.stale"]}, headers=project.auth)
        assert made.status_code == 201, made.text
        assert httpx.get(f"{srv.base_url}/api/0/webhooks/{made.json()['id']}", headers=other.auth).status_code == 404
        listed = httpx.get(f"{srv.base_url}/api/0/webhooks/", headers=project.auth).json()["webhooks"]
        assert [h["secret"] for h in listed] == [None]
