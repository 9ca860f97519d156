"""Which project key a request presents, from wherever a Sentry SDK puts it.

Sources: ``X-Sentry-Auth``, ``Authorization: Sentry ...``, ``?sentry_key=``, and the
envelope header's ``dsn`` (a fallback for tunnels, read only when no other source is
present). Two request-level sources at once are refused, as Relay does, because it
is ambiguous which one the sender meant.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from server.ingest.errors import BadRequest, Unauthorized

_MAX_KEY = 128


def check_key(key: str) -> str:
    """``key`` if it can name a project key; 400 for control characters (a NUL breaks the lookup)."""
    if not key.isprintable():
        raise BadRequest("sentry_key contains control characters")
    if len(key) > _MAX_KEY:
        raise Unauthorized(f"sentry_key is longer than {_MAX_KEY} characters; no such key exists")
    return key


def _from_sentry_header(value: str) -> str | None:
    value = value.strip()
    if value[:7].lower() == "sentry ":
        value = value[7:]
    for part in value.split(","):
        name, _, val = part.strip().partition("=")
        if name.strip() == "sentry_key" and val.strip():
            return val.strip()
    return None


def key_from_request(headers: dict[bytes, bytes], query_string: bytes) -> str | None:
    """The public key named by headers or query, or None; 401 when two sources disagree or conflict."""
    found: list[tuple[str, str]] = []
    x_auth = headers.get(b"x-sentry-auth")
    if x_auth:
        key = _from_sentry_header(x_auth.decode("latin-1"))
        if key is None:
            raise Unauthorized("X-Sentry-Auth header has no sentry_key")
        found.append(("X-Sentry-Auth header", key))
    authorization = headers.get(b"authorization")
    if authorization and authorization[:7].lower() == b"sentry ":
        key = _from_sentry_header(authorization.decode("latin-1"))
        if key is None:
            raise Unauthorized("Authorization header has no sentry_key")
        found.append(("Authorization header", key))
    if query_string:
        keys = parse_qs(query_string.decode("latin-1")).get("sentry_key")
        if keys:
            found.append(("sentry_key query parameter", keys[0]))
    if len(found) > 1:
        names = " and ".join(name for name, _ in found)
        raise Unauthorized(f"multiple authorization sources ({names}); send exactly one")
    return found[0][1] if found else None


def key_from_dsn(dsn: object) -> str | None:
    if not isinstance(dsn, str) or not dsn:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None
