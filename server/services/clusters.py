"""Clusters: pages, detail (the cluster plus its stats beside it), status, merge and unmerge."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from server.db import cluster_admin
from server.db.clusters import Conn
from server.errors import Invalid, NotFound
from server.services import cluster_owners, cursor, projects, resolution
from server.services.resolution import ClusterStatusUpdate, IgnoreUntilIn
from server.services.wire import Id

Status = Literal["unresolved", "resolved", "ignored"]
ListStatus = Literal["unresolved", "resolved", "ignored", "regressed"]  # regressed: unresolved again after a fix
Sort = Literal["last_seen", "first_seen", "count", "users", "trending"]  # trending: most events in the last 24 hours
TRENDING_WINDOW = dt.timedelta(hours=24)


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
    owner: str | None  # the e-mail of the member who owns it (null: nobody)


class FingerprintOut(msgspec.Struct, frozen=True):
    hash: str
    cluster_id: int  # the cluster that owns it (a merged cluster keeps its own)
    config_id: str
    origin: str
    score: float | None
    created_at: dt.datetime


class ReleaseStatOut(msgspec.Struct, frozen=True):
    release: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime


class EnvironmentStatOut(msgspec.Struct, frozen=True):
    environment: str
    count: int


class MergedOut(msgspec.Struct, frozen=True):
    id: int
    title: str


class NoteOut(msgspec.Struct, frozen=True):
    note: str  # what symbolication or parsing noted (a missing artifact, ...)
    events: int  # among the cluster's 200 latest events


class LatestEventOut(msgspec.Struct, frozen=True):
    event_id: str
    occurred_at: dt.datetime | None
    release: str | None


class ClusterDetailOut(ClusterOut, frozen=True):
    """A cluster's own fields, and beside them what explains it."""

    fingerprints: list[FingerprintOut]
    releases: list[ReleaseStatOut]
    environments: list[EnvironmentStatOut]
    merged: list[MergedOut]
    notes: list[NoteOut]
    latest_events: list[LatestEventOut]


class ClustersPage(msgspec.Struct, frozen=True):
    clusters: list[ClusterOut]
    next_cursor: str | None


class ClusterUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``PATCH .../clusters/{cid}``: a status change (as ``ClusterStatusUpdate``), an owner, or both."""

    status: Status | UnsetType = UNSET
    resolved_in: str | None = None
    resolved_in_next: bool = False
    ignore_until: IgnoreUntilIn | None = None
    owner: str | None | UnsetType = UNSET  # a member's e-mail; null: nobody; absent: unchanged

    def status_change(self) -> ClusterStatusUpdate | None:
        if isinstance(self.status, UnsetType):
            for name in ("resolved_in", "resolved_in_next", "ignore_until"):
                if getattr(self, name) not in (None, False):
                    raise Invalid(f"{name} goes with a status", name)
            return None
        return ClusterStatusUpdate(self.status, self.resolved_in, self.resolved_in_next, self.ignore_until)


class ClusterMerge(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cluster_ids: list[Id]


class MergeResult(msgspec.Struct, frozen=True):
    cluster_id: int
    cluster_ids: list[int]  # those actually merged or split (others were not there)


class DailyCounts(msgspec.Struct, frozen=True):
    """Events per day of a page of clusters, oldest day first (what the list's sparklines draw)."""

    days: list[dt.date]
    counts: dict[int, list[int]]  # cluster id -> one count per day


def _out(row: Any, kind: type[ClusterOut] = ClusterOut, **extra: Any) -> Any:
    return kind(**{f: row[f] for f in ClusterOut.__struct_fields__}, **extra)


async def list_clusters(
    conn: Conn,
    organization_id: int,
    project_id: int,
    *,
    status: ListStatus | None = None,
    release: str | None = None,
    environment: str | None = None,
    query: str | None = None,
    owner: str | None = None,
    sort: Sort = "last_seen",
    limit: int = 50,
    cursor_: str | None = None,
    now: dt.datetime | None = None,
) -> ClustersPage:
    """``query`` keeps clusters whose title or culprit holds it (any case); ``owner`` those a member owns
    (their e-mail) or, ``"none"``, those nobody owns."""
    await projects.require(conn, organization_id, project_id)
    owner_id = await cluster_owners.owner_filter(conn, organization_id, owner)
    counted = sort in ("count", "users", "trending")
    after: tuple[Any, int] | None = None
    if (key := cursor.decode(cursor_, 3)) is not None:
        if key[0] != sort:
            raise cursor.mismatch(f"sort={key[0]}")
        after = cursor.typed(key[1:], tuple[int, int] if counted else tuple[dt.datetime, int])
    since = (now or dt.datetime.now(dt.UTC)) - TRENDING_WINDOW
    rows = await cluster_admin.list_clusters(
        conn, project_id, status=status, release=release, environment=environment, sort=sort, limit=limit, after=after,
        query=query or None, since=since, owner=owner_id,
    )
    clusters = [_out(r) for r in rows]
    next_cursor = None
    if len(rows) == limit:
        value = rows[-1]["sort_key"]
        next_cursor = cursor.encode(sort, value if counted else value.isoformat(), clusters[-1].id)
    return ClustersPage(clusters, next_cursor)


async def daily_counts(
    conn: Conn, organization_id: int, project_id: int, cluster_ids: list[int], *, now: dt.datetime, days: int = 14
) -> DailyCounts:
    """Events per UTC day over the last ``days`` days (today included) for these clusters, in one query."""
    await projects.require(conn, organization_id, project_id)
    first = now.astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    counts = {cid: [0] * days for cid in cluster_ids}
    for row in await cluster_admin.daily_counts(conn, project_id, cluster_ids, since=since):
        if row["cluster_id"] in counts and 0 <= row["day"] < days:
            counts[row["cluster_id"]][row["day"]] = row["count"]
    return DailyCounts([first + dt.timedelta(days=i) for i in range(days)], counts)


async def get_cluster(conn: Conn, organization_id: int, project_id: int, cluster_id: int) -> ClusterDetailOut:
    await projects.require(conn, organization_id, project_id)
    row = await cluster_admin.get_cluster(conn, project_id, cluster_id)
    if row is None:
        raise NotFound("cluster", cluster_id)
    details = await cluster_admin.cluster_details(conn, cluster_id)
    kinds = {"fingerprints": FingerprintOut, "releases": ReleaseStatOut, "environments": EnvironmentStatOut,
             "merged": MergedOut, "notes": NoteOut, "latest_events": LatestEventOut}
    extra = {name: [kinds[name](**dict(r)) for r in rows] for name, rows in details.items()}
    return _out(row, ClusterDetailOut, **extra)  # type: ignore[no-any-return]


async def update_cluster(
    pool: Any, organization_id: int, project_id: int, cluster_id: int, change: ClusterUpdate | ClusterStatusUpdate,
    *, actor: str,
) -> ClusterDetailOut:
    """Change the status and/or the owner, all or nothing (each logs who and when); answers as ``get_cluster``."""
    if isinstance(change, ClusterStatusUpdate):
        status, owner = change, UNSET
    else:
        status, owner = change.status_change(), change.owner
        if status is None and isinstance(owner, UnsetType):
            raise Invalid("give a status, an owner or both", "status")
    async with pool.acquire() as conn, conn.transaction():
        if status is not None:
            await resolution.change_status(conn, organization_id, project_id, cluster_id, status, actor=actor,
                                           now=dt.datetime.now(dt.UTC))
        if not isinstance(owner, UnsetType):
            await cluster_owners.set_owner(conn, organization_id, project_id, cluster_id, owner, actor=actor)
    return await get_cluster(pool, organization_id, project_id, cluster_id)


async def merge(pool: Any, organization_id: int, project_id: int, cluster_id: int, change: ClusterMerge) -> MergeResult:
    """Fold the listed clusters into this one; their future events follow."""
    await projects.require(pool, organization_id, project_id)
    async with pool.acquire() as conn, conn.transaction():
        target = await cluster_admin.get_cluster(conn, project_id, cluster_id)
        if target is None or target["merged_into"] is not None:
            raise NotFound("cluster", cluster_id)
        merged = await cluster_admin.merge(conn, project_id, cluster_id, change.cluster_ids)
    return MergeResult(cluster_id, merged)


async def unmerge(pool: Any, organization_id: int, project_id: int, cluster_id: int, change: ClusterMerge) -> MergeResult:
    """Split the listed clusters back out; the events of their hashes go with them."""
    await projects.require(pool, organization_id, project_id)
    async with pool.acquire() as conn, conn.transaction():
        split = await cluster_admin.unmerge(conn, project_id, cluster_id, change.cluster_ids)
    return MergeResult(cluster_id, split)
