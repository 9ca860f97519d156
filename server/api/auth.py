"""Bearer API tokens: every ``/api/0`` request acts for exactly one organization."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from server.db.tenancy import organization_for_token


async def require_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("send an API token as 'Authorization: Bearer <token>' (crashdesk token ORG)")
    org_id = await organization_for_token(connection.app.state.pool, token.strip())
    if org_id is None:
        raise NotAuthorizedException("unknown or revoked API token")
    connection.state.organization_id = org_id


def organization_of(connection: ASGIConnection) -> int:
    return int(connection.state.organization_id)
