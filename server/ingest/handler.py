"""The ASGI handler for ``/api/{project_id}/envelope/`` and ``/store/``.

Deliberately below the web framework: on this path every microsecond is thousands of
events per second, so it authenticates from a cache, reads the body, decodes, and
waits for the group commit — nothing else before the 2xx. The sender is known before
its body is read, and every wait (body, key lookup, commit) is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from server.ingest import items, minidump
from server.ingest.auth import check_key, key_from_dsn, key_from_request
from server.ingest.body import BodyBudget, BodyReader
from server.ingest.decode import check_encoding, decompress
from server.ingest.errors import BadRequest, Forbidden, IngestError, RateLimited, TooLarge, Unauthorized, Unavailable
from server.ingest.keys import KeyCache
from server.ingest.ratelimit import TokenBuckets
from server.ingest.text import header_safe
from server.ingest.writer import GroupCommitWriter, Refused, Submission
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
        self.budget = BodyBudget(settings.max_inflight_body_bytes)
        # Big bodies are decoded one at a time: each holds the GIL in short steps, and several
        # at once would still add up to long stalls of the event loop (and to their memory).
        self._big = asyncio.Semaphore(1)

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
        reader = BodyReader(receive, self.budget, self.settings.max_envelope_bytes, self.settings.body_timeout_seconds)
        try:
            reply = await self._ingest(int(match.group(1)), match.group(2), scope, reader)
        except IngestError as exc:
            extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            extra.append((b"x-sentry-error", header_safe(exc.detail)))
            if not reader.complete:
                extra.append((b"connection", b"close"))  # the unread rest is not worth receiving
            await _respond(send, exc.status, {"detail": exc.detail}, extra)
            return
        finally:
            reader.release()
        await _respond(send, 200, reply)

    async def _ingest(self, project_id: int, kind: str, scope: Scope, reader: BodyReader) -> dict[str, str]:
        headers = dict(scope["headers"])
        encoding = headers.get(b"content-encoding", b"").decode("latin-1")
        check_encoding(encoding)
        announced = _content_length(headers)
        if announced is not None and announced > self.settings.max_envelope_bytes:
            raise TooLarge(f"request body of {announced} bytes is over the limit of {self.settings.max_envelope_bytes}")
        # Who is sending is settled before the body is read: an unknown sender costs no reading.
        public_key = key_from_request(headers, scope.get("query_string", b""))
        if public_key is None and kind == "envelope":
            line = await reader.first_line(encoding)  # the envelope's dsn, read only when nothing else names a key
            public_key = key_from_dsn(items.header_of(line).get("dsn"))
        if public_key is None:
            raise Unauthorized("missing authorization: no sentry_key in X-Sentry-Auth, Authorization, query or envelope dsn")
        key = await self.keys.get(check_key(public_key), self.settings.database_wait_seconds)
        if key is None:
            raise Unauthorized(f"unknown public key {public_key[:64]!r}")
        if key.project_id != project_id:
            raise Forbidden(f"key {public_key} does not belong to project {project_id}")
        if not key.enabled:
            raise Forbidden(f"key {public_key} is disabled")
        if announced is not None:
            reader.reserve(announced)  # a known sender's body: hold its budget before reading it
        raw = await reader.read()
        submission, reply_id = await self._decode(project_id, kind, raw, encoding, headers, reader)
        if key.rate_limit_count and submission.events:
            wait = self.buckets.take(key.key_id, key.rate_limit_count, key.rate_limit_window, time.monotonic())
            if wait:
                seconds = str(int(wait))
                raise _rate_limited(seconds, key.rate_limit_count, key.rate_limit_window)
        await self._commit(submission)
        return {"id": reply_id} if reply_id else {}

    async def _decode(
        self, project_id: int, kind: str, raw: bytes, encoding: str, headers: dict[bytes, bytes], reader: BodyReader
    ) -> tuple[Submission, str | None]:
        """Small bodies are decoded here; big ones in a thread, so the event loop never
        stalls for long on one request (a 20 MiB body takes tens of milliseconds)."""
        cap = self.settings.max_envelope_bytes
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if len(raw) <= _INLINE_INPUT:
            try:
                body = decompress(raw, encoding, min(cap, _INLINE_OUTPUT))
            except TooLarge:
                if cap <= _INLINE_OUTPUT:
                    raise
            else:
                if not _legacy_store(kind, body):  # base64 of zlib: decoded with the big ones
                    return self._rows(project_id, kind, body, content_type)
        async with self._big:
            body = await asyncio.to_thread(decompress, raw, encoding, cap)
            reader.reserve(len(raw) + len(body))  # the decompressed copy is held too
            return await asyncio.to_thread(self._rows, project_id, kind, body, content_type)

    def _rows(self, project_id: int, kind: str, body: bytes, content_type: str) -> tuple[Submission, str | None]:
        if kind == "envelope":
            return items.from_envelope(project_id, items.parse(body, self.settings.max_envelope_items), self.settings)
        if kind == "minidump":
            return minidump.from_multipart(project_id, body, content_type, self.settings)
        if _legacy_store(kind, body):
            body = _legacy_store_body(body, self.settings.max_envelope_bytes)
        return items.from_store(project_id, body, self.settings)

    async def _commit(self, submission: Submission) -> None:
        if not (submission.events or submission.attachments or submission.counts):
            return
        wait = self.settings.database_wait_seconds
        try:
            await self.writer.submit(submission, wait)
        except Refused as exc:
            raise BadRequest(f"not stored: {exc}") from exc
        except TimeoutError:
            log.error("ingest commit did not finish within %gs", wait)
            raise Unavailable(f"the database did not commit within {wait:g}s; retry later", headers=_RETRY) from None
        except Exception as exc:  # noqa: BLE001 - any other failure means "not accepted"; the SDK retries
            log.error("ingest commit failed: %s", exc)
            raise Unavailable("the event could not be stored right now; retry later", headers=_RETRY) from exc


_RETRY = {"Retry-After": "5"}
_INLINE_INPUT = 64 << 10
_INLINE_OUTPUT = 1 << 20


def _legacy_store(kind: str, body: bytes) -> bool:
    return kind == "store" and body[:1] not in (b"{", b" ", b"\n", b"\t", b"\r")


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest("Content-Length is not a number")
    return int(raw)


def _rate_limited(seconds: str, count: int, window: int) -> RateLimited:
    return RateLimited(
        f"rate limit of {count} events per {window}s exceeded for this key; retry after {seconds}s",
        headers={"Retry-After": seconds, "X-Sentry-Rate-Limits": f"{seconds}:error;default;transaction:key"},
    )


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
