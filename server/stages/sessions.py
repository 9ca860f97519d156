"""Session stage: fold queued ``session``/``sessions`` items into hourly release health.

Runs in the worker beside event processing, in its own transaction, a batch at a time:
the ingest only queued the raw items, so its speed does not depend on this.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

import asyncpg
import msgspec

from kb_link.sessions import CRASHED, Dropped, SessionCounts, SessionUpdate, counts_delta, fold, read_session, read_sessions
from server.db import sessions as sessions_sql
from server.stages.releases import ReleaseCache, ensure_releases

log = logging.getLogger(__name__)
BATCH = 500


async def aggregate_sessions(conn: asyncpg.Connection, cache: ReleaseCache, limit: int = BATCH) -> int:
    """Fold up to ``limit`` queued items; returns how many were taken."""
    async with conn.transaction():
        rows = await sessions_sql.claim(conn, limit)
        if not rows:
            return 0
        updates: dict[int, list[SessionUpdate]] = defaultdict(list)
        buckets: dict[int, list[SessionCounts]] = defaultdict(list)
        dropped = 0
        for row in rows:
            got = _read(row)
            if isinstance(got, Dropped):
                dropped += 1
            elif isinstance(got, SessionUpdate):
                updates[row["project_id"]].append(got)
            else:
                buckets[row["project_id"]].extend(got)
        if dropped:
            log.info("release health: %d session item(s) dropped (unreadable or without a release)", dropped)
        wanted: dict[int, set[str]] = defaultdict(set)
        for project_id, items in [*updates.items(), *buckets.items()]:
            wanted[project_id].update(i.release for i in items)
        await ensure_releases(conn, wanted, cache)
        counts: dict[tuple[int, str, dt.datetime], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        users: list[tuple[int, str, dt.datetime, str, bool]] = []
        for project_id, items in sorted(buckets.items()):
            for b in items:
                rid = _rid(cache, project_id, b.release)
                row4 = counts[(rid, b.environment, b.hour)]
                for i, n in enumerate((b.sessions, b.errored, b.abnormal, b.crashed)):
                    row4[i] += n
                if b.did:
                    users.append((rid, b.environment, b.hour, b.did, b.crashed > 0))
        for project_id, items in sorted(updates.items()):
            await _fold_updates(conn, cache, project_id, items, counts, users)
        if counts:
            await sessions_sql.add_counts(conn, [(*k, *v) for k, v in counts.items() if any(v)])
        if users:
            await sessions_sql.add_users(conn, users)
    return len(rows)


async def _fold_updates(
    conn: asyncpg.Connection, cache: ReleaseCache, project_id: int, items: list[SessionUpdate],
    counts: dict[tuple[int, str, dt.datetime], list[int]], users: list[tuple[int, str, dt.datetime, str, bool]],
) -> None:
    """Only a change of a session's worst state moves the counts (first sight adds a session)."""
    latest = fold(items)
    old = await sessions_sql.states(conn, project_id, list(latest))
    writes = []
    for sid, u in latest.items():
        before = old.get(sid)
        # a session stays in the release, environment and hour it started in
        rid = before["release_id"] if before else _rid(cache, project_id, u.release)
        env, hour = (before["environment"], before["hour"]) if before else (u.environment, u.hour)
        state = max(u.state, before["state"]) if before else u.state
        if before is not None and state == before["state"] and (before["did"] or not u.did):
            continue
        delta = counts_delta(before["state"] if before else None, state)
        row4 = counts[(rid, env, hour)]
        for i, n in enumerate(delta):
            row4[i] += n
        did = (before["did"] if before else None) or u.did
        writes.append((project_id, sid, rid, env, hour, did, state))
        if did:
            users.append((rid, env, hour, did, state == CRASHED))
    if writes:
        await sessions_sql.put_states(conn, writes)


def _rid(cache: ReleaseCache, project_id: int, release: str) -> int:
    known = cache.get(project_id, release)
    assert known is not None  # ensure_releases put it there
    return known.id


def _read(row: Any) -> SessionUpdate | list[SessionCounts] | Dropped:
    try:
        data = msgspec.json.decode(row["payload"])
    except (msgspec.DecodeError, RecursionError):
        return Dropped("not JSON")
    if row["item_type"] == "session":
        return read_session(data, row["received_at"])
    return read_sessions(data, row["received_at"])
