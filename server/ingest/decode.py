"""Request-body decompression with a hard cap on output.

The cap is enforced while decompressing, so a compression bomb costs at most the cap
in memory and is refused with 413, never expanded in full.
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

from server.ingest.errors import BadRequest, TooLarge, UnsupportedEncoding

_IDENTITY = {"", "identity", "utf-8", "utf8"}
_GZIP = 16 + zlib.MAX_WBITS
_MAX_MEMBERS = 64  # a gzip body of many empty members would cost CPU for nothing
# Output per decompression call: small steps keep the GIL free for the event loop while a big
# body is decompressed in a worker thread (one call filling 20 MiB stalled the loop ~150 ms).
_STEP = 64 << 10


def _too_large(encoding: str, cap: int) -> TooLarge:
    return TooLarge(f"body decompresses ({encoding}) to more than the limit of {cap} bytes")


def _zlib(body: bytes, cap: int, wbits: int, name: str) -> bytes:
    parts: list[bytes] = []
    size = 0
    members = 1
    d = zlib.decompressobj(wbits)
    data = body
    while True:
        out = d.decompress(data, _STEP)
        size += len(out)
        if size > cap:
            raise _too_large(name, cap)
        parts.append(out)
        data = d.unconsumed_tail
        if d.eof:
            # A gzip body may be several members one after the other (RFC 1952 2.2); each is read.
            rest = d.unused_data
            if wbits != _GZIP or rest[:2] != b"\x1f\x8b":
                return b"".join(parts)
            if members == _MAX_MEMBERS:
                raise BadRequest(f"{name} body has more than {_MAX_MEMBERS} members")
            members += 1
            d = zlib.decompressobj(wbits)
            data = rest
        elif not data and not out:
            raise BadRequest(f"{name} body is truncated")


def _brotli(body: bytes, cap: int) -> bytes:
    d = brotli.Decompressor()
    parts = [d.process(body, output_buffer_limit=_STEP)]
    size = len(parts[0])
    while not d.is_finished() and size <= cap:  # the rest of the input is held inside, step by step
        out = d.process(b"", output_buffer_limit=_STEP)
        if not out:
            break
        size += len(out)
        if size > cap:
            raise _too_large("br", cap)
        parts.append(out)
    if size > cap:
        raise _too_large("br", cap)
    if not d.is_finished():
        raise BadRequest("br body is truncated")
    return b"".join(parts)


def _zstd(body: bytes, cap: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
    parts: list[bytes] = []
    size = 0
    while out := reader.read(_STEP):
        size += len(out)
        if size > cap:
            raise _too_large("zstd", cap)
        parts.append(out)
    return b"".join(parts)


_SUPPORTED = _IDENTITY | {"gzip", "x-gzip", "deflate", "br", "zstd"}


def check_encoding(content_encoding: str) -> None:
    """415 at once for an encoding we cannot read, before any of the body is."""
    if content_encoding.strip().lower() not in _SUPPORTED:
        raise UnsupportedEncoding(
            f"Content-Encoding {content_encoding[:64]!r} is not supported (use gzip, deflate, br or zstd)"
        )


def decompress(body: bytes, content_encoding: str, cap: int) -> bytes:
    """Return the decoded body; raise 400/413/415 with a message saying what was wrong."""
    encoding = content_encoding.strip().lower()
    try:
        if encoding in _IDENTITY:
            if len(body) > cap:
                raise TooLarge(f"body is {len(body)} bytes, over the limit of {cap}")
            return body
        if encoding in ("gzip", "x-gzip"):
            return _zlib(body, cap, _GZIP, "gzip")
        if encoding == "deflate":
            # RFC 9110 deflate is zlib-wrapped; some clients send raw deflate.
            try:
                return _zlib(body, cap, zlib.MAX_WBITS, "deflate")
            except zlib.error:
                return _zlib(body, cap, -zlib.MAX_WBITS, "deflate")
        if encoding == "br":
            return _brotli(body, cap)
        if encoding == "zstd":
            return _zstd(body, cap)
    except zlib.error as exc:
        raise BadRequest(f"{encoding} body is corrupt: {exc}") from None
    except brotli.error as exc:
        raise BadRequest(f"br body is corrupt: {exc}") from None
    except zstandard.ZstdError as exc:
        raise BadRequest(f"zstd body is corrupt: {exc}") from None
    raise UnsupportedEncoding(f"Content-Encoding {content_encoding!r} is not supported (use gzip, deflate, br or zstd)")
