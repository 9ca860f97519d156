"""Handlers of the read API. They read through ``server.db``; no SQL here."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import zstandard
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.api.schemas import AttachmentOut, EventOut, EventPage, EventSummaryOut, HealthOut, ProjectOut
from server.db import events as events_sql
from server.db import tenancy
from server.dsn import dsn_for
from server.errors import NotFound

_dctx = zstandard.ZstdDecompressor()


@get("/api/0/health")
async def health(request: Request[Any, Any, Any]) -> HealthOut:
    """200 once the service accepts reports (database migrated, writers running)."""
    counts = await events_sql.status_counts(request.app.state.pool)
    return HealthOut(status="ok", events=counts)


class ProjectController(Controller):
    path = "/api/0/projects"
    guards = [require_token]

    @get("/")
    async def list_projects(self, request: Request[Any, Any, Any]) -> list[ProjectOut]:
        pool = request.app.state.pool
        out = []
        for project in await tenancy.projects_of(pool, organization_of(request)):
            keys = await tenancy.project_keys(pool, project.id)
            base = request.app.state.public_url or str(request.base_url).rstrip("/")
            out.append(ProjectOut(project.id, project.organization, project.slug, project.name, project.platform,
                                  [dsn_for(base, k, project.id) for k in keys]))
        return out

    @get("/{project_id:int}/events/")
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        project_id: int,
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: int | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> EventPage:
        pool = request.app.state.pool
        await project_of(request, project_id)
        rows = await events_sql.list_events(pool, project_id, limit=limit, before_id=cursor)
        events = [_summary(r) for r in rows]
        return EventPage(events=events, next_cursor=rows[-1]["id"] if len(rows) == limit else None)

    @get("/{project_id:int}/events/{event_id:str}")
    async def get_event(self, request: Request[Any, Any, Any], project_id: int, event_id: str) -> EventOut:
        pool = request.app.state.pool
        await project_of(request, project_id)
        try:
            event_id = uuid.UUID(event_id).hex
        except ValueError:
            raise ValidationException(f"event id {event_id[:64]!r} is not 32 hex digits") from None
        row = await events_sql.get_event(pool, project_id, event_id)
        if row is None:
            raise NotFoundException(f"event {event_id} not found in project {project_id}")
        attachments = await events_sql.attachments_of(pool, project_id, event_id)
        normalized = row["normalized"]
        return EventOut(
            **msgspec.structs.asdict(_summary(row)),
            normalized=normalized,
            exception=(normalized or {}).get("exceptions", []),
            message=(normalized or {}).get("message"),
            payload=_payload(row["payload"]),
            attachments=[AttachmentOut(**dict(a)) for a in attachments],
            grouping=row["grouping"],
            notes=list(row["notes"] or []),
        )


async def project_of(request: Request[Any, Any, Any], project_id: int) -> tenancy.Project:
    """The project, if it belongs to the token's organization; otherwise 404 (not 403: no probing)."""
    try:
        return await tenancy.project_in_org(request.app.state.pool, organization_of(request), project_id)
    except NotFound:
        raise NotFoundException(f"project {project_id} not found") from None


def _summary(row: Any) -> EventSummaryOut:
    return EventSummaryOut(
        event_id=row["event_id"],
        project_id=row["project_id"],
        status=row["status"],
        received_at=row["received_at"],
        occurred_at=row["occurred_at"],
        title=row["title"],
        platform=row["platform"],
        level=row["level"],
        release=row["release"],
        environment=row["environment"],
        failure=row["failure"],
        cluster_id=row["cluster_id"],
    )


def _payload(blob: bytes) -> dict[str, Any] | None:
    try:
        data = msgspec.json.decode(_dctx.decompress(blob))
    except (msgspec.DecodeError, zstandard.ZstdError, RecursionError):
        return None
    return data if isinstance(data, dict) else {"value": data}
