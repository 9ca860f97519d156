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
    cluster_id: int | None


class AttachmentOut(msgspec.Struct, frozen=True):
    name: str
    content_type: str | None
    attachment_type: str | None
    size: int


class EventOut(EventSummaryOut, frozen=True):
    """One event in full: what the summary says, plus its contents and grouping explanation."""

    normalized: dict[str, Any] | None
    exception: list[dict[str, Any]]
    message: str | None
    payload: dict[str, Any] | None
    attachments: list[AttachmentOut]
    grouping: dict[str, Any] | None
    notes: list[str]


class EventPage(msgspec.Struct, frozen=True):
    events: list[EventSummaryOut]
    next_cursor: int | None


class HealthOut(msgspec.Struct, frozen=True):
    status: str
    events: dict[str, int]


class ClusterOut(msgspec.Struct, frozen=True):
    id: int
    project_id: int
    title: str
    culprit: str | None
    level: str | None
    platform: str | None
    status: str
    regressed_in_release: str | None
    merged_into: int | None
    event_count: int
    user_count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    first_release: str | None
    last_release: str | None
    config_id: str
    resolved_in: str | None  # the release it is fixed in (null: resolved without one, or waiting for the next)
    resolved_in_next: bool  # resolved in the next release, which does not exist yet
    resolved_at: dt.datetime | None
    regressed_in: str | None
    regressed_at: dt.datetime | None
    seen_in_older_release: int  # events from releases older than the fix since it was resolved


class ClusterPage(msgspec.Struct, frozen=True):
    clusters: list[ClusterOut]
    next_offset: int | None


class ClusterDetailOut(msgspec.Struct, frozen=True):
    cluster: ClusterOut
    fingerprints: list[dict[str, Any]]
    releases: list[dict[str, Any]]
    environments: list[dict[str, Any]]
    merged: list[dict[str, Any]]
    notes: list[dict[str, Any]]  # what symbolication or parsing noted on recent events (missing artifacts, ...)
    latest_events: list[dict[str, Any]]


class ClusterUpdate(msgspec.Struct, frozen=True):
    status: str


class ClusterMerge(msgspec.Struct, frozen=True):
    cluster_ids: list[int]


class MergeResult(msgspec.Struct, frozen=True):
    cluster_id: int
    cluster_ids: list[int]
