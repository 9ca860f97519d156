"""Clusters: list, detail, status, merge/unmerge, and the project's grouping rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Parameter

from dedupe import GroupingConfig, InvalidRule, validate_rules
from server.api.auth import organization_of, require_token
from server.api.releases import crashdesk_error
from server.api.routes import project_of
from server.api.schemas import ClusterDetailOut, ClusterMerge, ClusterOut, ClusterPage, MergeResult
from server.db import cluster_admin
from server.db import clusters as clusters_sql
from server.errors import CrashdeskError
from server.services import resolution
from server.services.resolution import ClusterStatusUpdate

Sort = Literal["count", "last_seen", "first_seen"]
Status = Literal["unresolved", "resolved", "ignored"]


def _out(row: Any) -> ClusterOut:
    return ClusterOut(**dict(row))


class ClusterController(Controller):
    path = "/api/0/projects/{project_id:int}"
    guards = [require_token]
    exception_handlers = {CrashdeskError: crashdesk_error}

    @get("/clusters/")
    async def list_clusters(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        status: Status | None = None,
        release: str | None = None,
        environment: str | None = None,
        sort: Sort = "last_seen",
        limit: int = Parameter(default=50, ge=1, le=500),
        offset: int = Parameter(default=0, ge=0),
    ) -> ClusterPage:
        await project_of(request, project_id)
        rows = await cluster_admin.list_clusters(
            request.app.state.pool, project_id, status=status, release=release, environment=environment,
            sort=sort, limit=limit, offset=offset,
        )
        return ClusterPage([_out(r) for r in rows], offset + limit if len(rows) == limit else None)

    @get("/clusters/{cluster_id:int}")
    async def get_cluster(self, request: Request[Any, Any, Any], project_id: int, cluster_id: int) -> ClusterDetailOut:
        await project_of(request, project_id)
        pool = request.app.state.pool
        row = await cluster_admin.get_cluster(pool, project_id, cluster_id)
        if row is None:
            raise NotFoundException(f"cluster {cluster_id} not found in project {project_id}")
        details = await cluster_admin.cluster_details(pool, cluster_id)
        return ClusterDetailOut(_out(row), **{k: [dict(r) for r in v] for k, v in details.items()})

    @patch("/clusters/{cluster_id:int}")
    async def update_cluster(
        self, request: Request[Any, Any, Any], project_id: int, cluster_id: int, data: ClusterStatusUpdate
    ) -> ClusterOut:
        """Resolve (now, ``resolved_in``, ``resolved_in_next``), ignore (``ignore_until``) or reopen."""
        pool = request.app.state.pool
        now = dt.datetime.now(dt.UTC)
        async with pool.acquire() as conn:
            await resolution.change_status(conn, organization_of(request), project_id, cluster_id, data, actor="api", now=now)
        return _out(await cluster_admin.get_cluster(pool, project_id, cluster_id))

    @post("/clusters/{cluster_id:int}/merge", status_code=200)
    async def merge(self, request: Request[Any, Any, Any], project_id: int, cluster_id: int, data: ClusterMerge) -> MergeResult:
        """Fold the listed clusters into this one; their future events follow."""
        await project_of(request, project_id)
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            target = await cluster_admin.get_cluster(conn, project_id, cluster_id)
            if target is None or target["merged_into"] is not None:
                raise NotFoundException(f"cluster {cluster_id} not found (or merged into another) in project {project_id}")
            merged = await cluster_admin.merge(conn, project_id, cluster_id, data.cluster_ids)
        return MergeResult(cluster_id, merged)

    @post("/clusters/{cluster_id:int}/unmerge", status_code=200)
    async def unmerge(self, request: Request[Any, Any, Any], project_id: int, cluster_id: int, data: ClusterMerge) -> MergeResult:
        """Split the listed clusters back out; the events of their hashes go with them."""
        await project_of(request, project_id)
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            split = await cluster_admin.unmerge(conn, project_id, cluster_id, data.cluster_ids)
        return MergeResult(cluster_id, split)

    @get("/grouping-config")
    async def get_grouping_config(self, request: Request[Any, Any, Any], project_id: int) -> GroupingConfig:
        await project_of(request, project_id)
        raw = (await clusters_sql.grouping_configs(request.app.state.pool, [project_id])).get(project_id)
        return msgspec.convert(raw, GroupingConfig) if raw else GroupingConfig()

    @put("/grouping-config")
    async def put_grouping_config(
        self, request: Request[Any, Any, Any], project_id: int, data: GroupingConfig
    ) -> GroupingConfig:
        """Replace the project's fingerprint and in-app rules; run ``crashdesk regroup`` to apply them to past events."""
        await project_of(request, project_id)
        try:
            validate_rules(data.fingerprint_rules)
        except InvalidRule as exc:
            raise ValidationException(str(exc)) from None
        await clusters_sql.set_grouping_config(request.app.state.pool, project_id, msgspec.to_builtins(data))
        return data
