"""Releases of a project over HTTP. A release is named by ``?version=``, never a path
segment: a percent-encoded ``/`` in a path does not route, and release names have ``/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.errors import Invalid
from server.services import release_view as view
from server.services import releases as service
from server.services import resolution
from server.services.release_view import ReleaseDetailOut
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
KIND = Parameter(default="seen", description="seen (most recent first), new, regressed or resolved in it")


class ReleaseController(Controller):
    path = "/api/0/projects/{project_id:int}/releases"
    guards = [require_token]

    @get("/")
    async def releases(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        version: str | None = Version,
        package: str | None = Parameter(default=None, description="only this package's releases"),
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
        environment: str | None = Parameter(default=None, description="health of this environment only (with version)"),
    ) -> ReleasesPage | ReleaseDetailOut:
        """A page of releases, newest version first; with ``?version=``, that release's view:
        its counts, clusters new, regressed and resolved in it, and its health."""
        pool = request.app.state.pool
        org = organization_of(request)
        if version is not None:
            return await view.release_detail(pool, org, project_id, version, environment)
        if environment is not None:
            raise Invalid("environment goes with version (the health of one release)", "environment")
        return await service.list_releases(pool, org, project_id, package=package, limit=limit, cursor_=cursor)

    @get("/clusters/")
    async def clusters(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        version: str = Version,
        kind: view.Kind = KIND,
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> view.ReleaseClustersPage:
        """Clusters of one release."""
        return await view.release_clusters(
            request.app.state.pool, organization_of(request), project_id, version, kind, limit=limit, cursor_=cursor
        )

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


class ClusterReleaseController(Controller):
    """A cluster's releases and its activity log (status changes: who or what, when, from, to)."""

    path = "/api/0/projects/{project_id:int}/clusters/{cluster_id:int}"
    guards = [require_token]

    @get("/releases/")
    async def releases(self, request: Request[Any, Any, Any], project_id: int, cluster_id: int) -> view.ClusterReleasesOut:
        """Its first and last release, and its events per release, newest version first."""
        return await view.cluster_releases(request.app.state.pool, organization_of(request), project_id, cluster_id)

    @get("/resolution/")
    async def cluster_resolution(self, request: Request[Any, Any, Any], project_id: int, cluster_id: int) -> resolution.Resolution:
        """Status, what it is resolved in (the one source of "fixed in"), ignored until, regressed in."""
        return await resolution.get_resolution(request.app.state.pool, organization_of(request), project_id, cluster_id)

    @get("/activity/")
    async def activity(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        cluster_id: int,
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> resolution.ActivityPage:
        """Newest first."""
        return await resolution.activity(
            request.app.state.pool, organization_of(request), project_id, cluster_id, limit=limit, cursor_=cursor
        )
