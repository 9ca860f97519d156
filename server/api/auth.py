"""Bearer API tokens: every ``/api/0`` request acts for one organization, within the token's scopes.

A route needs ``read`` for GET, ``write`` for other methods, or what its ``opt["scope"]``
says (``admin`` for tokens, keys and settings). Scopes are levels: admin > write > read.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.database import DATABASE_DOWN
from server.db import tokens
from server.errors import Forbidden, Unauthorized, Unavailable

LEVELS = {"read": 0, "write": 1, "admin": 2}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DATABASE_SECONDS = 5.0  # a token check waits no longer for the database, then 503


async def require_token(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>' (crashdesk token create ORG)")
    try:
        async with asyncio.timeout(DATABASE_SECONDS):
            found = await tokens.authenticate(connection.app.state.pool, token.strip())
    except DATABASE_DOWN as exc:
        # A fixed query on the token table: any failure means the database cannot answer now.
        raise Unavailable("the database is unavailable; retry shortly") from exc
    if found is None:
        raise Unauthorized("unknown API token")
    if isinstance(found, tokens.Refused):
        raise Unauthorized(f"this API token is {found.reason}")
    needed = required_scope(connection, handler)
    if max(LEVELS[s] for s in found.scopes) < LEVELS[needed]:
        raise Forbidden(f"this token's scopes ({', '.join(found.scopes)}) do not include {needed!r}, which this route needs")
    connection.state.caller = found


def required_scope(connection: ASGIConnection, handler: BaseRouteHandler) -> str:
    scope = handler.opt.get("scope")
    if scope is not None:
        return str(scope)
    return "read" if connection.scope.get("method", "GET") in SAFE_METHODS else "write"


def organization_of(connection: ASGIConnection) -> int:
    return int(connection.state.caller.organization_id)


def caller(connection: ASGIConnection) -> tuple[Any, int]:
    """The pool and the caller's organization id: what every service function takes first."""
    return connection.app.state.pool, organization_of(connection)
