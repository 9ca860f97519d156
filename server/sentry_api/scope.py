"""Which organization and project a Sentry-style request is about, and Sentry-style errors.

The token decides the organization; a slug naming any other answers 404, the same as
a slug that does not exist, so slugs of other tenants cannot be probed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from server.api.auth import organization_of
from server.db import tenancy
from server.errors import CrashdeskError, NotFound


async def organization(request: Request[Any, Any, Any], org_slug: str) -> tenancy.Organization:
    org = await tenancy.organization_by_id(request.app.state.pool, organization_of(request))
    if org.slug != org_slug:
        raise NotFound("organization", org_slug)
    return org


async def project(request: Request[Any, Any, Any], org_slug: str, project_slug: str) -> tenancy.Project:
    await organization(request, org_slug)
    async with request.app.state.pool.acquire() as conn:
        return await tenancy.project_by_slug(conn, org_slug, project_slug)


async def projects(request: Request[Any, Any, Any], org_slug: str, slugs: list[str]) -> list[tenancy.Project]:
    """Projects named by slug (or numeric id, as Sentry also accepts); any unknown one is a 404."""
    org = await organization(request, org_slug)
    mine = await tenancy.projects_of(request.app.state.pool, org.id)
    by_key = {p.slug: p for p in mine} | {str(p.id): p for p in mine}
    missing = [s for s in slugs if s not in by_key]
    if missing:
        raise NotFound("project", f"{org_slug}/{missing[0]}")
    return [by_key[s] for s in dict.fromkeys(slugs)]


def error_response(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Sentry's error body: ``{"detail": ...}`` (sentry-cli prints ``detail``)."""
    if isinstance(exc, CrashdeskError):
        return Response({"detail": exc.detail, "code": exc.code}, status_code=exc.status)
    if isinstance(exc, HTTPException):
        return Response({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return Response({"detail": "internal error"}, status_code=500)
