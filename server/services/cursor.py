"""Opaque keyset cursors: a page's last sort key, encoded so clients can't depend on its shape."""

from __future__ import annotations

import base64
from typing import Any

import msgspec

from server.errors import Invalid


def encode(*key: Any) -> str:
    """Encode the sort key of a page's last row (ints, strings, ISO dates)."""
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).decode().rstrip("=")


def decode(cursor: str | None, arity: int) -> list[Any] | None:
    """The key a cursor holds, or ``Invalid`` naming the parameter when it was not made by ``encode``."""
    if cursor is None:
        return None
    try:
        key = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, msgspec.DecodeError):
        raise Invalid("cursor is not one this API returned (pass next_cursor unchanged)", "cursor") from None
    if not isinstance(key, list) or len(key) != arity:
        raise Invalid("cursor is not one this API returned (pass next_cursor unchanged)", "cursor")
    return key
