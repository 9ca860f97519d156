"""Events: a project's pages (filtered) and one event in full, with its payload and grouping."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec
import zstandard

from server.db import events as events_sql
from server.db.clusters import Conn
from server.errors import Invalid, NotFound
from server.services import cursor, projects

EventStatus = Literal["pending", "processed", "failed"]

_dctx = zstandard.ZstdDecompressor()


class EventSummaryOut(msgspec.Struct, frozen=True):
    event_id: str
    project_id: int
    status: str
    received_at: dt.datetime
    occurred_at: dt.datetime | None
    title: str | None
    platform: str | None
    level: str | None
    release: str | None
    environment: str | None
    failure: str | None
    cluster_id: int | None


class AttachmentOut(msgspec.Struct, frozen=True):
    name: str
    content_type: str | None
    attachment_type: str | None
    size: int


class EventOut(EventSummaryOut, frozen=True):
    """One event in full: the summary's fields, and beside them its contents and grouping explanation."""

    normalized: dict[str, Any] | None
    exception: list[dict[str, Any]]
    message: str | None
    payload: dict[str, Any] | None
    attachments: list[AttachmentOut]
    grouping: dict[str, Any] | None
    notes: list[str]


class EventsPage(msgspec.Struct, frozen=True):
    events: list[EventSummaryOut]
    next_cursor: str | None


class EventFilter(msgspec.Struct, frozen=True):
    release: str | None = None
    environment: str | None = None
    status: EventStatus | None = None
    cluster_id: int | None = None


_SUMMARY_FIELDS = EventSummaryOut.__struct_fields__


def _summary(row: Any) -> EventSummaryOut:
    return EventSummaryOut(**{f: row[f] for f in _SUMMARY_FIELDS})


async def list_events(
    conn: Conn, organization_id: int, project_id: int, *, filters: EventFilter, limit: int, cursor_: str | None = None
) -> EventsPage:
    """Newest first; the filters combine (all must hold)."""
    await projects.require(conn, organization_id, project_id)
    key = cursor.decode(cursor_, 1)
    before_id = cursor.typed(key, tuple[int])[0] if key else None
    rows = await events_sql.list_events(
        conn, project_id, limit=limit, before_id=before_id, **msgspec.structs.asdict(filters)
    )
    next_cursor = cursor.encode(rows[-1]["id"]) if len(rows) == limit else None
    return EventsPage([_summary(r) for r in rows], next_cursor)


def parse_event_id(event_id: str) -> str:
    try:
        return uuid.UUID(event_id).hex
    except ValueError:
        raise Invalid(f"event id {event_id[:64]!r} is not 32 hex digits", "event_id") from None


async def get_event(conn: Conn, organization_id: int, project_id: int, event_id: str) -> EventOut:
    await projects.require(conn, organization_id, project_id)
    event_id = parse_event_id(event_id)
    row = await events_sql.get_event(conn, project_id, event_id)
    if row is None:
        raise NotFound("event", event_id)
    attachments = await events_sql.attachments_of(conn, project_id, event_id)
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


def _payload(blob: bytes) -> dict[str, Any] | None:
    try:
        data = msgspec.json.decode(_dctx.decompress(blob))
    except (msgspec.DecodeError, zstandard.ZstdError, RecursionError):
        return None
    return data if isinstance(data, dict) else {"value": data}


class BreadcrumbOut(msgspec.Struct, frozen=True):
    """One breadcrumb as the SDK recorded it, its fields made text (they arrive in many shapes)."""

    timestamp: str | None
    type: str | None
    category: str | None
    level: str | None
    message: str | None
    data: dict[str, Any]


MAX_BREADCRUMBS = 200


def breadcrumbs(payload: dict[str, Any] | None) -> list[BreadcrumbOut]:
    """The payload's breadcrumbs, oldest first (``{"values": [...]}`` or a bare list; junk skipped)."""
    raw = (payload or {}).get("breadcrumbs")
    if isinstance(raw, dict):
        raw = raw.get("values")
    if not isinstance(raw, list):
        return []
    out = []
    for crumb in raw[-MAX_BREADCRUMBS:]:
        if not isinstance(crumb, dict):
            continue
        data = crumb.get("data")
        out.append(BreadcrumbOut(
            timestamp=_text(crumb.get("timestamp")), type=_text(crumb.get("type")), category=_text(crumb.get("category")),
            level=_text(crumb.get("level")), message=_text(crumb.get("message")),
            data=data if isinstance(data, dict) else {},
        ))
    return out


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float):  # a unix timestamp
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC).isoformat(timespec="milliseconds")
        except (OverflowError, OSError, ValueError):
            return str(value)
    return str(value)[:2000]
