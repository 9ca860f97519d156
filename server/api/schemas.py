"""Wire structs of the read API, named by what they carry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class ProjectOut(msgspec.Struct, frozen=True):
    id: int
    organization: str
    slug: str
    name: str
    platform: str | None
    dsn: list[str]


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


class AttachmentOut(msgspec.Struct, frozen=True):
    name: str
    content_type: str | None
    attachment_type: str | None
    size: int


class EventOut(msgspec.Struct, frozen=True):
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
    normalized: dict[str, Any] | None
    exception: list[dict[str, Any]]
    message: str | None
    payload: dict[str, Any] | None
    attachments: list[AttachmentOut]


class EventPage(msgspec.Struct, frozen=True):
    events: list[EventSummaryOut]
    next_cursor: int | None


class HealthOut(msgspec.Struct, frozen=True):
    status: str
    events: dict[str, int]
