"""The resolution workflow of a cluster: resolve (now, in a release, in the next release),
ignore (until events, users, a date, or for good), reopen; and the activity log.

A cluster's ``resolved_in`` release is the one source of "fixed in": ``fixed_in`` and
``is_fixed`` are what the knowledge base and the support lookup read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import asyncpg
import msgspec

from kb_link.resolution import ReleaseRef, fix_in, is_next_release
from kb_link.versions import parse
from server.db import releases as releases_sql
from server.db import resolution as resolution_sql
from server.db import tenancy
from server.db.clusters import Conn
from server.db.resolution import Activity
from server.errors import Invalid, NotFound
from server.services import cursor

Status = Literal["unresolved", "resolved", "ignored"]


class IgnoreUntilIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Exactly one of: N more events, N more users, or a date."""

    events: int | None = None
    users: int | None = None
    date: dt.datetime | None = None


class ClusterStatusUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``PATCH .../clusters/{cid}``."""

    status: Status
    resolved_in: str | None = None
    resolved_in_next: bool = False
    ignore_until: IgnoreUntilIn | None = None


class IgnoreUntilOut(msgspec.Struct, frozen=True):
    events: int | None  # the event count at which it comes back
    users: int | None
    date: dt.datetime | None


class Resolution(msgspec.Struct, frozen=True):
    """A cluster's status and what it was resolved in, ignored until, or regressed in."""

    status: str
    resolved_in: str | None
    resolved_in_next: bool  # waiting for the next release (resolved_in is null until it exists)
    resolved_at: dt.datetime | None
    ignore_until: IgnoreUntilOut | None
    regressed_in: str | None
    regressed_at: dt.datetime | None
    seen_in_older_release: int  # events from releases older than the fix (they did not reopen it)
    older_release: str | None


class ActivityOut(msgspec.Struct, frozen=True):
    id: int
    at: dt.datetime
    actor: str
    kind: str  # status, regression, resolved_in_next_release, unignored
    from_status: str | None
    to_status: str | None
    release: str | None
    detail: dict[str, Any]


class ActivityPage(msgspec.Struct, frozen=True):
    activity: list[ActivityOut]
    next_cursor: str | None


def resolution_of(row: Any) -> Resolution:
    ignored = row["status"] == "ignored"
    return Resolution(
        status=row["status"],
        resolved_in=row["resolved_in"],
        resolved_in_next=row["resolved_in_next"],
        resolved_at=row["resolved_at"],
        ignore_until=IgnoreUntilOut(row["ignore_until_events"], row["ignore_until_users"], row["ignore_until_date"])
        if ignored
        else None,
        regressed_in=row["regressed_in_release"],
        regressed_at=row["regressed_at"],
        seen_in_older_release=row["older_release_events"],
        older_release=row["older_release_last"],
    )


async def _state(conn: Conn, organization_id: int, project_id: int, cluster_id: int, lock: bool = False) -> Any:
    await tenancy.project_in_org(conn, organization_id, project_id)
    row = await resolution_sql.state(conn, project_id, cluster_id, lock=lock)
    if row is None:
        raise NotFound("cluster", cluster_id)
    return row


async def get_resolution(conn: Conn, organization_id: int, project_id: int, cluster_id: int) -> Resolution:
    return resolution_of(await _state(conn, organization_id, project_id, cluster_id))


_CLEARED: dict[str, Any] = {
    "resolved_in_release_id": None, "resolved_at": None, "resolved_in_next": False, "next_after_release_id": 0,
    "next_after_key": None, "next_package": None, "ignore_until_events": None, "ignore_until_users": None,
    "ignore_until_date": None,
}


async def change_status(
    conn: asyncpg.Connection, organization_id: int, project_id: int, cluster_id: int,
    change: ClusterStatusUpdate, *, actor: str, now: dt.datetime,
) -> Resolution:
    """Apply one status change and log it (who, when, from, to)."""
    _check(change)
    async with conn.transaction():
        row = await _state(conn, organization_id, project_id, cluster_id, lock=True)
        columns: dict[str, Any] = {**_CLEARED, "status": change.status}
        detail: dict[str, Any] = {}
        release = None
        if change.status == "resolved":
            columns.update(resolved_at=now, regressed_in_release=None, regressed_at=None)
            if change.resolved_in is not None:
                from server.services.releases import create_release

                out, _ = await create_release(conn, organization_id, project_id, change.resolved_in)
                columns["resolved_in_release_id"] = out.id
                release = detail["resolved_in"] = out.version
            elif change.resolved_in_next:
                package = _package_of(row["last_release"])
                if package is None:
                    known = await releases_sql.packages(conn, project_id)
                    package = known[0] if len(known) == 1 else None
                after_id, after_key = await releases_sql.newest(conn, project_id, package or "")
                columns.update(
                    resolved_in_next=True, next_after_release_id=after_id,
                    next_after_key=after_key if package is not None else None, next_package=package,
                )
                detail["resolved_in_next"] = True
        elif change.status == "ignored" and change.ignore_until is not None:
            until = change.ignore_until
            if until.events is not None:
                columns["ignore_until_events"] = row["event_count"] + until.events
            if until.users is not None:
                columns["ignore_until_users"] = row["user_count"] + until.users
            columns["ignore_until_date"] = until.date
            detail["ignore_until"] = msgspec.to_builtins(until)
        await resolution_sql.write_state(conn, cluster_id, **columns)
        await resolution_sql.log(
            conn, [Activity(cluster_id, project_id, actor, "status", row["status"], change.status, release, detail)]
        )
        if release is not None:
            from server.services.ticket_fixes import fix_already_out  # tickets read releases, not the reverse

            await fix_already_out(conn, organization_id, project_id, cluster_id, now=now)
        return resolution_of(await resolution_sql.state(conn, project_id, cluster_id))


def _check(change: ClusterStatusUpdate) -> None:
    if change.status != "resolved" and (change.resolved_in is not None or change.resolved_in_next):
        raise Invalid("resolved_in and resolved_in_next go with status resolved", "resolved_in")
    if change.resolved_in is not None and change.resolved_in_next:
        raise Invalid("give resolved_in or resolved_in_next, not both", "resolved_in_next")
    if change.resolved_in is not None:
        from server.services.releases import check_version

        check_version(change.resolved_in, "resolved_in")
    if change.ignore_until is not None:
        if change.status != "ignored":
            raise Invalid("ignore_until goes with status ignored", "ignore_until")
        given = [k for k in ("events", "users", "date") if getattr(change.ignore_until, k) is not None]
        if len(given) != 1:
            raise Invalid("ignore_until takes exactly one of events, users or date (or null: for good)", "ignore_until")
        for key in ("events", "users"):
            n = getattr(change.ignore_until, key)
            if n is not None and not 1 <= n <= 2**62:
                raise Invalid(f"ignore_until.{key} must be a positive count", f"ignore_until.{key}")


def _package_of(release: str | None) -> str | None:
    return parse(release).package if release else None


async def assign_next_release(conn: asyncpg.Connection, project_id: int, new_releases: Sequence[Any], *, actor: str) -> None:
    """Clusters resolved "in the next release" get the first new release that qualifies."""
    waiting = await resolution_sql.waiting_next(conn, project_id)
    if not waiting:
        return
    refs = sorted(((r["id"], r["version"], parse(r["version"])) for r in new_releases), key=lambda t: t[0])
    done: list[Activity] = []
    for cluster in waiting:
        for release_id, version, parsed in refs:
            ref = ReleaseRef(parsed, release_id)
            if is_next_release(ref, after_seen=cluster["next_after_release_id"], after_key=cluster["next_after_key"],
                               package=cluster["next_package"]):
                await resolution_sql.write_state(
                    conn, cluster["id"], resolved_in_release_id=release_id, resolved_in_next=False
                )
                done.append(Activity(cluster["id"], project_id, actor, "resolved_in_next_release", "resolved", "resolved",
                                     version, {"resolved_in": version}))
                break
    await resolution_sql.log(conn, done)


async def fixed_in(conn: Conn, organization_id: int, project_id: int, cluster_id: int) -> str | None:
    """The release a cluster is fixed in, or None (not resolved in a release, or regressed since)."""
    row = await _state(conn, organization_id, project_id, cluster_id)
    return row["resolved_in"] if row["status"] == "resolved" else None


async def is_fixed(conn: Conn, organization_id: int, project_id: int, cluster_id: int, version: str) -> bool | None:
    """Is the fix in ``version`` (a customer's, possibly bare)? None when nobody can say."""
    row = await _state(conn, organization_id, project_id, cluster_id)
    if row["status"] != "resolved" or row["resolved_in"] is None:
        return None
    packages = frozenset(await releases_sql.packages(conn, project_id))
    return fix_in(version, ReleaseRef(parse(row["resolved_in"]), row["resolved_in_release_id"]), packages)


async def activity(
    conn: Conn, organization_id: int, project_id: int, cluster_id: int, *, limit: int = 50, cursor_: str | None = None
) -> ActivityPage:
    """Newest first."""
    await _state(conn, organization_id, project_id, cluster_id)
    after = cursor.decode(cursor_, 1)
    rows = await resolution_sql.activity(conn, cluster_id, before_id=int(after[0]) if after else None, limit=limit)
    items = [ActivityOut(**dict(r)) for r in rows]
    return ActivityPage(items, cursor.encode(items[-1].id) if len(items) == limit and items else None)

