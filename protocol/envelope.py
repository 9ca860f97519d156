"""Sentry envelopes: a JSON header line, then items of a header line and a payload.

https://develop.sentry.dev/sdk/data-model/envelopes/ — items may give ``length``
(payload is exactly that many bytes, then a newline or the end) or omit it (payload
runs to the next newline). Errors name the item and what is wrong with it so that an
SDK author can fix the sender.
"""

from __future__ import annotations

from typing import Any

import msgspec

from protocol.errors import ProtocolError


class EnvelopeError(ProtocolError):
    """The body is not a well-formed envelope; ``reason`` says where and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EnvelopeTooLarge(EnvelopeError):
    """The envelope holds more items than allowed; refused as soon as the limit is passed."""


class Item(msgspec.Struct, frozen=True):
    type: str
    headers: dict[str, Any]
    payload: bytes


class Envelope(msgspec.Struct, frozen=True):
    headers: dict[str, Any]
    items: tuple[Item, ...]


_decode = msgspec.json.Decoder(dict[str, Any])
_MAX_TYPE = 64


def _header(line: bytes, what: str) -> dict[str, Any]:
    try:
        return _decode.decode(line)
    except msgspec.ValidationError:
        raise EnvelopeError(f"{what} is not a JSON object") from None
    except msgspec.DecodeError as exc:
        raise EnvelopeError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise EnvelopeError(f"{what} is nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def first_line(body: bytes) -> dict[str, Any]:
    """The envelope header alone, for reading the ``dsn`` before the rest has arrived."""
    end = body.find(b"\n")
    line = body if end < 0 else body[:end]
    if not line.strip():
        raise EnvelopeError("envelope header line is missing (the body must start with a JSON object line)")
    return _header(line, "envelope header")


def parse_envelope(body: bytes, max_items: int | None = None) -> Envelope:
    """Split ``body`` into its header and items; payloads are left undecoded.

    Past ``max_items`` items it stops at once (``EnvelopeTooLarge``): a body of a million
    tiny items must cost no more than the limit's worth of parsing.
    """
    end = body.find(b"\n")
    first = body if end < 0 else body[:end]
    if not first.strip():
        raise EnvelopeError("envelope header line is missing (the body must start with a JSON object line)")
    headers = _header(first, "envelope header")
    items: list[Item] = []
    pos = len(body) if end < 0 else end + 1
    size = len(body)
    while pos < size:
        end = body.find(b"\n", pos)
        line = body[pos:] if end < 0 else body[pos:end]
        if not line.strip():  # tolerate blank lines and a trailing newline
            pos = size if end < 0 else end + 1
            continue
        number = len(items) + 1
        if max_items is not None and number > max_items:
            raise EnvelopeTooLarge(f"envelope has more than {max_items} items")
        item_headers = _header(line, f"item {number} header")
        item_type = item_headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise EnvelopeError(f"item {number} header has no 'type'")
        if not item_type.isprintable() or len(item_type) > _MAX_TYPE:
            # Never echoed back: the type ends up in a response header and in a text column.
            raise EnvelopeError(f"item {number} type is not a short printable name (control characters or over {_MAX_TYPE})")
        start = size if end < 0 else end + 1
        length = item_headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EnvelopeError(f"item {number} ({item_type}) has an invalid length {length!r}")
            stop = start + length
            if stop > size:
                raise EnvelopeError(
                    f"item {number} ({item_type}) declares length {length} but only {size - start} bytes follow"
                )
            if stop < size and body[stop : stop + 1] != b"\n":
                raise EnvelopeError(
                    f"item {number} ({item_type}) declares length {length} but its payload does not end there"
                )
            payload = body[start:stop]
            pos = stop + 1
        else:
            nl = body.find(b"\n", start)
            payload = body[start:] if nl < 0 else body[start:nl]
            pos = size if nl < 0 else nl + 1
        items.append(Item(type=item_type, headers=item_headers, payload=payload))
    return Envelope(headers=headers, items=tuple(items))
