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
    if not isinstance(key, list) or len(key) != arity or any(_out_of_range(k) for k in key):
        raise Invalid("cursor is not one this API returned (pass next_cursor unchanged)", "cursor")
    return key


def typed(key: list[Any], kind: Any) -> Any:
    """The decoded key converted to ``kind`` (e.g. ``tuple[datetime, int]``), or ``Invalid``."""
    try:
        return msgspec.convert(key, kind)
    except msgspec.ValidationError:
        raise Invalid("cursor is not one this API returned (pass next_cursor unchanged)", "cursor") from None


def mismatch(made_for: str) -> Invalid:
    """A cursor from a page listed another way (it was made for ``made_for``)."""
    return Invalid(f"cursor was made for a list with {made_for}; pass the same filters and sort as its page", "cursor")


def _out_of_range(value: Any) -> bool:
    """Ids and counts in keys are 64-bit; a string may not hold a NUL (PostgreSQL refuses both)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return not -(2**63) <= value < 2**63
    if isinstance(value, str):
        return "\x00" in value
    return not isinstance(value, (float, bool)) and value is not None
