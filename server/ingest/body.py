"""Reading a request body under limits: a deadline, a size cap, and a process-wide byte budget.

Slow or huge senders must not hold memory the service needs: every body byte held counts
against one budget, and a request that would overrun it is answered 503 with
``Retry-After`` instead of growing the process. A dribbling sender is cut off at the
deadline.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import brotli
import zstandard

from server.ingest.errors import BadRequest, TooLarge, Unavailable

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

HEAD_LIMIT = 64 << 10  # the envelope header line, decompressed
_HEAD_INPUT_LIMIT = 256 << 10  # compressed input searched for that line (a zstd block is up to 128 KiB)


class TimedOut(BadRequest):
    status = 408


class BodyBudget:
    """Bytes of request bodies held by this process, across all requests."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> None:
        if self.used + size > self.limit:
            raise Unavailable(
                "the server is holding as many request bytes as it may; retry shortly", headers={"Retry-After": "2"}
            )
        self.used += size

    def give(self, size: int) -> None:
        self.used -= size


class BodyReader:
    """One request's body, read chunk by chunk against the cap, the deadline and the budget."""

    def __init__(self, receive: Receive, budget: BodyBudget, cap: int, timeout: float) -> None:
        self._receive = receive
        self._budget = budget
        self._cap = cap
        self._loop_deadline = asyncio.get_running_loop().time() + timeout
        self._timeout = timeout
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False
        self.held = 0

    def reserve(self, size: int) -> None:
        """Hold ``size`` bytes of the budget (what the sender announced) before reading any."""
        if size > self.held:
            self._budget.take(size - self.held)
            self.held = size

    async def more(self) -> bytes:
        """The next chunk (b"" once complete); 408 past the deadline, 413 past the cap."""
        if self.complete:
            return b""
        try:
            async with asyncio.timeout_at(self._loop_deadline):  # no task per chunk, unlike wait_for
                message = await self._receive()
        except TimeoutError:
            raise TimedOut(f"the request body did not arrive within {self._timeout:g}s") from None
        if message["type"] == "http.disconnect":
            raise BadRequest("client disconnected before the body was complete")
        chunk: bytes = message.get("body", b"")
        self.size += len(chunk)
        if self.size > self._cap:
            raise TooLarge(f"request body is over the limit of {self._cap} bytes")
        if self.size > self.held:
            self._budget.take(self.size - self.held)
            self.held = self.size
        self.chunks.append(chunk)
        self.complete = not message.get("more_body", False)
        return chunk

    async def read(self) -> bytes:
        while not self.complete:
            await self.more()
        body = b"".join(self.chunks)
        self.chunks = [body]
        return body

    async def first_line(self, encoding: str) -> bytes:
        """Read only as far as the decompressed first line; return that line."""
        tried = -1
        while True:
            # Decompress the prefix again only every few KiB, so a sender of tiny chunks
            # cannot make this quadratic.
            if self.chunks and (self.complete or self.size < 4096 or self.size - tried >= 4096):
                tried = self.size
                head = _head(b"".join(self.chunks), encoding)
                end = head.find(b"\n")
                if end >= 0:
                    return head[:end]
                if self.complete or len(head) >= HEAD_LIMIT:
                    return head
                if self.size > _HEAD_INPUT_LIMIT:
                    raise BadRequest(f"envelope header line not found in the first {_HEAD_INPUT_LIMIT} bytes")
            await self.more()

    def release(self) -> None:
        self._budget.give(self.held)
        self.held = 0


def _head(prefix: bytes, encoding: str) -> bytes:
    """Up to ``HEAD_LIMIT`` decompressed bytes from the start of a possibly incomplete body."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(prefix, HEAD_LIMIT)
        if encoding == "deflate":
            wbits = zlib.MAX_WBITS if prefix[:1] == b"\x78" else -zlib.MAX_WBITS
            return zlib.decompressobj(wbits).decompress(prefix, HEAD_LIMIT)
        if encoding == "br":
            return brotli.Decompressor().process(prefix, output_buffer_limit=HEAD_LIMIT)
        if encoding == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(prefix), read_across_frames=True)
            return reader.read(HEAD_LIMIT)
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        raise BadRequest(f"{encoding} body is corrupt: {exc}") from None
    return prefix[:HEAD_LIMIT]
