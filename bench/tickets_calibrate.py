"""Dump the ungated evidence of every ticket lookup, to calibrate ``dedupe.ticket_match`` offline.

    .venv/bin/python bench/tickets_calibrate.py [--corpus ../shared/corpus] [--out bench/out/calib.jsonl] [--only dev|reports]
    .venv/bin/python bench/tickets_calibrate.py --summary bench/out/calib.jsonl

Runs the lookup's evidence gathering in-process (``server.services.ticket_lookup.gather``) on
a fresh database, the way ``bench/tickets_quality.py`` and ``reports/replay.py`` use the API:
the dev events are ingested and each dev ticket gathered (not posted); each report of
``reports/*.jsonl`` is gathered in id order when an earlier report of its group is in, then
posted. One line per lookup: the evidence before ``combine``, the score the text needs to be
known (``known_threshold``) and the accepted clusters (empty for a dev ticket with no bug), so
weights and thresholds can be compared without a server: ``--summary FILE`` reads a dump and
prints Recall@1/@5 per set and kind, with and without the verdict, through the code's own
``combine``. Labels are read only to write the accepted clusters and to score.
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
from dedupe.ticket_match import known_threshold  # noqa: E402

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
                        "related": bool(t["bug_id"]),
                        "threshold": known_threshold(ticket_text(t)),
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
                text = f"{r['subject']}\n\n{r['body']}"
                out.append({"set": path.stem, "id": r["ticket_id"], "kind": "report", "lang": "en", "ok": ok,
                            "threshold": known_threshold(text), "evidence": await _gather(pool, org, project_id, text)})
            made = await tickets.create(pool, org, project_id, TicketCreate(subject=r["subject"], body=r["body"],
                                                                           external_ref=str(r["ticket_id"])))
            cluster_of[r["ticket_id"]] = made.cluster_id
            if g:
                seen.setdefault(g, []).append(r["ticket_id"])
    finally:
        await pool.close()


def summary(rows: list[dict]) -> list[str]:
    """Recall@1/@5 of each set and kind through ``combine``: gated (the verdict must be known) and not."""
    from dedupe.ticket_match import KNOWN, Evidence, combine

    tally: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        ranked = combine(msgspec.convert(row["evidence"], list[Evidence]))
        top = ranked[0].score if ranked else 0.0
        known = top >= row.get("threshold", KNOWN)
        c = tally.setdefault((row["set"], row["kind"]), Counter())
        if not row["ok"] and row.get("related"):
            c["no_cluster"] += 1  # its bug's events went to another bug's cluster in this run: not scorable
            continue
        if not row["ok"]:
            c["unrelated"] += 1
            c["unrelated_known"] += known
            continue
        rank = next((i for i, r in enumerate(ranked) if r.cluster_id in set(row["ok"])), None)
        c["n"] += 1
        c["r1"] += rank == 0 and known
        c["r5"] += rank is not None and rank < 5 and known
        c["r1_any"] += rank == 0
        c["r5_any"] += rank is not None and rank < 5
    out = []
    for (name, kind), c in sorted(tally.items()):
        n = max(c["n"], 1)
        line = (f"{name:10} {kind:10} n={c['n']:3} R@1 {c['r1'] / n:.3f} R@5 {c['r5'] / n:.3f}"
                f"  ungated R@1 {c['r1_any'] / n:.3f} R@5 {c['r5_any'] / n:.3f}")
        if c["no_cluster"]:
            line += f"  (bug without a cluster of its own: {c['no_cluster']})"
        if c["unrelated"]:
            line += f"  unrelated known {c['unrelated_known']}/{c['unrelated']}"
        out.append(line)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--summary", metavar="FILE", help="print the figures of an earlier dump and stop")
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--out", default=str(HERE / "out" / "calib.jsonl"))
    ap.add_argument("--only", choices=["dev", "reports"])
    ap.add_argument("--keep-db", help="(re)create this database and keep it afterwards, to look into")
    args = ap.parse_args()
    if args.summary:
        print("\n".join(summary(_jsonl(Path(args.summary)))))
        return
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
        print("\n".join(summary(out)))


async def _recreate(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
