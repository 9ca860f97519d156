"""Dump the ungated evidence of every ticket lookup, to calibrate ``dedupe.ticket_match`` offline.

    .venv/bin/python bench/tickets_calibrate.py [--corpus ../shared/corpus] [--out bench/out/calib.jsonl]

Runs the lookup's evidence gathering in-process (``server.services.ticket_lookup.gather``) on
a fresh database, the way ``bench/tickets_quality.py`` and ``reports/replay.py`` use the API:
the dev events are ingested and each dev ticket gathered (not posted); each report of
``reports/*.jsonl`` is gathered in id order when an earlier report of its group is in, then
posted. One line per lookup: the evidence before ``combine`` and the accepted clusters
(empty for a dev ticket with no bug), so thresholds and weights can be compared without a
server (``bench/tickets_tune.py``). Labels are read only to write the accepted clusters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import cli, fresh_database, free_port, local_postgres, serve  # noqa: E402
from bench.tickets_quality import _jsonl, event_clusters, make_project, send_events, ticket_text  # noqa: E402

HERE = Path(__file__).resolve().parent


async def _org(pool: asyncpg.Pool, project_id: int) -> int:
    return int(await pool.fetchval("SELECT organization_id FROM projects WHERE id = $1", project_id))


async def _gather(pool: asyncpg.Pool, org: int, project: int, text: str) -> list[dict]:
    from server.services import ticket_lookup

    async with pool.acquire() as conn:
        ev = await ticket_lookup.evidence(conn, org, project, text)
    return [msgspec.to_builtins(e) for e in ev]


async def dev(db: str, corpus: Path, project_id: int, out: list[dict]) -> None:
    assign = await event_clusters(db, project_id, 1)
    meta = _jsonl(corpus / "dev/event_meta.jsonl")
    bug_of_cluster: dict[int, Counter[str]] = {}
    for m in meta:
        c = assign.get(m["event_id"])
        if c is not None:
            bug_of_cluster.setdefault(c, Counter())[m["bug_id"]] += 1
    plural = {c: cnt.most_common(1)[0][0] for c, cnt in bug_of_cluster.items()}
    pool = await asyncpg.create_pool(db, min_size=1, max_size=2)
    try:
        org = await _org(pool, project_id)
        for t in _jsonl(corpus / "dev/tickets.jsonl"):
            ok = sorted(c for c, b in plural.items() if b == t["bug_id"]) if t["bug_id"] else []
            out.append({"set": "dev", "id": t["ticket_id"], "kind": t["pasted"], "lang": t["lang"], "ok": ok,
                        "evidence": await _gather(pool, org, project_id, ticket_text(t))})
    finally:
        await pool.close()


async def reports(db: str, path: Path, project_id: int, out: list[dict]) -> None:
    from server.services import tickets
    from server.services.ticket_model import TicketCreate

    rows = sorted(_jsonl(path), key=lambda r: int(r["ticket_id"]))
    pool = await asyncpg.create_pool(db, min_size=1, max_size=2)
    try:
        org = await _org(pool, project_id)
        cluster_of: dict[str, int] = {}
        seen: dict[str, list[str]] = {}
        for r in rows:
            g = r.get("group")
            if g and seen.get(g):
                ok = sorted({cluster_of[x] for x in seen[g]})
                out.append({"set": path.stem, "id": r["ticket_id"], "kind": "report", "lang": "en", "ok": ok,
                            "evidence": await _gather(pool, org, project_id, f"{r['subject']}\n\n{r['body']}")})
            made = await tickets.create(pool, org, project_id, TicketCreate(subject=r["subject"], body=r["body"],
                                                                           external_ref=str(r["ticket_id"])))
            cluster_of[r["ticket_id"]] = made.cluster_id
            if g:
                seen.setdefault(g, []).append(r["ticket_id"])
    finally:
        await pool.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--out", default=str(HERE / "out" / "calib.jsonl"))
    ap.add_argument("--only", choices=["dev", "reports"])
    ap.add_argument("--keep-db", help="(re)create this database and keep it afterwards, to look into")
    args = ap.parse_args()
    corpus = Path(args.corpus).resolve()
    if args.keep_db:
        import contextlib

        admin = local_postgres() or ""
        db, stack = admin.rsplit("/", 1)[0] + "/" + args.keep_db, contextlib.ExitStack()
        asyncio.run(_recreate(admin, args.keep_db))
    else:
        db, stack = fresh_database(local_postgres())
    out: list[dict] = []
    port = free_port()
    try:
        with stack, serve(db, port, env={"CRASHDESK_MAX_EVENT_BYTES": str(4 << 20)}):
            base = f"http://127.0.0.1:{port}"
            if args.only in (None, "dev"):
                _, made = make_project(db, base, "calib", "shopapp")
                send_events(base, made, [row["event"] for row in _jsonl(corpus / "dev/events.jsonl")])
                asyncio.run(event_clusters(db, made["project_id"], 2999))
                asyncio.run(dev(db, corpus, made["project_id"], out))
            if args.only in (None, "reports"):
                for path in sorted((corpus / "reports").glob("*.jsonl")):
                    made = json.loads(cli(db, "createproject", f"calib-{path.stem}", path.stem, "--create-org"))
                    asyncio.run(reports(db, path, made["project_id"], out))
    finally:
        Path(args.out).parent.mkdir(exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for row in out:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{len(out)} lookups -> {args.out}")


async def _recreate(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
