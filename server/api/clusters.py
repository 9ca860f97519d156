"""Cluster routes: list, detail, status, merge/unmerge, and the project's grouping rules."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.params import Parameter

from dedupe import GroupingConfig
from server.api.auth import caller, require_token
from server.services import clusters, grouping
from server.services.clusters import (
    ClusterDetailOut, ClusterMerge, ClustersPage, ClusterUpdate, ListStatus, MergeResult, Sort,
)
from server.services.wire import DEFAULT_LIMIT, MAX_LIMIT

Request_ = Request[Any, Any, Any]


class ClusterController(Controller):
    path = "/api/0/projects/{project_id:int}"
    guards = [require_token]
    tags = ["clusters"]

    @get("/clusters/")
    async def list_clusters(
        self,
        request: Request_,
        project_id: int,
        status: ListStatus | None = Parameter(
            default=None, description="only clusters with this status (regressed: unresolved again after a fix)"
        ),
        release: str | None = Parameter(default=None, description="only clusters seen in this release"),
        environment: str | None = Parameter(default=None, description="only clusters seen in this environment"),
        text: str | None = Parameter(
            query="query", default=None, max_length=200, description="only clusters whose title or culprit holds this"
        ),
        owner: str | None = Parameter(
            default=None, max_length=254,
            description="only clusters this member owns (their e-mail), or nobody owns (none)",
        ),
        sort: Sort = Parameter(default="last_seen", description="highest first by this key (trending: events in the last 24 hours)"),
        limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> ClustersPage:
        """A project's clusters (merged-away ones hidden), a page at a time."""
        pool, org = caller(request)
        return await clusters.list_clusters(
            pool, org, project_id, status=status, release=release, environment=environment, query=text, owner=owner, sort=sort,
            limit=limit, cursor_=cursor,
        )

    @get("/clusters/{cluster_id:int}")
    async def get_cluster(self, request: Request_, project_id: int, cluster_id: int) -> ClusterDetailOut:
        """A cluster, with its fingerprints, releases, environments, merges, notes and latest events beside."""
        pool, org = caller(request)
        return await clusters.get_cluster(pool, org, project_id, cluster_id)

    @patch("/clusters/{cluster_id:int}")
    async def update_cluster(
        self, request: Request_, project_id: int, cluster_id: int, data: ClusterUpdate
    ) -> ClusterDetailOut:
        """Resolve (now, ``resolved_in``, ``resolved_in_next``), ignore (``ignore_until``) or reopen; set or clear the
        ``owner`` (a member's e-mail, or null); answers as GET does."""
        pool, org = caller(request)
        return await clusters.update_cluster(pool, org, project_id, cluster_id, data, actor=f"token:{request.state.caller.token_id}")

    @post("/clusters/{cluster_id:int}/merge", status_code=200)
    async def merge(self, request: Request_, project_id: int, cluster_id: int, data: ClusterMerge) -> MergeResult:
        """Fold the listed clusters into this one; their future events follow."""
        pool, org = caller(request)
        return await clusters.merge(pool, org, project_id, cluster_id, data)

    @post("/clusters/{cluster_id:int}/unmerge", status_code=200)
    async def unmerge(self, request: Request_, project_id: int, cluster_id: int, data: ClusterMerge) -> MergeResult:
        """Split the listed clusters back out; the events of their hashes go with them."""
        pool, org = caller(request)
        return await clusters.unmerge(pool, org, project_id, cluster_id, data)

    @get("/grouping-config")
    async def get_grouping_config(self, request: Request_, project_id: int) -> GroupingConfig:
        pool, org = caller(request)
        return await grouping.get_config(pool, org, project_id)

    @put("/grouping-config", opt={"scope": "admin"})
    async def put_grouping_config(self, request: Request_, project_id: int, data: GroupingConfig) -> GroupingConfig:
        """Replace the project's fingerprint and in-app rules; run ``crashdesk regroup`` to apply them to past events."""
        pool, org = caller(request)
        return await grouping.put_config(pool, org, project_id, data)
