"""The ASGI handler for ``/api/{project_id}/envelope/`` and ``/store/``.

Deliberately below the web framework: on this path every microsecond is thousands of
events per second, so it reads the body, authenticates from a cache, decodes, and
waits for the group commit — nothing else before the 2xx.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from server.ingest import items, minidump
from server.ingest.auth import key_from_dsn, key_from_request
from server.ingest.decode import decompress
from server.ingest.errors import BadRequest, Forbidden, IngestError, RateLimited, TooLarge, Unauthorized, Unavailable
from server.ingest.keys import KeyCache
from server.ingest.ratelimit import TokenBuckets
from server.ingest.writer import GroupCommitWriter, Submission
from server.settings import Settings

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PATH = re.compile(r"^/api/(\d+)/(envelope|store|minidump)/?$")
_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"x-sentry-error, x-sentry-rate-limits, retry-after"),
]
_PREFLIGHT = [
    *_CORS,
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type, content-encoding, x-sentry-auth, authorization"),
    (b"access-control-max-age", b"3600"),
]


class Ingest:
    def __init__(self, settings: Settings, keys: KeyCache, writer: GroupCommitWriter) -> None:
        self.settings = settings
        self.keys = keys
        self.writer = writer
        self.buckets = TokenBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = PATH.match(scope["path"])
        if match is None:
            await _respond(send, 404, {"detail": f"no ingestion endpoint at {scope['path']}"})
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 200, "headers": _PREFLIGHT})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"detail": "use POST"}, [(b"allow", b"POST, OPTIONS")])
            return
        try:
            reply = await self._ingest(int(match.group(1)), match.group(2), scope, receive)
        except IngestError as exc:
            extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            extra.append((b"x-sentry-error", exc.detail.encode("utf-8", "replace")[:500]))
            await _respond(send, exc.status, {"detail": exc.detail}, extra)
            return
        await _respond(send, 200, reply)

    async def _ingest(self, project_id: int, kind: str, scope: Scope, receive: Receive) -> dict[str, str]:
        headers = dict(scope["headers"])
        public_key = key_from_request(headers, scope.get("query_string", b""))
        body = decompress(
            await _read_body(receive, self.settings.max_envelope_bytes),
            headers.get(b"content-encoding", b"").decode("latin-1"),
            self.settings.max_envelope_bytes,
        )
        envelope = None
        if kind == "envelope":
            envelope = items.parse(body)
            public_key = public_key or key_from_dsn(envelope.headers.get("dsn"))
        elif kind == "minidump":
            pass  # multipart, read after authentication
        elif body[:1] not in (b"{", b" ", b"\n", b"\t", b"\r"):
            body = _legacy_store_body(body, self.settings.max_event_bytes)
        if public_key is None:
            raise Unauthorized("missing authorization: no sentry_key in X-Sentry-Auth, Authorization, query or envelope dsn")
        key = await self.keys.get(public_key)
        if key is None:
            raise Unauthorized(f"unknown public key {public_key[:64]!r}")
        if key.project_id != project_id:
            raise Forbidden(f"key {public_key} does not belong to project {project_id}")
        if not key.enabled:
            raise Forbidden(f"key {public_key} is disabled")
        if envelope is not None:
            submission, reply_id = items.from_envelope(project_id, envelope, self.settings)
        elif kind == "minidump":
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            submission, reply_id = minidump.from_multipart(project_id, body, content_type, self.settings)
        else:
            submission, reply_id = items.from_store(project_id, body, self.settings)
        if key.rate_limit_count and submission.events:
            wait = self.buckets.take(key.key_id, key.rate_limit_count, key.rate_limit_window, time.monotonic())
            if wait:
                seconds = str(int(wait))
                raise _rate_limited(seconds, key.rate_limit_count, key.rate_limit_window)
        await self._commit(submission)
        return {"id": reply_id} if reply_id else {}

    async def _commit(self, submission: Submission) -> None:
        if not (submission.events or submission.attachments or submission.counts):
            return
        try:
            await self.writer.submit(submission)
        except Exception as exc:  # noqa: BLE001 - any failure means "not accepted"; the SDK retries
            log.error("ingest commit failed: %s", exc)
            raise Unavailable("the event could not be stored right now; retry later", headers={"Retry-After": "5"}) from exc


def _rate_limited(seconds: str, count: int, window: int) -> RateLimited:
    return RateLimited(
        f"rate limit of {count} events per {window}s exceeded for this key; retry after {seconds}s",
        headers={"Retry-After": seconds, "X-Sentry-Rate-Limits": f"{seconds}:error;default;transaction:key"},
    )


async def _read_body(receive: Receive, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("client disconnected before the body was complete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"request body is over the limit of {cap} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _legacy_store_body(body: bytes, cap: int) -> bytes:
    """Old SDKs post base64 of zlib-compressed JSON to /store/."""
    try:
        raw = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        raise BadRequest("store body is neither JSON nor base64") from None
    return decompress(raw, "deflate", cap)


_JSON_HEADERS = [(b"content-type", b"application/json"), *_CORS]


async def _respond(send: Send, status: int, body: object, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = msgspec.json.encode(body)
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
