"""Releases at scale: 1,000 releases and 100,000 clusters in one project.

Measures, against the real service functions and SQL:
- the per-release view (``release_detail``: counts, new/regressed/resolved, health) p50/p95;
- the clusters-by-release lists (seen in it, new in it) first page of 50, p50/p95;
- the release list page (newest version first) p50/p95;
- the processing rate with and without the release stage (the cost it adds per event):
  the same corpus events, each given one of the 10 newest releases (usual traffic) or one
  of all 1,000 (worst case: ~95 releases per batch), processed by the real worker in
  batches of 100, alternating runs with the stage on and off.

    .venv/bin/python bench/releases_scale.py [--releases 1000] [--clusters 100000] [--events 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import REPO, fresh_database, local_postgres  # noqa: E402

from kb_link.versions import parse  # noqa: E402
from server import worker  # noqa: E402
from server.database import connect  # noqa: E402
from server.db import releases as releases_sql  # noqa: E402
from server.db import tenancy  # noqa: E402
from server.migrate import migrate  # noqa: E402
from server.services import release_view, releases  # noqa: E402
from server.settings import Settings  # noqa: E402

rng = random.Random(9)


def versions(n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        major, minor, patch = rng.randint(1, 12), rng.randint(0, 30), rng.randint(0, 20)
        pre = rng.choice(["", "", "", "-rc.1", "-beta.2"])
        out.add(f"app@{major}.{minor}.{patch}{pre}")
    return sorted(out)


async def seed(conn: Any, project_id: int, names: list[str], n_clusters: int) -> None:
    for i in range(0, len(names), 200):
        await releases_sql.ensure(conn, project_id, [parse(v) for v in names[i : i + 200]])
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM releases WHERE project_id = $1 ORDER BY id", project_id)]
    await conn.execute(
        "INSERT INTO clusters (project_id, title, first_seen, last_seen, config_id, signature, event_count, first_release,"
        " status, regressed_in_release, resolved_in_release_id)"
        " SELECT $1, 'synthetic ' || i, now() - interval '30 days' + i * interval '20 seconds', now(), 'synthetic', '\\x00',"
        "  10, ($2::text[])[1 + (i * 7919) % $3],"
        "  CASE WHEN i % 20 = 0 THEN 'resolved' ELSE 'unresolved' END,"
        "  CASE WHEN i % 50 = 1 THEN ($2::text[])[1 + (i * 104729) % $3] END,"
        "  CASE WHEN i % 20 = 0 THEN ($4::bigint[])[1 + (i * 31) % $3] END"
        " FROM generate_series(1::bigint, $5) i",
        project_id, names, len(names), ids, n_clusters,
    )
    # each cluster seen in three releases: 300,000 release-cluster rows
    await conn.execute(
        "INSERT INTO release_clusters (release_id, cluster_id, events, first_seen, last_seen)"
        " SELECT DISTINCT ON (1, 2) ($2::bigint[])[1 + ((c.id * (k + 3)) * 2654435761) % $3], c.id, 3,"
        "  c.first_seen, c.first_seen + k * interval '1 hour'"
        " FROM clusters c CROSS JOIN generate_series(0, 2) k WHERE c.project_id = $1",
        project_id, ids, len(ids),
    )
    await conn.execute(
        "UPDATE releases r SET cluster_count = s.n, event_count = s.e FROM"
        " (SELECT release_id, count(*) AS n, sum(events) AS e FROM release_clusters GROUP BY release_id) s"
        " WHERE r.id = s.release_id"
    )
    for table in ("releases", "clusters", "release_clusters"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    await conn.execute("CHECKPOINT")


async def timed(fn: Callable[[], Awaitable[Any]], n: int) -> tuple[float, float]:
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.95) - 1]


async def processing(
    conn: Any, url: str, project_id: int, names: list[str], n_events: int, rounds: int, label: str
) -> None:
    corpus = REPO.parent / "shared/corpus/dev/events.jsonl"
    items = [json.loads(line)["event"] for line in corpus.read_text().splitlines()[:n_events]]
    cctx = zstandard.ZstdCompressor(level=1)
    settings = Settings.from_env({"DATABASE_URL": url})
    real_stage = worker.release_batch

    async def no_stage(*_: Any) -> None:
        return None

    spent = [0.0]

    async def timed_stage(*args: Any) -> None:
        t = time.perf_counter()
        await real_stage(*args)
        spent[0] += time.perf_counter() - t

    async def run(stage_on: bool) -> float:
        await conn.execute("DELETE FROM events WHERE project_id = $1", project_id)
        await conn.execute("DELETE FROM clusters WHERE project_id = $1 AND config_id <> 'synthetic'", project_id)
        payloads = [msgspec.json.encode({**e, "release": rng.choice(names), "event_id": uuid.uuid4().hex}) for e in items]
        await conn.execute(
            "INSERT INTO events (project_id, event_id, payload) SELECT $1, * FROM unnest($2::uuid[], $3::bytea[])",
            project_id, [uuid.uuid4() for _ in payloads], [cctx.compress(p) for p in payloads],
        )
        worker.release_batch = timed_stage if stage_on else no_stage  # type: ignore[assignment]
        processor = worker.Processor(url, settings, "bench")
        t = time.perf_counter()
        while await processor.process_batch(conn, 100):
            pass
        return n_events / (time.perf_counter() - t)

    await run(True)  # warm-up
    spent[0] = 0.0
    on, off = [], []
    for _ in range(rounds):
        off.append(await run(False))
        on.append(await run(True))
    worker.release_batch = real_stage  # type: ignore[assignment]
    m_on, m_off = statistics.median(on), statistics.median(off)
    busy = sum(n_events / r for r in on)  # seconds the runs with the stage took
    print(f"processing, {label}: the release stage took {spent[0] / busy * 100:.1f}% of processing time"
          f" ({spent[0] * 1000 / (n_events * rounds):.3f} ms per event), measured inside the runs")
    print(f"processing, {label}, batches of 100: without the release stage {m_off:,.0f} events/s, with it {m_on:,.0f} events/s"
          f" ({(m_on / m_off - 1) * 100:+.1f}%; runs off {[round(x) for x in off]}, on {[round(x) for x in on]})")


async def main_async(url: str, n_releases: int, n_clusters: int, n_events: int, rounds: int) -> None:
    conn = await connect(url)
    await migrate(conn)
    await conn.execute("SET synchronous_commit = off")
    project_id = await tenancy.create_project(conn, "bench", f"releases-{uuid.uuid4().hex[:6]}")
    org = int(await conn.fetchval("SELECT organization_id FROM projects WHERE id = $1", project_id))
    names = versions(n_releases)
    t = time.perf_counter()
    await seed(conn, project_id, names, n_clusters)
    print(f"seeded {n_releases:,} releases, {n_clusters:,} clusters, {3 * n_clusters:,} release-cluster rows"
          f" in {time.perf_counter() - t:.0f}s")
    picks = [rng.choice(names) for _ in range(300)]
    it = iter(picks * 10)

    async def detail() -> None:
        await release_view.release_detail(conn, org, project_id, next(it))

    async def seen() -> None:
        await release_view.release_clusters(conn, org, project_id, next(it), "seen", limit=50)

    async def new() -> None:
        await release_view.release_clusters(conn, org, project_id, next(it), "new", limit=50)

    async def listing() -> None:
        await releases.list_releases(conn, org, project_id, limit=50)

    for name, fn in (("per-release view", detail), ("clusters seen in a release, page of 50", seen),
                     ("clusters new in a release, page of 50", new), ("release list, newest first, page of 50", listing)):
        await timed(fn, 20)
        p50, p95 = await timed(fn, 300)
        print(f"{name:42} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  (goal p95 <= 20 ms)", flush=True)
    newest = [r.version for r in (await releases.list_releases(conn, org, project_id, limit=10)).releases]
    await processing(conn, url, project_id, newest, n_events, rounds, "events from the 10 newest releases (usual traffic)")
    await processing(conn, url, project_id, names, n_events, rounds, "events spread over all 1,000 releases (worst case)")
    await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--releases", type=int, default=1000)
    ap.add_argument("--clusters", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    url, stack = fresh_database(local_postgres())
    with stack:
        asyncio.run(main_async(url, args.releases, args.clusters, args.events, args.rounds))


if __name__ == "__main__":
    main()
