"""Bad input is refused with its status and a detail saying what was wrong; the server keeps serving.

Each refusal test ends by sending a valid event and waiting until it is processed, so a
refusal that wedged the server (a stuck writer, a crashed loop) fails the test that caused it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import brotli
import httpx
import pytest
import zstandard

from tests.conftest import Project
from tests.support import Server, cli, running_server, wait_until


def new_id() -> str:
    return uuid.uuid4().hex


def event(event_id: str | None = None, **extra: object) -> dict:
    return {
        "event_id": event_id or new_id(),
        "platform": "python",
        "level": "error",
        "release": "shop@1.0.0",
        "exception": {"values": [{"type": "ValueError", "value": "bad cart", "stacktrace": {"frames": [
            {"function": "checkout", "module": "shop.cart", "filename": "shop/cart.py", "lineno": 12, "in_app": True}
        ]}}]},
        **extra,
    }


def envelope(*items: tuple[dict, bytes], event_id: str | None = None, with_length: bool = True) -> bytes:
    head = {"event_id": event_id} if event_id else {}
    lines = [json.dumps(head).encode()]
    for headers, payload in items:
        lines.append(json.dumps({**headers, "length": len(payload)} if with_length else headers).encode())
        lines.append(payload)
    return b"\n".join(lines) + b"\n"


def event_envelope(data: dict) -> bytes:
    return envelope(({"type": "event"}, json.dumps(data).encode()), event_id=data["event_id"])


def get_event(project: Project, event_id: str) -> httpx.Response:
    return httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/events/{event_id}", headers=project.auth)


def processed(project: Project, event_id: str) -> dict:
    def done() -> dict | None:
        r = get_event(project, event_id)
        return r.json() if r.status_code == 200 and r.json()["status"] == "processed" else None

    return wait_until(done, timeout=20)


def assert_still_serving(project: Project) -> None:
    """A valid event after the refusal is accepted and processed."""
    data = event()
    r = httpx.post(project.envelope_url, content=event_envelope(data), headers=project.sentry_auth(), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": data["event_id"]}
    assert processed(project, data["event_id"])["title"] == "ValueError: bad cart"


def refused(r: httpx.Response, status: int, *phrases: str) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    for phrase in phrases:
        assert phrase in detail, detail
    assert r.headers["x-sentry-error"] == detail[:500]
    return detail


def db_fetch(database_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(go())


# --- authentication -------------------------------------------------------------------------------


def test_unknown_key_is_401(project: Project) -> None:
    unknown = new_id()
    r = httpx.post(project.envelope_url, content=event_envelope(event()), headers=project.sentry_auth(unknown))
    refused(r, 401, "unknown public key", unknown)
    assert_still_serving(project)


def test_key_of_another_project_is_403(server: Server, project: Project) -> None:
    other = Project(server, project.org, "other-app")
    r = httpx.post(project.envelope_url, content=event_envelope(event()), headers=project.sentry_auth(other.public_key))
    refused(r, 403, f"key {other.public_key} does not belong to project {project.id}")
    assert_still_serving(project)
    assert_still_serving(other)


def test_two_auth_sources_are_401(project: Project) -> None:
    url = f"{project.envelope_url}?sentry_key={project.public_key}"
    r = httpx.post(url, content=event_envelope(event()), headers=project.sentry_auth())
    refused(r, 401, "multiple authorization sources", "X-Sentry-Auth", "sentry_key query")
    # Each source alone is fine.
    assert httpx.post(url, content=event_envelope(event())).status_code == 200
    assert_still_serving(project)


def test_missing_auth_is_401(project: Project) -> None:
    r = httpx.post(project.envelope_url, content=event_envelope(event()))
    refused(r, 401, "missing authorization")
    r = httpx.post(project.store_url, content=json.dumps(event()).encode())
    refused(r, 401, "missing authorization")
    assert_still_serving(project)


def test_auth_from_envelope_dsn_header(project: Project) -> None:
    data = event()
    head = json.dumps({"event_id": data["event_id"], "dsn": project.dsn}).encode()
    body = head + b"\n" + b'{"type":"event"}\n' + json.dumps(data).encode() + b"\n"
    assert httpx.post(project.envelope_url, content=body).json() == {"id": data["event_id"]}
    assert processed(project, data["event_id"])


@pytest.fixture(scope="module")
def quick_key_server(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    """A server that rereads project keys after 0.2 s, so key changes show within a test."""
    with running_server(make_database(), tmp_path_factory.mktemp("keys"), env={"CRASHDESK_KEY_CACHE_SECONDS": "0.2"}) as srv:
        yield srv


def test_disabled_key_is_403_and_enabling_restores_it(quick_key_server: Server) -> None:
    project = Project(quick_key_server, "keys-org", "app")
    assert_still_serving(project)  # the key is in use (and cached) before it is disabled
    cli(quick_key_server.database_url, "key", project.public_key, "disable")
    time.sleep(0.3)
    r = httpx.post(project.envelope_url, content=event_envelope(event()), headers=project.sentry_auth())
    refused(r, 403, f"key {project.public_key} is disabled")
    cli(quick_key_server.database_url, "key", project.public_key, "enable")
    time.sleep(0.3)
    assert_still_serving(project)


def test_rate_limited_key_is_429_with_retry_headers(server: Server, project: Project) -> None:
    cli(server.database_url, "key", project.public_key, "ratelimit", "--rate-limit", "2", "--window", "60")
    accepted = [httpx.post(project.envelope_url, content=event_envelope(event()), headers=project.sentry_auth()) for _ in range(2)]
    assert [r.status_code for r in accepted] == [200, 200]
    r = httpx.post(project.envelope_url, content=event_envelope(event()), headers=project.sentry_auth())
    refused(r, 429, "rate limit of 2 events per 60s exceeded")
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert r.headers["x-sentry-rate-limits"].startswith(f"{retry_after}:")
    assert "error" in r.headers["x-sentry-rate-limits"].split(":")[1]
    # Other keys are not limited; items that are not events do not spend the key's budget.
    assert_still_serving(Project(server, project.org, "unlimited"))
    sessions = envelope(({"type": "session"}, b'{"sid":"%s","status":"ok"}' % new_id().encode()))
    assert httpx.post(project.envelope_url, content=sessions, headers=project.sentry_auth()).status_code == 200


# --- malformed bodies -----------------------------------------------------------------------------


def post(project: Project, body: bytes, encoding: str | None = None, url: str | None = None) -> httpx.Response:
    headers = project.sentry_auth()
    if encoding:
        headers["Content-Encoding"] = encoding
    return httpx.post(url or project.envelope_url, content=body, headers=headers, timeout=30)


def test_truncated_envelope_is_400(project: Project) -> None:
    whole = event_envelope(event())
    refused(post(project, whole[: len(whole) // 2]), 400, "malformed envelope", "item 1 (event) declares length", "only")
    refused(post(project, b'{"event_id": "' + new_id().encode()), 400, "malformed envelope", "envelope header", "not valid JSON")
    refused(post(project, gzip.compress(whole)[:-20], "gzip"), 400, "gzip body is truncated")
    assert_still_serving(project)


def test_wrong_item_length_is_400(project: Project) -> None:
    payload = json.dumps(event()).encode()
    body = b'{}\n{"type":"event","length":%d}\n' % (len(payload) - 5) + payload + b"\n"
    refused(post(project, body), 400, "item 1 (event) declares length", "does not end there")
    body = b'{}\n{"type":"event","length":-3}\n' + payload + b"\n"
    refused(post(project, body), 400, "item 1 (event) has an invalid length -3")
    assert_still_serving(project)


def test_invalid_json_in_event_item_is_400(project: Project) -> None:
    body = envelope(({"type": "event"}, b'{"event_id": "' + new_id().encode() + b'", "level": }'))
    refused(post(project, body), 400, "item 1 (event) is not valid JSON")
    refused(post(project, b'{"message": "unterminated', url=project.store_url), 400, "event is not valid JSON")
    assert_still_serving(project)


def test_event_that_is_not_an_object_is_400(project: Project) -> None:
    refused(post(project, envelope(({"type": "event"}, b'["not", "an", "object"]'))), 400, "item 1 (event) must be a JSON object")
    refused(post(project, envelope(({"type": "event"}, b'"just a string"'))), 400, "must be a JSON object")
    assert_still_serving(project)


def test_deep_json_is_400(project: Project) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    payload = b'{"event_id": "%s", "extra": {"deep": %s}}' % (new_id().encode(), deep)
    refused(post(project, envelope(({"type": "event"}, payload))), 400, "item 1 (event) is nested too deeply")
    refused(post(project, payload, url=project.store_url), 400, "nested too deeply")
    refused(post(project, b'{"deep": %s}\n' % deep + envelope(({"type": "event"}, b"{}"))[3:]), 400, "envelope header", "nested too deeply")
    assert_still_serving(project)


def test_event_over_the_event_budget_is_kept(project: Project) -> None:
    """Bigger than the 1 MiB event budget but inside the envelope: stored, then trimmed by the worker."""
    big = event(extra={"blob": "x" * (1 << 20)})
    r = post(project, gzip.compress(event_envelope(big)), "gzip")
    assert r.status_code == 200, r.text
    other = event(extra={"blob": "y" * (1 << 20)})
    r = post(project, json.dumps(other).encode(), url=project.store_url)
    assert r.status_code == 200, r.text
    assert processed(project, big["event_id"])["title"] == "ValueError: bad cart"
    assert processed(project, other["event_id"])["title"] == "ValueError: bad cart"
    assert_still_serving(project)


def test_unsupported_content_encoding_is_415(project: Project) -> None:
    r = post(project, event_envelope(event()), "compress")
    refused(r, 415, "Content-Encoding 'compress' is not supported")
    assert_still_serving(project)


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "deflate"])
def test_corrupt_compressed_body_is_400(project: Project, encoding: str) -> None:
    r = post(project, b"\x1f\x8b\x08\x00 this is not compressed data at all" * 3, encoding)
    refused(r, 400, f"{encoding} body is")
    assert_still_serving(project)


def test_every_supported_encoding_is_accepted(project: Project) -> None:
    encoders: dict[str, Callable[[bytes], bytes]] = {
        "": lambda b: b,
        "UTF-8": lambda b: b,
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstandard.ZstdCompressor().compress,
        # Several gzip members one after another (RFC 1952 2.2), as concatenated gzip streams are.
        "x-gzip": lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:]),
    }
    for encoding, encode in encoders.items():
        data = event()
        r = post(project, encode(event_envelope(data)), encoding or None)
        assert r.status_code == 200, (encoding, r.text)
        assert r.json() == {"id": data["event_id"]}


def test_get_is_405(project: Project) -> None:
    r = httpx.get(project.envelope_url, headers=project.sentry_auth())
    assert r.status_code == 405
    assert r.json()["detail"] == "use POST"
    assert "POST" in r.headers["allow"]
    assert_still_serving(project)


# --- compression bombs ----------------------------------------------------------------------------

BOMB_MIB = 256  # far above the 20 MiB envelope limit, so full expansion would show in memory


def _bomb(encoding: str) -> bytes:
    zeros = bytes(1 << 20)
    if encoding == "gzip":
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
        return b"".join(c.compress(zeros) for _ in range(BOMB_MIB)) + c.flush()
    if encoding == "br":
        b = brotli.Compressor(quality=5)
        return b"".join(b.process(zeros) for _ in range(BOMB_MIB)) + b.finish()
    z = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join(z.compress(zeros) for _ in range(BOMB_MIB)) + z.flush()


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_compression_bomb_is_413_with_bounded_memory(project: Project, encoding: str) -> None:
    bomb = _bomb(encoding)
    pid = project.server.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak-RSS mark to the current RSS
    before = _peak_rss(pid)
    r = post(project, bomb, encoding)
    refused(r, 413, f"body decompresses ({encoding}) to more than the limit of {20 << 20} bytes")
    grown = _peak_rss(pid) - before
    assert grown < 100 << 20, f"peak RSS grew {grown >> 20} MiB for a {BOMB_MIB} MiB bomb"
    assert_still_serving(project)


# --- what is accepted -----------------------------------------------------------------------------


def test_same_event_id_twice_is_stored_once(project: Project) -> None:
    data = event()
    for _ in range(2):
        r = post(project, event_envelope(data))
        assert r.json() == {"id": data["event_id"]}
    r = post(project, json.dumps(data).encode(), url=project.store_url)
    assert r.json() == {"id": data["event_id"]}
    processed(project, data["event_id"])
    rows = db_fetch(project.server.database_url, "SELECT attempts FROM events WHERE project_id = $1", project.id)
    assert [r["attempts"] for r in rows] == [1]
    listed = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/events/", headers=project.auth).json()
    assert [e["event_id"] for e in listed["events"]] == [data["event_id"]]


def test_attachment_is_stored_with_its_event(project: Project) -> None:
    data = event()
    log = b"line one\nline two\n\x00binary tail"
    body = envelope(
        ({"type": "event"}, json.dumps(data).encode()),
        ({"type": "attachment", "filename": "app.log", "content_type": "text/plain"}, log),
        event_id=data["event_id"],
    )
    assert post(project, gzip.compress(body), "gzip").json() == {"id": data["event_id"]}
    got = processed(project, data["event_id"])
    assert got["attachments"] == [
        {"name": "app.log", "content_type": "text/plain", "attachment_type": None, "size": len(log)}
    ]
    stored = db_fetch(project.server.database_url, "SELECT data FROM attachments WHERE project_id = $1", project.id)
    assert [r["data"] for r in stored] == [log]


def test_sessions_and_client_reports_are_counted_not_stored(project: Project) -> None:
    body = envelope(
        ({"type": "session"}, json.dumps({"sid": new_id(), "status": "exited", "init": True}).encode()),
        ({"type": "client_report"}, json.dumps({"timestamp": time.time(), "discarded_events": []}).encode()),
        ({"type": "sessions"}, b'{"aggregates": []}'),
        with_length=False,
    )
    for _ in range(2):
        r = post(project, body)
        assert r.status_code == 200, r.text
    db = project.server.database_url
    assert db_fetch(db, "SELECT 1 FROM events WHERE project_id = $1", project.id) == []
    counts = db_fetch(db, "SELECT item_type, count FROM item_counts WHERE project_id = $1 ORDER BY item_type", project.id)
    assert [(c["item_type"], c["count"]) for c in counts] == [("client_report", 2), ("session", 2), ("sessions", 2)]


def test_cors_preflight(project: Project) -> None:
    r = httpx.options(
        project.envelope_url,
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = r.headers["access-control-allow-headers"].lower()
    for header in ("content-type", "x-sentry-auth", "content-encoding"):
        assert header in allowed
    # The browser SDK authenticates with ?sentry_key= and reads the rate-limit headers.
    data = event()
    r = httpx.post(f"{project.envelope_url}?sentry_key={project.public_key}", content=event_envelope(data),
                   headers={"Origin": "https://shop.example", "Content-Type": "text/plain;charset=UTF-8"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "x-sentry-rate-limits" in r.headers["access-control-expose-headers"]


def test_legacy_store_format_is_accepted(project: Project) -> None:
    data = event(message="from an old SDK")
    body = base64.b64encode(zlib.compress(json.dumps(data).encode()))
    r = post(project, body, url=project.store_url)
    assert r.json() == {"id": data["event_id"]}
    assert processed(project, data["event_id"])["title"] == "ValueError: bad cart"
    refused(post(project, b"%%% not base64 or json %%%", url=project.store_url), 400)
    assert_still_serving(project)
