"""Texts from a request, checked before they join a group commit.

PostgreSQL refuses a text holding NUL (or a string that is not valid UTF-8), and one such
value would fail every submission sharing its batch. So each text is checked here, on
the request that carries it, and a bad one is that sender's 400.
"""

from __future__ import annotations

from server.ingest.errors import BadRequest


def row_text(value: object, what: str, limit: int = 256) -> str | None:
    """``value`` cut to ``limit`` if it is a string a text column accepts; None if not a string."""
    if not isinstance(value, str):
        return None
    value = value[:limit]
    if "\x00" in value:
        raise BadRequest(f"{what} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{what} is not valid Unicode (lone surrogate)") from None
    return value


def header_safe(detail: str, limit: int = 500) -> bytes:
    """``detail`` as a response header value: ASCII, no control characters (no CRLF injection)."""
    text = detail.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c < "\x7f" else "?" for c in text[:limit]).encode("ascii")
