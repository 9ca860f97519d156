"""Status changes that events bring: regressions of resolved clusters, ends of ignores.

Only clusters that are resolved or ignored are read and locked, and only when the release
stage's counting statement reported some, so a batch for unresolved clusters costs nothing here. The decisions are the
pure rules of ``kb_link.resolution``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import asyncpg

from kb_link.resolution import IgnoreUntil, ReleaseRef, ignore_over, is_next_release, is_regression
from kb_link.versions import parse
from server.db import resolution as resolution_sql
from server.db.resolution import Activity
from server.services import cluster_events
from server.stages.work import Work

_REOPENED: dict[str, Any] = {
    "status": "unresolved", "resolved_in_release_id": None, "resolved_in_next": False, "resolved_at": None,
    "ignore_until_events": None, "ignore_until_users": None, "ignore_until_date": None,
}


async def judge_batch(
    conn: asyncpg.Connection, batch: list[Work], known: dict[int, Any], now: dt.datetime, flagged: set[int]
) -> None:
    """``flagged``: clusters reached by new events that were resolved or ignored."""
    arrivals: dict[int, list[Work]] = defaultdict(list)
    for w in batch:
        if w.cluster_id in flagged and w.previous_cluster_id != w.cluster_id:
            arrivals[w.cluster_id].append(w)
    if not arrivals:
        return
    activity: list[Activity] = []
    older: list[tuple[int, int, str]] = []
    for state in await resolution_sql.states_to_check(conn, list(arrivals)):
        works = sorted(arrivals[state["id"]], key=lambda w: w.when)
        if state["status"] == "resolved":
            await _judge_resolved(conn, state, works, known, activity, older)
        elif state["status"] == "ignored":
            until = IgnoreUntil(state["ignore_until_events"], state["ignore_until_users"], state["ignore_until_date"])
            if ignore_over(until, events=state["event_count"], users=state["user_count"], now=now):
                await resolution_sql.write_state(conn, state["id"], **_REOPENED)
                activity.append(Activity(state["id"], state["project_id"], "system", "unignored", "ignored", "unresolved",
                                         works[-1].event.release if works[-1].event else None,
                                         {"ignore_until": {"events": until.events, "users": until.users,
                                                           "date": until.date.isoformat() if until.date else None}}))
    if older:
        await resolution_sql.add_older(conn, older)
    await resolution_sql.log(conn, activity)


async def _judge_resolved(
    conn: asyncpg.Connection, state: Any, works: list[Work], known: dict[int, Any],
    activity: list[Activity], older: list[tuple[int, int, str]],
) -> None:
    """The first event at or after the fix reopens the cluster; earlier ones count as older."""
    fixed = ReleaseRef(parse(state["resolved_in"]), state["resolved_in_release_id"]) if state["resolved_in"] else None
    waiting = state["resolved_in_next"] and fixed is None
    seen_older, last_older = 0, ""
    for w in works:
        if state["resolved_at"] is not None and w.received_at < state["resolved_at"]:
            continue  # reported before the resolution, processed after: not news
        release = known.get(w.row_id)
        ref = ReleaseRef(release.version, release.id) if release is not None else None
        if waiting:
            reopens = ref is None or is_next_release(
                ref, after_seen=state["next_after_release_id"], after_key=state["next_after_key"], package=state["next_package"]
            )
        else:
            reopens = is_regression(fixed, ref)
        if not reopens:
            seen_older, last_older = seen_older + 1, release.version.raw if release is not None else ""
            continue
        name = w.event.release if w.event else None
        await resolution_sql.write_state(conn, state["id"], **_REOPENED, regressed_in_release=name, regressed_at=w.when)
        await cluster_events.cluster_regressed(conn, state["id"], name, now=w.when)  # webhooks, stale articles
        activity.append(Activity(state["id"], state["project_id"], "system", "regression", "resolved", "unresolved", name,
                                 {"resolved_in": state["resolved_in"], "event_id": w.event_id, "event_time": w.when.isoformat()}))
        break
    if seen_older:
        older.append((state["id"], seen_older, last_older))
