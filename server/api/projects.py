"""Project and event routes: the organization's projects (with DSNs) and each project's events."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from server.api.auth import caller, require_token
from server.services import events, projects
from server.services.events import EventFilter, EventOut, EventsPage, EventStatus
from server.services.projects import ProjectsPage
from server.services.wire import DEFAULT_LIMIT, MAX_LIMIT

Request_ = Request[Any, Any, Any]


class ProjectController(Controller):
    path = "/api/0/projects"
    guards = [require_token]
    tags = ["projects"]

    @get("/")
    async def list_projects(
        self,
        request: Request_,
        limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> ProjectsPage:
        """The token's organization's projects, each with its DSNs."""
        pool, org = caller(request)
        base = request.app.state.public_url or str(request.base_url).rstrip("/")
        return await projects.list_projects(pool, org, base_url=base, limit=limit, cursor_=cursor)

    @get("/{project_id:int}/events/", tags=["events"])
    async def list_events(
        self,
        request: Request_,
        project_id: int,
        release: str | None = Parameter(default=None, description="only events of this release"),
        environment: str | None = Parameter(default=None, description="only events of this environment"),
        status: EventStatus | None = Parameter(default=None, description="only events in this processing state"),
        cluster_id: int | None = Parameter(default=None, ge=1, description="only events of this cluster"),
        limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> EventsPage:
        """A project's events, newest first."""
        pool, org = caller(request)
        filters = EventFilter(release=release, environment=environment, status=status, cluster_id=cluster_id)
        return await events.list_events(pool, org, project_id, filters=filters, limit=limit, cursor_=cursor)

    @get("/{project_id:int}/events/{event_id:str}", tags=["events"])
    async def get_event(self, request: Request_, project_id: int, event_id: str) -> EventOut:
        """One event in full: payload as received, normalised form, grouping explanation, attachments."""
        pool, org = caller(request)
        return await events.get_event(pool, org, project_id, event_id)
