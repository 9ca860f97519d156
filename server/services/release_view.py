"""The per-release view (what a release brought: clusters new, regressed, resolved in it,
its counts and health) and a cluster's releases (first, last, events per release)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from kb_link.sessions import Health, health
from server.db import release_view as view_sql
from server.db import releases as releases_sql
from server.db import tenancy
from server.db.clusters import Conn
from server.errors import NotFound
from server.services import cursor
from server.services.releases import DeployOut, ReleaseOut, release_out

Kind = Literal["seen", "new", "regressed", "resolved"]


class ReleaseDetailOut(ReleaseOut, frozen=True):
    """A release's own fields, and beside them what it brought and how healthy it is."""

    new_clusters: int  # first seen in this release
    regressed_clusters: int  # reopened by an event from this release
    resolved_clusters: int  # resolved in this release (their fix shipped here)
    health: Health  # from SDK sessions; crash-free rates in percent, null without sessions
    last_deploy: DeployOut | None


class ReleaseClusterOut(msgspec.Struct, frozen=True):
    id: int
    title: str
    culprit: str | None
    level: str | None
    status: str
    event_count: int  # all its events
    user_count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    first_release: str | None
    release_events: int  # its events in this release
    release_first_seen: dt.datetime | None
    release_last_seen: dt.datetime | None


class ReleaseClustersPage(msgspec.Struct, frozen=True):
    clusters: list[ReleaseClusterOut]
    next_cursor: str | None


class ClusterReleaseOut(msgspec.Struct, frozen=True):
    version: str
    events: int
    first_seen: dt.datetime
    last_seen: dt.datetime


class ClusterReleasesOut(msgspec.Struct, frozen=True):
    """A cluster's releases, newest version first (packages by name); its first and last release
    by version order, within the first package listed (the only one, in most projects)."""

    first_release: str | None
    last_release: str | None
    releases: list[ClusterReleaseOut]


async def _release(conn: Conn, organization_id: int, project_id: int, version: str) -> Any:
    await tenancy.project_in_org(conn, organization_id, project_id)
    row = await releases_sql.get(conn, project_id, version)
    if row is None:
        raise NotFound("release", version)
    return row


async def release_detail(
    conn: Conn, organization_id: int, project_id: int, version: str, environment: str | None = None
) -> ReleaseDetailOut:
    await tenancy.project_in_org(conn, organization_id, project_id)
    row = await view_sql.detail(conn, project_id, version, environment)
    if row is None:
        raise NotFound("release", version)
    return _detail_out(row)


def _detail_out(row: Any) -> ReleaseDetailOut:
    deploy = None
    if row["deploy_id"] is not None:
        deploy = DeployOut(row["deploy_id"], row["deploy_environment"], row["deploy_name"], row["deploy_url"],
                           row["deploy_started"], row["deploy_finished"])
    return ReleaseDetailOut(
        **msgspec.structs.asdict(release_out(row)),
        new_clusters=row["new"],
        regressed_clusters=row["regressed"],
        resolved_clusters=row["resolved"],
        health=health(int(row["sessions"]), int(row["errored"]), int(row["crashed"]), int(row["abnormal"]),
                      int(row["users"]), int(row["crashed_users"])),
        last_deploy=deploy,
    )


async def release_clusters(
    conn: Conn, organization_id: int, project_id: int, version: str, kind: Kind = "seen", *,
    limit: int = 50, cursor_: str | None = None,
) -> ReleaseClustersPage:
    """Clusters seen in the release (most recent there first), or new/regressed/resolved in it (newest first)."""
    row = await _release(conn, organization_id, project_id, version)
    return await _clusters_page(conn, project_id, row["id"], version, kind, limit=limit, cursor_=cursor_)


async def _clusters_page(
    conn: Conn, project_id: int, release_id: int, version: str, kind: Kind, *, limit: int, cursor_: str | None
) -> ReleaseClustersPage:
    key = cursor.decode(cursor_, 2)
    if kind == "seen":
        after = (dt.datetime.fromisoformat(str(key[0])), int(key[1])) if key else None
        rows = await view_sql.seen_in(conn, release_id, after=after, limit=limit)
    else:
        rows = await view_sql.marked_in(conn, project_id, release_id, version, kind,
                                        after=int(key[1]) if key else None, limit=limit)
    items = [ReleaseClusterOut(**{**dict(r), "release_events": r["release_events"] or 0}) for r in rows]
    next_cursor = None
    if len(items) == limit and items:
        last = items[-1]
        stamp = last.release_last_seen.isoformat() if kind == "seen" and last.release_last_seen else ""
        next_cursor = cursor.encode(stamp, last.id)
    return ReleaseClustersPage(items, next_cursor)


class ReleaseOverviewOut(msgspec.Struct, frozen=True):
    """A release page's reads together: the detail and the first page of each marked kind."""

    project: tenancy.Project
    release: ReleaseDetailOut
    new: ReleaseClustersPage
    regressed: ReleaseClustersPage
    resolved: ReleaseClustersPage


async def release_overview(
    pool: Any, organization_id: int, project_id: int, version: str, environment: str | None = None, *, limit: int = 25
) -> ReleaseOverviewOut:
    """``release_detail`` and the new, regressed and resolved lists on one connection, the tenancy
    check and the release lookup done once (five round trips where the separate calls need eleven)."""
    async with pool.acquire() as conn:
        project = await tenancy.project_in_org(conn, organization_id, project_id)
        row = await view_sql.detail(conn, project_id, version, environment)
        if row is None:
            raise NotFound("release", version)
        new, regressed, resolved = [
            await _clusters_page(conn, project_id, row["id"], version, kind, limit=limit, cursor_=None)
            for kind in ("new", "regressed", "resolved")
        ]
    return ReleaseOverviewOut(project, _detail_out(row), new, regressed, resolved)


async def cluster_releases(
    conn: Conn, organization_id: int, project_id: int, cluster_id: int, limit: int = 500
) -> ClusterReleasesOut:
    await tenancy.project_in_org(conn, organization_id, project_id)
    if not await view_sql.cluster_exists(conn, project_id, cluster_id):
        raise NotFound("cluster", cluster_id)
    rows = await view_sql.releases_of_cluster(conn, cluster_id, limit)
    package_rows = [r for r in rows if r["package"] == rows[0]["package"]] if rows else []
    return ClusterReleasesOut(
        first_release=package_rows[-1]["version"] if package_rows else None,
        last_release=package_rows[0]["version"] if package_rows else None,
        releases=[ClusterReleaseOut(r["version"], r["events"], r["first_seen"], r["last_seen"]) for r in rows],
    )
