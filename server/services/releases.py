"""Releases of a project: create, read, list newest version first, set the released date, deploys.

Used by the JSON API, the CLI and other helpers (sentry-tooling calls ``create_release``,
``finalize`` and ``add_deploy``). A release is addressed by its version string, never by a
path segment, so names with ``/`` work everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec

from kb_link.versions import parse
from server.db import releases as releases_sql
from server.db import tenancy
from server.db.clusters import Conn
from server.errors import Invalid, NotFound
from server.services import cursor

MAX_VERSION = 250


class ReleaseOut(msgspec.Struct, frozen=True):
    id: int
    version: str
    package: str  # '' when the version has no ``package@``
    number: str  # the version without package and build
    build: str | None
    scheme: str  # semver, pep440, calver or unparsed
    parsed: bool  # False: ordered by first sight, after the package's parsed versions
    created_at: dt.datetime
    first_event: dt.datetime | None
    last_event: dt.datetime | None
    released_at: dt.datetime | None
    environments: list[str]
    event_count: int
    user_count: int
    cluster_count: int


class ReleasesPage(msgspec.Struct, frozen=True):
    releases: list[ReleaseOut]
    next_cursor: str | None


class ReleaseCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    released_at: dt.datetime | None = None


class ReleaseUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``released_at``: a date, or null to clear it; ``released: true`` means now (finalize)."""

    released_at: dt.datetime | None | msgspec.UnsetType = msgspec.UNSET
    released: bool = False


class DeployCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    environment: str
    name: str | None = None
    url: str | None = None
    date_started: dt.datetime | None = None
    date_finished: dt.datetime | None = None


class DeployOut(msgspec.Struct, frozen=True):
    id: int
    environment: str
    name: str | None
    url: str | None
    date_started: dt.datetime | None
    date_finished: dt.datetime


class DeploysPage(msgspec.Struct, frozen=True):
    deploys: list[DeployOut]  # newest first, the latest 50
    next_cursor: str | None


def release_out(row: Any) -> ReleaseOut:
    return ReleaseOut(
        id=row["id"],
        version=row["version"],
        package=row["package"],
        number=row["number"],
        build=row["build"],
        scheme=row["scheme"],
        parsed=row["sort_key"] != "0",
        created_at=row["created_at"],
        first_event=row["first_event"],
        last_event=row["last_event"],
        released_at=row["released_at"],
        environments=list(row["environments"]),
        event_count=row["event_count"],
        user_count=row["user_count"],
        cluster_count=row["cluster_count"],
    )


def check_version(version: str, field: str = "version") -> str:
    """A usable release name, or ``Invalid`` saying why (the SDKs' own limits, roughly)."""
    if not version or not version.strip():
        raise Invalid("a release version must not be empty", field)
    if len(version) > MAX_VERSION:
        raise Invalid(f"a release version is at most {MAX_VERSION} characters, this one has {len(version)}", field)
    if "\x00" in version or "\n" in version or "\r" in version:
        raise Invalid("a release version must not contain NUL or line breaks", field)
    return version


async def create_release(
    conn: asyncpg.Connection, organization_id: int, project_id: int, version: str, released_at: dt.datetime | None = None
) -> tuple[ReleaseOut, bool]:
    """Create the release (or return the existing one; a given date is then set). True if created now."""
    from server.services.resolution import assign_next_release  # resolution reads releases too

    await tenancy.project_in_org(conn, organization_id, project_id)
    v = parse(check_version(version))
    async with conn.transaction():
        row, created = await releases_sql.create(conn, project_id, v, released_at)
        if created:
            await assign_next_release(conn, project_id, [row], actor="system")
        if released_at is not None:
            await finalize(conn, organization_id, project_id, v.raw, released_at)
            row = await releases_sql.get(conn, project_id, v.raw)
    return release_out(row), created


async def get_release(conn: Conn, organization_id: int, project_id: int, version: str) -> ReleaseOut:
    await tenancy.project_in_org(conn, organization_id, project_id)
    row = await releases_sql.get(conn, project_id, version)
    if row is None:
        raise NotFound("release", version)
    return release_out(row)


async def list_releases(
    conn: Conn, organization_id: int, project_id: int, *, package: str | None = None, limit: int = 50,
    cursor_: str | None = None,
) -> ReleasesPage:
    """Newest version first within a package; unparsed versions after the parsed ones, newest seen first."""
    await tenancy.project_in_org(conn, organization_id, project_id)
    after = cursor.decode(cursor_, 3)
    key = (str(after[0]), str(after[1]), int(after[2])) if after else None
    rows = await releases_sql.page(conn, project_id, package=package, after=key, limit=limit)
    more = len(rows) == limit
    last = rows[-1] if rows else None
    return ReleasesPage(
        [release_out(r) for r in rows],
        cursor.encode(last["package"], last["sort_key"], last["id"]) if more and last is not None else None,
    )


async def update_release(
    conn: Conn, organization_id: int, project_id: int, version: str, change: ReleaseUpdate, now: dt.datetime
) -> ReleaseOut:
    await tenancy.project_in_org(conn, organization_id, project_id)
    if change.released and change.released_at is not msgspec.UNSET:
        raise Invalid("give either released: true (now) or released_at, not both", "released")
    if change.released:
        await finalize(conn, organization_id, project_id, version, now, now=now)
    elif change.released_at is not msgspec.UNSET:
        if change.released_at is None:
            if not await releases_sql.set_released(conn, project_id, version, None):
                raise NotFound("release", version)
        else:
            await finalize(conn, organization_id, project_id, version, change.released_at, now=now)
    return await get_release(conn, organization_id, project_id, version)


async def finalize(
    conn: Conn, organization_id: int, project_id: int, version: str, when: dt.datetime, *, now: dt.datetime | None = None
) -> None:
    """Mark the release as released at ``when`` (``sentry-cli releases finalize``); the tickets of
    clusters fixed in it learn that the fix is available (``services.ticket_fixes``)."""
    from server.services.ticket_fixes import release_finalized  # tickets read releases, not the reverse

    await tenancy.project_in_org(conn, organization_id, project_id)
    if not await releases_sql.set_released(conn, project_id, version, when):
        raise NotFound("release", version)
    row = await releases_sql.get(conn, project_id, version)
    await release_finalized(conn, organization_id, project_id, row["id"], version, now=now or when)


async def add_deploy(
    conn: Conn, organization_id: int, project_id: int, version: str, deploy: DeployCreate
) -> DeployOut:
    release = await get_release(conn, organization_id, project_id, version)
    if not deploy.environment.strip() or "\x00" in deploy.environment:
        raise Invalid("a deploy needs an environment name", "environment")
    row = await releases_sql.add_deploy(
        conn, release.id, deploy.environment, deploy.name, deploy.url, deploy.date_started, deploy.date_finished
    )
    return DeployOut(**dict(row))


async def list_deploys(conn: Conn, organization_id: int, project_id: int, version: str) -> list[DeployOut]:
    release = await get_release(conn, organization_id, project_id, version)
    return [DeployOut(**dict(r)) for r in await releases_sql.deploys(conn, release.id)]
