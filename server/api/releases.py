"""Releases of a project over HTTP. A release is named by ``?version=``, never a path
segment: a percent-encoded ``/`` in a path does not route, and release names have ``/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.errors import CrashdeskError
from server.services import releases as service
from server.services.releases import (
    DeployCreate,
    DeployOut,
    DeploysPage,
    ReleaseCreate,
    ReleaseOut,
    ReleasesPage,
    ReleaseUpdate,
)

Version = Parameter(query="version", description="the release's version string, percent-encoded")


def crashdesk_error(_: Request[Any, Any, Any], exc: CrashdeskError) -> Response[dict[str, Any]]:
    """Until the app-wide error map covers these routes: the same body and status it gives."""
    body: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
    if getattr(exc, "field", None):
        body["field"] = exc.field  # type: ignore[attr-defined]
    return Response(body, status_code=exc.status)


class ReleaseController(Controller):
    path = "/api/0/projects/{project_id:int}/releases"
    guards = [require_token]
    exception_handlers = {CrashdeskError: crashdesk_error}

    @get("/")
    async def releases(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        version: str | None = Version,
        package: str | None = Parameter(default=None, description="only this package's releases"),
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> ReleasesPage | ReleaseOut:
        """A page of releases, newest version first; with ``?version=``, that one release."""
        pool = request.app.state.pool
        org = organization_of(request)
        if version is not None:
            return await service.get_release(pool, org, project_id, version)
        return await service.list_releases(pool, org, project_id, package=package, limit=limit, cursor_=cursor)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], project_id: int, data: ReleaseCreate) -> Response[ReleaseOut]:
        """Create a release (201), or return the existing one (200; a given ``released_at`` is set)."""
        async with request.app.state.pool.acquire() as conn:
            out, created = await service.create_release(conn, organization_of(request), project_id, data.version, data.released_at)
        return Response(out, status_code=201 if created else 200)

    @patch("/")
    async def update(
        self, request: Request[Any, Any, Any], project_id: int, data: ReleaseUpdate, version: str = Version
    ) -> ReleaseOut:
        """Set (or clear) the released date; ``{"released": true}`` finalizes it now."""
        now = dt.datetime.now(dt.UTC)
        return await service.update_release(request.app.state.pool, organization_of(request), project_id, version, data, now)

    @get("/deploys/")
    async def deploys(self, request: Request[Any, Any, Any], project_id: int, version: str = Version) -> DeploysPage:
        out = await service.list_deploys(request.app.state.pool, organization_of(request), project_id, version)
        return DeploysPage(deploys=out, next_cursor=None)

    @post("/deploys/")
    async def deploy(
        self, request: Request[Any, Any, Any], project_id: int, data: DeployCreate, version: str = Version
    ) -> DeployOut:
        """Record a deploy of the release to an environment."""
        return await service.add_deploy(request.app.state.pool, organization_of(request), project_id, version, data)
