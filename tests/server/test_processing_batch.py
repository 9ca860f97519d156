"""Processing batches on a real database: racing workers, exactly-once, round trips per batch."""

from __future__ import annotations

import asyncio
import json
import uuid

import zstandard

from server.database import connect
from server.db import tenancy
from server.migrate import migrate
from server.settings import Settings
from server.worker import Processor

_zstd = zstandard.ZstdCompressor(level=1)


KINDS = ("Lookup", "Value", "Type", "Key", "Index", "Attribute", "Runtime", "Permission", "Timeout", "Connection")


def _payload(bug: int, n: int) -> dict:
    """Event ``n`` of bug ``bug`` (one of ten unrelated ones), with ids in the message that vary."""
    kind = KINDS[bug]
    return {
        "platform": "python",
        "release": f"app@1.{n % 3}.0",
        "environment": "production",
        "user": {"id": f"u{n % 7}"},
        "exception": {"values": [{
            "type": f"{kind}Error",
            "value": f"{kind.lower()} {1000 + n} failed at {n * 977:#x}",
            "stacktrace": {"frames": [
                {"module": "app.views", "function": "handle", "filename": "app/views.py", "lineno": 10, "in_app": True,
                 "context_line": "return dispatch(request)"},
                {"module": f"app.{kind.lower()}s", "function": f"check_{kind.lower()}", "lineno": 3, "in_app": True,
                 "filename": f"app/{kind.lower()}s.py", "context_line": f"raise {kind}Error(state.{kind.lower()}_{bug})"},
            ]},
        }]},
    }


async def _insert(conn, project_id: int, payloads: list[dict]) -> None:  # type: ignore[no-untyped-def]
    ids = [uuid.uuid4().hex for _ in payloads]
    await conn.execute(
        "INSERT INTO events (project_id, event_id, payload) SELECT $1, * FROM unnest($2::uuid[], $3::bytea[])",
        project_id, ids, [_zstd.compress(json.dumps({**p, "event_id": i}).encode()) for p, i in zip(payloads, ids)],
    )


async def _drain_racing(url: str, limit: int) -> None:
    """Two processors on two connections, each claiming ``limit`` at a time, side by side."""
    settings = Settings(database_url=url)
    procs = [Processor(url, settings, f"racer-{n}") for n in range(2)]
    conns = [await p.connect() for p in procs]
    try:
        while sum(await asyncio.gather(*(p.process_batch(c, limit) for p, c in zip(procs, conns)))):
            pass
    finally:
        for c in conns:
            await c.close()


def test_racing_workers_make_one_cluster_per_bug_and_process_each_event_once(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()

    async def run() -> None:
        conn = await connect(url)
        try:
            await migrate(conn)
            for attempt in range(4):  # a race: several tries, so a missing lock shows reliably
                await _race_once(conn, url, attempt)
        finally:
            await conn.close()

    asyncio.run(run())


async def _race_once(conn, url: str, attempt: int) -> None:  # type: ignore[no-untyped-def]
    project_id = await tenancy.create_project(conn, "race-org", f"app{attempt}")
    # Interleaved so both workers' first batches hold events of both new bugs.
    await _insert(conn, project_id, [_payload(n % 2, n) for n in range(40)])
    await _drain_racing(url, 5)
    rows = await conn.fetch("SELECT status, attempts, cluster_id FROM events WHERE project_id = $1", project_id)
    assert {(r["status"], r["attempts"]) for r in rows} == {("processed", 1)}
    clusters = await conn.fetch(
        "SELECT id, event_count, user_count FROM clusters WHERE project_id = $1 AND merged_into IS NULL", project_id
    )
    assert len(clusters) == 2, "two workers seeing one new bug at once must not make twin clusters"
    assert sorted(c["event_count"] for c in clusters) == [20, 20]
    assert {r["cluster_id"] for r in rows} == {c["id"] for c in clusters}
    per_release = await conn.fetch(
        "SELECT s.release, sum(s.count) AS n FROM cluster_release_stats s JOIN clusters c ON c.id = s.cluster_id"
        " WHERE c.project_id = $1 GROUP BY s.release ORDER BY s.release",
        project_id,
    )
    assert [(r["release"], r["n"]) for r in per_release] == [("app@1.0.0", 14), ("app@1.1.0", 13), ("app@1.2.0", 13)]
    hashes = await conn.fetchval("SELECT count(*) FROM cluster_fingerprints WHERE project_id = $1", project_id)
    assert hashes == 2


class _Counting:
    """Counts the statements a connection sends (asyncpg's query logger)."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.count = 0
        conn.add_query_logger(self.log)

    def log(self, record) -> None:  # type: ignore[no-untyped-def]
        self.count += 1


def test_a_batch_costs_the_same_round_trips_for_two_new_bugs_or_ten(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()

    async def run() -> None:
        conn = await connect(url)
        await migrate(conn)
        proc = Processor(url, Settings(database_url=url), "counted")
        work = await proc.connect()
        try:
            counts = []
            for attempt, bugs in enumerate((3, 2, 10)):  # the first warms asyncpg's type cache
                project_id = await tenancy.create_project(conn, "trips-org", f"app{attempt}")
                await _insert(conn, project_id, [_payload(n % bugs, n) for n in range(20)])
                counter = _Counting(work)
                assert await proc.process_batch(work, 20) == 20
                work.remove_query_logger(counter.log)
                counts.append(counter.count)
                clusters = await conn.fetchval(
                    "SELECT count(*) FROM clusters WHERE project_id = $1 AND merged_into IS NULL", project_id
                )
                assert clusters == bugs
            assert counts[1] == counts[2], f"statements per batch: {counts[1]} for 2 new bugs, {counts[2]} for 10"
        finally:
            await work.close()
            await conn.close()

    asyncio.run(run())
