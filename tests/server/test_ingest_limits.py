"""Who sends is known before the body is read; slow and huge senders are cut off (issue 8, cases 2, 3).

Raw sockets, because the point is what the server does before the request is complete.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Project
from tests.server.test_ingest_refusals import assert_still_serving, event, event_envelope, refused
from tests.support import Server, running_server

BUDGET = 3 << 20


@pytest.fixture(scope="module")
def strict_server(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    """Short deadlines and a small body budget, so the limits show in seconds."""
    env = {
        "CRASHDESK_HEADER_TIMEOUT_SECONDS": "1",
        "CRASHDESK_BODY_TIMEOUT_SECONDS": "2",
        "CRASHDESK_MAX_INFLIGHT_BODY_BYTES": str(BUDGET),
    }
    with running_server(make_database(), tmp_path_factory.mktemp("strict"), env=env) as srv:
        yield srv


@pytest.fixture
def strict(strict_server: Server) -> Project:
    return Project(strict_server, f"org-{uuid.uuid4().hex[:8]}", "app")


@contextlib.contextmanager
def raw(base_url: str) -> Iterator[socket.socket]:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=15)
    try:
        yield sock
    finally:
        sock.close()


def request_head(project: Project, length: int | None, *, key: str | None = None, auth: bool = True, extra: str = "") -> bytes:
    lines = [f"POST /api/{project.id}/envelope/ HTTP/1.1", "Host: test"]
    if auth:
        lines.append(f"X-Sentry-Auth: Sentry sentry_key={key or project.public_key}, sentry_version=7")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one response (or what there is until the server closes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


# --- case 2: authentication before the body ---------------------------------------------------------


def test_unknown_key_is_401_before_any_body_arrives(strict: Project) -> None:
    with raw(strict.server.base_url) as sock:
        sock.sendall(request_head(strict, 19 << 20, key=uuid.uuid4().hex))  # announces 19 MiB, sends none
        status, headers, body = response(sock)
        assert status == 401 and b"unknown public key" in body
        assert headers["connection"] == "close"
        assert closed_by_server(sock, 5)
    assert_still_serving(strict)


def test_announced_body_over_the_limit_is_413_before_auth(strict: Project) -> None:
    with raw(strict.server.base_url) as sock:
        sock.sendall(request_head(strict, (20 << 20) + 1, auth=False))
        status, _, body = response(sock)
        assert status == 413 and b"over the limit of 20971520" in body


def test_dsn_key_is_read_from_the_first_line_only(strict: Project) -> None:
    """With the key only in the envelope header, the server answers once that line is in."""
    unknown = f"http://{uuid.uuid4().hex}@localhost/{strict.id}"
    line = json.dumps({"dsn": unknown}).encode() + b"\n"
    with raw(strict.server.base_url) as sock:
        sock.sendall(request_head(strict, 1 << 20, auth=False) + line)  # the rest never comes
        status, _, body = response(sock)
        assert status == 401 and b"unknown public key" in body


def test_envelope_of_too_many_items_is_refused_at_once(project: Project) -> None:
    tiny = b'{"type":"client_report"}\n{}\n'
    body = b"{}\n" + tiny * 101
    r = httpx.post(project.envelope_url, content=body, headers=project.sentry_auth())
    refused(r, 413, "envelope has more than 100 items")
    # 19.6 MB of 1.4 M tiny items (the case): refused after 100, in a thread, the loop free
    huge = gzip.compress(b"{}\n" + b'{"type":"x"}\n\n' * 1_400_000, 1)
    health: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            health.append(httpx.get(project.server.base_url + "/api/0/health", timeout=5).status_code)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        for _ in range(3):
            r = httpx.post(project.envelope_url, content=huge, headers={**project.sentry_auth(), "Content-Encoding": "gzip"})
            refused(r, 413, "more than 100 items")
    finally:
        stop.set()
        poller.join(timeout=10)
    assert health and set(health) == {200}  # answered throughout (bench/ingest_abuse.py measures how fast)
    assert_still_serving(project)


# --- case 3: slow senders and the body budget -------------------------------------------------------


def test_dribbled_headers_are_cut_off(strict: Project) -> None:
    with raw(strict.server.base_url) as sock:
        sock.sendall(b"POST /api/1/envelope/ HTTP/1.1\r\nHost: test\r\n")
        deadline = time.monotonic() + 10
        cut = False
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"X")  # one byte of a header that never ends
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            if closed_by_server(sock, 0.3):
                cut = True
                break
        assert cut, "a client dribbling its headers kept its connection for 10 s"
    assert_still_serving(strict)


def test_dribbled_body_is_408(strict: Project) -> None:
    payload = event_envelope(event())
    with raw(strict.server.base_url) as sock:
        sock.sendall(request_head(strict, len(payload)))
        deadline = time.monotonic() + 10
        for byte in payload:
            sock.sendall(bytes([byte]))
            sock.settimeout(0.3)
            with contextlib.suppress(TimeoutError):
                if sock.recv(1, socket.MSG_PEEK):
                    break
            assert time.monotonic() < deadline, "a client dribbling its body was never cut off"
        sock.settimeout(5)
        status, headers, body = response(sock)
    assert status == 408 and b"did not arrive within 2s" in body
    assert headers["connection"] == "close"
    assert_still_serving(strict)


def test_full_body_budget_answers_503_with_retry_after(strict: Project) -> None:
    big = 2 << 20
    with raw(strict.server.base_url) as first, raw(strict.server.base_url) as second:
        first.sendall(request_head(strict, big) + b"x" * 1000)  # holds 2 MiB of the 3 MiB budget
        time.sleep(0.3)
        second.sendall(request_head(strict, big) + b"x" * 1000)
        status, headers, body = response(second)
        assert status == 503 and headers["retry-after"] and b"retry shortly" in body
    # Both gone: the budget is free again.
    r = httpx.post(strict.envelope_url, content=event_envelope(event()), headers=strict.sentry_auth())
    assert r.status_code == 200, r.text


def test_slow_senders_hold_bounded_memory(strict: Project) -> None:
    """The issue's case at small scale: many senders announce big bodies and dribble them."""
    pid = strict.server.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _peak_rss(pid)
    socks = []
    try:
        for n in range(40):
            parts = urlsplit(strict.server.base_url)
            sock = socket.create_connection((parts.hostname, parts.port), timeout=15)
            socks.append(sock)
            key = strict.public_key if n % 2 else uuid.uuid4().hex
            with contextlib.suppress(OSError):
                sock.sendall(request_head(strict, 19 << 20, key=key) + b"x" * (256 << 10))
        time.sleep(1)
        grown = _peak_rss(pid) - before
        open_after = 0
        time.sleep(3)  # past the 2 s body deadline
        for sock in socks:
            if not closed_by_server(sock, 0.1):
                open_after += 1
    finally:
        for sock in socks:
            sock.close()
    assert grown < 64 << 20, f"peak RSS grew {grown >> 20} MiB for 40 slow senders"
    assert open_after == 0, f"{open_after} slow senders still connected after the deadline"
    assert_still_serving(strict)


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024
