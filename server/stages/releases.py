"""Release stage: after grouping, create the releases a batch names and add its counts.

Runs in the processing transaction, after ``group_batch`` (so each event has its cluster
and the cluster counters are applied) and before the events are marked processed. Per
batch it costs a few statements, none per event: releases the process has seen are
cached, so the usual batch touches only counters. Regression decisions follow here too
(``server.stages.regressions``), since they need each event's release.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import asyncpg
import msgspec

from kb_link.versions import Version, parse
from server.db import releases as releases_sql
from server.db import resolution as resolution_sql
from server.services.resolution import assign_next_release
from server.stages.work import Work

_CACHE_MAX = 20_000
MAX_VERSION = 250  # as services.releases.MAX_VERSION


class KnownRelease(msgspec.Struct, frozen=True):
    id: int
    version: Version


class ReleaseCache:
    """(project id, version string) -> release id and parsed version, per processor.

    Release rows are never renumbered, so a cached id stays right; the cache is only
    cleared when it grows past its bound.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], KnownRelease] = {}

    def get(self, project_id: int, version: str) -> KnownRelease | None:
        return self._known.get((project_id, version))

    def put(self, project_id: int, row: Any) -> KnownRelease:
        if len(self._known) >= _CACHE_MAX:
            self._known.clear()
        known = self._known[(project_id, row["version"])] = KnownRelease(row["id"], parse(row["version"]))
        return known


async def ensure_releases(conn: asyncpg.Connection, wanted: dict[int, set[str]], cache: ReleaseCache) -> None:
    """Create (and cache) the releases named, per project; new ones may be a "next release"."""
    for project_id, versions in sorted(wanted.items()):
        missing = [v for v in sorted(versions) if cache.get(project_id, v) is None]
        if not missing:
            continue
        rows, created = await releases_sql.ensure(conn, project_id, [parse(v) for v in missing])
        for row in rows:
            cache.put(project_id, row)
        if created:
            await assign_next_release(conn, project_id, [r for r in rows if r["id"] in created], actor="system")


async def releases_of(conn: asyncpg.Connection, batch: list[Work], cache: ReleaseCache) -> dict[int, KnownRelease]:
    """Release of each event (by row id), creating releases first named in this batch."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for w in batch:
        name = w.event.release if w.event is not None else None
        # a name too long to be a release (the index could not hold it) stays on the event only
        if name and len(name) <= MAX_VERSION and cache.get(w.project_id, name) is None:
            wanted[w.project_id].add(name)
    await ensure_releases(conn, wanted, cache)
    out = {}
    for w in batch:
        if w.event is not None and w.event.release:
            known = cache.get(w.project_id, w.event.release)
            if known is not None:
                out[w.row_id] = known
    return out


async def count_batch(conn: asyncpg.Connection, batch: list[Work], known: dict[int, KnownRelease]) -> set[int]:
    """Add events, users, environments and clusters per release; return the clusters the batch's
    new events reached that are resolved or ignored (in the same round trip), for the judge.

    An event counts toward its release once, on its first processing; an event that
    moved to another cluster on a later processing moves its release-cluster count
    (the old cluster's counts are rebuilt by ``clusters.recompute``).
    """
    totals: dict[int, list[Any]] = {}
    environments: set[tuple[int, str]] = set()
    users: set[tuple[int, str]] = set()
    per_cluster: dict[tuple[int, int], list[Any]] = {}
    for w in batch:
        release = known.get(w.row_id)
        if release is None or w.cluster_id is None or w.event is None:
            continue
        when = w.when
        total = totals.setdefault(release.id, [0, None, None])
        if w.previous_cluster_id is None:
            total[0] += 1
            total[1] = when if total[1] is None else min(total[1], when)
            total[2] = when if total[2] is None else max(total[2], when)
            if w.event.environment:
                environments.add((release.id, w.event.environment))
            if w.user_key:
                users.add((release.id, w.user_key))
        if w.previous_cluster_id != w.cluster_id:
            stat = per_cluster.setdefault((release.id, w.cluster_id), [0, when, when])
            stat[0] += 1
            stat[1], stat[2] = min(stat[1], when), max(stat[2], when)
    arrivals = sorted({w.cluster_id for w in batch if w.cluster_id is not None and w.previous_cluster_id != w.cluster_id})
    if not totals:
        return await resolution_sql.not_unresolved(conn, arrivals) if arrivals else set()
    return await releases_sql.add_batch(
        conn,
        [(rid, n, a, b) for rid, (n, a, b) in totals.items()],
        sorted(environments),
        sorted(users),
        [(rid, cid, n, a, b) for (rid, cid), (n, a, b) in per_cluster.items()],
        arrivals,
    )


async def release_batch(conn: asyncpg.Connection, batch: list[Work], cache: ReleaseCache, now: dt.datetime) -> None:
    """The whole stage: releases, counts, then status changes the events bring."""
    from server.stages.regressions import judge_batch

    known = await releases_of(conn, batch, cache)
    flagged = await count_batch(conn, batch, known)
    if flagged:
        await judge_batch(conn, batch, known, now, flagged)
