"""Grouping cost per event as a project's cluster count grows: 1k, 10k, 100k, 1M.

Background clusters are synthetic (hash, three candidate keys, a signature); one in ten
shares a candidate key with the corpus events, so fuzzy lookups find full candidate
lists as they would in a large real project. At each level the same 1,000 real corpus
events are queued and processed by the real worker code against the database:

- one event per transaction: per-event latency, median and p99;
- batches of 100: end-to-end processed events/s.

    .venv/bin/python bench/grouping_scale.py [--levels 1000,10000,100000,1000000] [--events 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import msgspec
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import REPO, fresh_database, local_postgres  # noqa: E402

from dedupe import Signature, group_event  # noqa: E402
from protocol import parse_event  # noqa: E402
from server.database import connect  # noqa: E402
from server.db import tenancy  # noqa: E402
from server.migrate import migrate  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.worker import Processor  # noqa: E402


async def grow(conn, project_id: int, start: int, stop: int, shared_keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Add synthetic clusters numbered [start, stop) in one set-based statement per table."""
    sig = msgspec.msgpack.encode(Signature(types=("SyntheticError",), message="synthetic <int>", frames=("f", "g")))
    await conn.execute(
        "INSERT INTO clusters (project_id, title, first_seen, last_seen, config_id, signature, event_count)"
        " SELECT $1, 'synthetic ' || i, now(), now(), 'synthetic', $4, 1 FROM generate_series($2::int, $3::int - 1) i",
        project_id, start, stop, sig,
    )
    await conn.execute(
        "INSERT INTO cluster_fingerprints (project_id, hash, cluster_id, config_id, origin)"
        " SELECT $1, md5('bg' || c.id), c.id, 'synthetic', 'new' FROM clusters c"
        " WHERE c.project_id = $1 AND c.config_id = 'synthetic'"
        " AND NOT EXISTS (SELECT 1 FROM cluster_fingerprints f WHERE f.cluster_id = c.id)",
        project_id,
    )
    await conn.execute(
        "INSERT INTO cluster_candidate_keys (project_id, key, cluster_id)"
        " SELECT $1, CASE WHEN k = 0 AND c.id % 10 = 0 THEN ($2::text[])[1 + (c.id % array_length($2::text[], 1))]"
        "        ELSE md5('key' || k || c.id) END, c.id"
        " FROM clusters c CROSS JOIN generate_series(0, 2) k"
        " WHERE c.project_id = $1 AND c.config_id = 'synthetic'"
        " AND NOT EXISTS (SELECT 1 FROM cluster_candidate_keys x WHERE x.cluster_id = c.id) ON CONFLICT DO NOTHING",
        project_id, shared_keys,
    )
    # Settle the bulk load (vacuum, statistics, a checkpoint) so the measurement does not
    # time background work the seeding caused; a real project grows over months.
    for table in ("clusters", "cluster_fingerprints", "cluster_candidate_keys"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    await conn.execute("CHECKPOINT")


async def queue(conn, project_id: int, payloads: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    cctx = zstandard.ZstdCompressor(level=1)
    await conn.execute(
        "INSERT INTO events (project_id, event_id, payload) SELECT $1, * FROM unnest($2::uuid[], $3::bytea[])",
        project_id, [uuid.uuid4() for _ in payloads], [cctx.compress(p) for p in payloads],
    )


async def reset_corpus_clusters(conn, project_id: int) -> None:  # type: ignore[no-untyped-def]
    await conn.execute("DELETE FROM events WHERE project_id = $1", project_id)
    await conn.execute("DELETE FROM clusters WHERE project_id = $1 AND config_id <> 'synthetic'", project_id)
    await conn.execute(
        "DELETE FROM cluster_candidate_keys k USING clusters c WHERE k.cluster_id = c.id AND c.project_id = $1"
        " AND c.config_id <> 'synthetic'", project_id,
    )


async def run(url: str, levels: list[int], n_events: int) -> list[dict[str, float]]:
    corpus = REPO.parent / "shared/corpus/dev/events.jsonl"
    items = [json.loads(line)["event"] for line in corpus.read_text().splitlines()[:n_events]]
    payloads = [json.dumps(e).encode() for e in items]
    keys = sorted({k for e in items for k in group_event(parse_event(e, event_id=e["event_id"])).candidate_keys})
    settings = Settings.from_env({"DATABASE_URL": url})
    conn = await connect(url)
    await migrate(conn)
    await conn.execute("SET synchronous_commit = off")  # as the worker's own connections (Processor.connect)
    project_id = await tenancy.create_project(conn, "bench", f"scale-{uuid.uuid4().hex[:6]}")
    processor = Processor(url, settings, "bench")
    # Warm-up pass (statement caches, imports, allocator) so the first level is not penalised.
    await queue(conn, project_id, payloads)
    while await processor.process_batch(conn, 100):
        pass
    results = []
    have = 0
    for level in levels:
        t = time.perf_counter()
        await grow(conn, project_id, have, level, keys)
        have = level
        grow_s = time.perf_counter() - t
        # latency: one event per transaction
        await reset_corpus_clusters(conn, project_id)
        await queue(conn, project_id, payloads)
        lat = []
        for _ in range(n_events):
            t = time.perf_counter()
            await processor.process_batch(conn, 1)
            lat.append((time.perf_counter() - t) * 1000)
        # throughput: batches of 100, same events again from a clean state
        await reset_corpus_clusters(conn, project_id)
        await queue(conn, project_id, payloads)
        t = time.perf_counter()
        while await processor.process_batch(conn, 100):
            pass
        rate = n_events / (time.perf_counter() - t)
        lat.sort()
        row = {"clusters": level, "median_ms": statistics.median(lat), "p99_ms": lat[int(len(lat) * 0.99) - 1],
               "events_per_s": rate, "seed_s": grow_s}
        results.append(row)
        print(f"{level:>9,} clusters  median {row['median_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms"
              f"  batch {rate:,.0f} events/s  (seeding took {grow_s:.0f}s)", flush=True)
    await conn.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", default="1000,10000,100000,1000000")
    ap.add_argument("--events", type=int, default=1000)
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    url, stack = fresh_database(local_postgres())
    with stack:
        rows = asyncio.run(run(url, levels, args.events))
    base = rows[0]
    print(f"\nfrom {base['clusters']:,} to {rows[-1]['clusters']:,} clusters: median x{rows[-1]['median_ms'] / base['median_ms']:.2f},"
          f" p99 x{rows[-1]['p99_ms'] / base['p99_ms']:.2f}, throughput x{rows[-1]['events_per_s'] / base['events_per_s']:.2f}")


if __name__ == "__main__":
    main()
