"""Lookup latency at scale and ticket import rate.

    .venv/bin/python bench/tickets_speed.py [--clusters 100000] [--articles 10000] [--tickets 100000]
                                            [--events 1000000] [--lookups 300] [--import-rows 3000]
                                            [--keep-db | --database URL]

Fills a fresh database (bulk SQL, synthetic text with a Zipf vocabulary) with clusters
(each with a signature, fingerprints and a search document), articles, tickets and events,
then times ``POST /lookup`` through a running server (prose, error lines and pasted
traces, one at a time) and ``crashdesk import tickets`` of a CSV. The machine is a shared
2-core box: figures are indicative; re-run quietly with the same command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import cli, fresh_database, free_port, local_postgres, serve  # noqa: E402
from dedupe import CONFIG_ID, Signature  # noqa: E402
from server.db import search as search_sql  # noqa: E402
from server.services.search import Document, document_row  # noqa: E402

SYLL = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "shi", "zu", "fe", "ga", "vi", "do", "ben", "ter", "lan", "qu", "mor"]
TYPES = ["KeyError", "ValueError", "TypeError", "AttributeError", "IndexError", "RuntimeError", "NullPointerException",
         "IllegalStateException", "TimeoutError", "UnicodeDecodeError"]


class Words:
    def __init__(self, n: int, seed: int = 7) -> None:
        rnd = random.Random(seed)
        self.words = list(dict.fromkeys("".join(rnd.choice(SYLL) for _ in range(rnd.randint(2, 4))) for _ in range(n * 2)))[:n]
        self.weights = [1 / (i + 1) for i in range(len(self.words))]
        self.rnd = rnd

    def text(self, k: int) -> str:
        return " ".join(self.rnd.choices(self.words, self.weights, k=k))

    def name(self) -> str:
        return "_".join(self.rnd.choices(self.words[200:5000], k=2))


def _row(doc: Document, visibility: str | None = None, language: str | None = None) -> tuple[object, ...]:
    """The document's row with visibility and language in their columns but not among its filter terms
    (as this bench has always written them)."""
    row = document_row(doc)
    return (*row[:4], visibility, language, *row[6:])


async def fill(db: str, org_id: int, project_id: int, args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(db)
    w = Words(30000)
    enc = msgspec.msgpack.Encoder()
    try:
        t0 = time.perf_counter()
        batch = 5000
        for start in range(0, args.clusters, batch):
            rows, docs = [], []
            for i in range(start, min(start + batch, args.clusters)):
                etype, fn = w.rnd.choice(TYPES), w.name()
                msg = w.text(6)
                sig = Signature(types=(etype,), message=msg, frames=(fn, w.name()), modules=("app." + w.name(),),
                                platform="python")
                rows.append((project_id, f"{etype}: {msg}"[:200], f"app.mod in {fn}", enc.encode(sig), i))
            ids = await conn.fetch(
                "INSERT INTO clusters (project_id, title, culprit, level, platform, first_seen, last_seen, config_id,"
                " signature, event_count) SELECT $1, t, c, 'error', 'python', now(), now(), $2, s, 10"
                " FROM unnest($3::text[], $4::text[], $5::bytea[]) AS x(t, c, s) RETURNING id, title, culprit",
                project_id, CONFIG_ID, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
            for r in ids:
                extra = f"{r['culprit']} {w.text(12)}"
                docs.append(document_row(Document(org_id, "cluster", r["id"], r["title"], extra=extra, project_id=project_id)))
            await search_sql.upsert(conn, docs)  # one statement per batch (the term counts' trigger runs once)
            await conn.executemany("INSERT INTO cluster_fingerprints (project_id, hash, cluster_id, config_id, origin)"
                                   " VALUES ($1, $2, $3, $4, 'new')", [(project_id, f"h{r['id']}", r["id"], CONFIG_ID) for r in ids])
            await conn.executemany("INSERT INTO ticket_cluster_index (cluster_id, events, extra) VALUES ($1, 10, $2)",
                                   [(r["id"], r["culprit"]) for r in ids])
        mark = await conn.fetchval("SELECT max(id) FROM clusters")
        await conn.execute("INSERT INTO ticket_search_state (project_id, cluster_watermark, synced_at) VALUES ($1, $2, now())",
                           project_id, mark)
        print(f"clusters: {args.clusters} in {time.perf_counter() - t0:.0f}s")
        t0 = time.perf_counter()
        for start in range(0, args.tickets, batch):
            n = min(batch, args.tickets - start)
            subjects = [w.text(7) for _ in range(n)]
            bodies = [w.text(60) for _ in range(n)]
            ids = await conn.fetch(
                "INSERT INTO tickets (organization_id, project_id, subject, body, language, cluster_id, match_source)"
                " SELECT $1, $2, s, b, 'en', (SELECT id FROM clusters WHERE project_id = $2 ORDER BY random() LIMIT 1), 'auto'"
                " FROM unnest($3::text[], $4::text[]) AS x(s, b) RETURNING id, subject, body", org_id, project_id, subjects, bodies)
            await search_sql.upsert(conn, [
                _row(Document(org_id, "ticket", r["id"], r["subject"], body=r["body"], project_id=project_id), language="en")
                for r in ids])
        print(f"tickets: {args.tickets} in {time.perf_counter() - t0:.0f}s")
        t0 = time.perf_counter()
        docs = []
        for i in range(args.articles):
            title = w.text(6)
            docs.append(_row(Document(org_id, "article", i + 1, title, body=w.text(150)), visibility="internal",
                             language="en"))
        await search_sql.upsert(conn, docs)
        print(f"article documents: {args.articles} in {time.perf_counter() - t0:.0f}s")
        t0 = time.perf_counter()
        for start in range(0, args.events, 100_000):
            n = min(100_000, args.events - start)
            await conn.execute(
                "INSERT INTO events (project_id, event_id, status, payload, cluster_id, title, received_at)"
                " SELECT $1, gen_random_uuid(), 'processed', '\\x00'::bytea,"
                " (SELECT min(id) FROM clusters WHERE project_id = $1) + (g % $3), 'synthetic', now()"
                " FROM generate_series(1, $2) g", project_id, n, args.clusters)
        print(f"events: {args.events} in {time.perf_counter() - t0:.0f}s")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def queries(w: Words, n: int) -> list[str]:
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(f"Hello, {w.text(25)}. Thanks")
        elif kind == 1:
            out.append(f"We get {random.choice(TYPES)}: {w.text(5)} since the update")
        else:
            frames = "\n".join(f'  File "/srv/app/app/{w.name()}.py", line {10 + k}, in {w.name()}\n    x = y[{k}]' for k in range(4))
            out.append(f"Traceback (most recent call last):\n{frames}\n{random.choice(TYPES)}: {w.text(4)}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=300)
    ap.add_argument("--import-rows", type=int, default=3000)
    ap.add_argument("--keep-db", action="store_true", help="keep the filled database (its URL is printed)")
    ap.add_argument("--database", help="time lookups against a database an earlier --keep-db run filled")
    args = ap.parse_args()
    if args.database:
        db, stack = args.database, contextlib.ExitStack()
    else:
        db, stack = fresh_database(local_postgres())
        if args.keep_db:
            stack.pop_all()
            print(f"database kept: --database {db}")
    print("(shared 2-core machine with other helpers' work running: figures are indicative)")
    with stack:
        cli(db, "migrate")
        if args.database:
            made = {"project_id": asyncio.run(_project(db))}
        else:
            made = json.loads(cli(db, "createproject", "speed", "app", "--create-org"))
        token = json.loads(cli(db, "token", "create", "speed"))["token"]
        org_id = asyncio.run(_org(db, made["project_id"]))
        if not args.database:
            asyncio.run(fill(db, org_id, made["project_id"], args))
        port = free_port()
        base = f"http://127.0.0.1:{port}/api/0/projects/{made['project_id']}"
        with serve(db, port, "--no-process"):
            client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60)
            texts = queries(Words(30000, seed=11), args.lookups)
            for t in texts[:20]:  # warm caches (CC-CEDICT load, document frequencies) as a running service has them
                client.post(f"{base}/lookup", json={"text": t})
            took = []
            for t in texts:
                t0 = time.perf_counter()
                r = client.post(f"{base}/lookup", json={"text": t, "version": "1.0.0"})
                took.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
            took.sort()
            print(f"lookup over HTTP, {len(took)} one at a time: p50 {took[len(took) // 2]:.1f} ms,"
                  f" p95 {took[int(len(took) * 0.95)]:.1f} ms, max {took[-1]:.1f} ms")
            if args.import_rows:  # 0: lookups alone (a kept database stays as filled)
                path = Path(stack.enter_context(_tmpdir())) / "import.csv"
                w = Words(30000, seed=5)
                with path.open("w") as fh:
                    fh.write("external_ref,subject,body,customer\n")
                    for i in range(args.import_rows):
                        fh.write(f"IMP-{i},{w.text(6)},{w.text(40)},cust{i % 50}\n")
                t0 = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "server.cli", "import", "tickets", "speed", "app", str(path), "--json"],
                                     env={**__import__("os").environ, "DATABASE_URL": db}, capture_output=True, text=True, check=True)
                res = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"import: {res['imported']} tickets in {res['seconds']}s = {res['per_second']}/s"
                      f" (whole command {time.perf_counter() - t0:.1f}s)")


async def _project(db: str) -> int:
    """The project an earlier ``--keep-db`` run filled."""
    conn = await asyncpg.connect(db)
    try:
        return int(await conn.fetchval("SELECT min(id) FROM projects"))
    finally:
        await conn.close()


async def _org(db: str, project_id: int) -> int:
    conn = await asyncpg.connect(db)
    try:
        return int(await conn.fetchval("SELECT organization_id FROM projects WHERE id = $1", project_id))
    finally:
        await conn.close()


def _tmpdir():  # type: ignore[no-untyped-def]
    import tempfile

    return tempfile.TemporaryDirectory(prefix="crashdesk-import-")


if __name__ == "__main__":
    main()
