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


BUGS = (
    ("LookupError", "order {n} not found in shard {h}", "app.orders", "load_order", "row = SHARDS[shard][order_id]"),
    ("ValueError", "invalid literal for int() with base 10: '12,{n}'", "app.money", "parse_amount", "return int(text)"),
)


def _payload(bug: int, n: int) -> dict:
    """Event ``n`` of one of two unrelated bugs, with ids in the message that vary."""
    exc_type, message, module, function, line = BUGS[bug]
    return {
        "platform": "python",
        "release": f"app@1.{n % 3}.0",
        "environment": "production",
        "user": {"id": f"u{n % 7}"},
        "exception": {"values": [{
            "type": exc_type,
            "value": message.format(n=1000 + n, h=hex(n * 977)),
            "stacktrace": {"frames": [
                {"module": "app.views", "function": "handle", "filename": "app/views.py", "lineno": 10, "in_app": True,
                 "context_line": "return dispatch(request)"},
                {"module": module, "function": function, "filename": module.replace(".", "/") + ".py", "lineno": 3,
                 "in_app": True, "context_line": line},
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
