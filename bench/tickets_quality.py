"""Ticket lookup quality, through a real server: the dev corpus and replayed real bug reports.

    .venv/bin/python bench/tickets_quality.py [--corpus ../shared/corpus] [--only dev|reports|learning]
                                              [--keep-db NAME]

1. dev: every event of ``dev/events.jsonl`` is sent through ingest (``/store/``), then each
   ticket of ``dev/tickets.jsonl`` is looked up (not posted). The prediction file (every
   event's cluster, each ticket's candidates, ``[]`` for ``new``) is scored by ``score.py``;
   figures per language and per kind, and the share of no-bug tickets called ``known``.
2. reports: ``reports/replay.py`` replays each ``reports/*.jsonl`` into a fresh project.
3. learning: the first half of the dev tickets (time order) is posted in two fresh
   projects, confirming each ticket's right cluster in one only; then the second half
   is looked up in both and Recall@1 compared.
Labels are read only to score and, in (3), to play the agent who confirms.
``--keep-db NAME`` keeps (or reuses) the database, so a re-run skips sending events.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import cli, fresh_database, free_port, local_postgres, serve  # noqa: E402

HERE = Path(__file__).resolve().parent


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Api:
    def __init__(self, base: str, token: str, project: int) -> None:
        self.base, self.project = base, project
        self.client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        r = self.client.request(method, f"{self.base}/api/0/projects/{self.project}/{path}", json=body)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json()


def make_project(db: str, base: str, org: str, name: str) -> tuple[Api, dict]:
    made = json.loads(cli(db, "createproject", org, name, "--create-org"))
    token = json.loads(cli(db, "token", "create", org))["token"]
    return Api(base, token, made["project_id"]), made


def send_events(base: str, made: dict, events: list[dict]) -> None:
    url = f"{base}/api/{made['project_id']}/store/"
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={made['public_key']}, sentry_version=7", "Content-Type": "application/json"}
    with httpx.Client(timeout=60) as client:
        def post(ev: dict) -> None:
            for _ in range(20):
                r = client.post(url, content=json.dumps(ev), headers=headers)
                if r.status_code == 200:
                    return
                time.sleep(0.5)
            raise RuntimeError(f"store refused: {r.status_code} {r.text[:200]}")

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(post, events))


async def event_clusters(db: str, project_id: int, expected: int) -> dict[str, int]:
    conn = await asyncpg.connect(db)
    try:
        while True:
            pending = await conn.fetchval("SELECT count(*) FROM events WHERE project_id = $1 AND status = 'pending'", project_id)
            total = await conn.fetchval("SELECT count(*) FROM events WHERE project_id = $1", project_id)
            if pending == 0 and total >= expected:
                break
            await asyncio.sleep(1)
        rows = await conn.fetch("SELECT replace(e.event_id::text, '-', '') AS id, COALESCE(c.merged_into, c.id) AS cluster"
                                " FROM events e LEFT JOIN clusters c ON c.id = e.cluster_id WHERE e.project_id = $1", project_id)
        return {r["id"]: r["cluster"] for r in rows}
    finally:
        await conn.close()


def ticket_text(t: dict) -> str:
    return f"{t['subject']}\n\n{t['body']}"


def score(corpus: Path, assign: dict[str, int], cands: dict[str, list[int]], out: Path) -> dict:
    with out.open("w", encoding="utf-8") as fh:
        for eid, c in assign.items():
            fh.write(json.dumps({"id": eid, "cluster": str(c)}) + "\n")
        for tid, lst in cands.items():
            fh.write(json.dumps({"id": tid, "candidates": [str(c) for c in lst]}) + "\n")
    res = subprocess.run([sys.executable, str(corpus / "score.py"), "--truth", str(corpus / "dev"), "--pred", str(out), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def run_dev(corpus: Path, db: str, base: str, reuse: bool) -> None:
    events = [row["event"] for row in _jsonl(corpus / "dev/events.jsonl")]
    tickets = _jsonl(corpus / "dev/tickets.jsonl")
    if reuse and (os.environ.get("TQ_TOKEN")):
        api = Api(base, os.environ["TQ_TOKEN"], int(os.environ["TQ_PROJECT"]))
        project_id = api.project
    else:
        api, made = make_project(db, base, "quality", "shopapp")
        project_id = made["project_id"]
        t0 = time.perf_counter()
        send_events(base, made, events)
        print(f"[dev] sent {len(events)} events in {time.perf_counter() - t0:.0f}s (project {project_id}, token {api.client.headers['Authorization'][7:]})")
    assign = asyncio.run(event_clusters(db, project_id, len(events)))
    cands: dict[str, list[int]] = {}
    verdicts: dict[str, str] = {}
    took = []
    for t in tickets:
        t0 = time.perf_counter()
        res = api.call("POST", "lookup", {"text": ticket_text(t), "version": t.get("version"), "limit": 5})
        took.append((time.perf_counter() - t0) * 1000)
        verdicts[t["ticket_id"]] = res["verdict"]
        cands[t["ticket_id"]] = [c["cluster_id"] for c in res["candidates"]]
    res = score(corpus, assign, cands, HERE / "out" / "tickets_dev_pred.jsonl")
    tk = res["tickets"]
    lb = tk["labeled"]
    nulls = [t for t in tickets if not t["bug_id"]]
    known_null = sum(1 for t in nulls if verdicts[t["ticket_id"]] == "known")
    print(f"[dev] tickets n={lb['n']}: R@1 {lb['recall@1']:.3f} R@5 {lb['recall@5']:.3f} MRR {lb['mrr']:.3f}"
          f" strict R@1 {lb['strict_recall@1']:.3f} R@5 {lb['strict_recall@5']:.3f}")
    for k, v in tk["by"].items():
        if v:
            print(f"[dev]   {k:18} n={v['n']:3} R@1 {v['recall@1']:.3f} R@5 {v['recall@5']:.3f} MRR {v['mrr']:.3f}"
                  f" strict R@1 {v['strict_recall@1']:.3f} R@5 {v['strict_recall@5']:.3f}")
    print(f"[dev] no-bug tickets called known: {known_null}/{len(nulls)} = {known_null / max(len(nulls), 1):.3f}")
    took.sort()
    print(f"[dev] lookup ms p50 {took[len(took) // 2]:.1f} p95 {took[int(len(took) * 0.95)]:.1f}")
    ev = res["events"]
    print(f"[dev] events: clusters {ev['clusters']} vs bugs {ev['true_bugs']}, pairwise P {ev['pairwise']['precision']:.3f} "
          f"R {ev['pairwise']['recall']:.3f}")
    misses = [t for t in tickets if t["bug_id"] and not cands[t["ticket_id"]]]
    print(f"[dev] labelled tickets answered new: {len(misses)} ({', '.join(t['ticket_id'] + '/' + t['pasted'] for t in misses[:12])})")


def run_reports(corpus: Path, db: str, base: str) -> None:
    for path in sorted((corpus / "reports").glob("*.jsonl")):
        api, made = make_project(db, base, f"reports-{path.stem}", path.stem)
        token = api.client.headers["Authorization"][7:]
        res = subprocess.run([sys.executable, str(corpus / "reports/replay.py"), str(path), "--base", base, "--token", token,
                              "--project", str(made["project_id"]), "--json"], capture_output=True, text=True, check=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"[reports] {path.stem}: " + " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in out.items()))


def run_learning(corpus: Path, db: str, base: str) -> None:
    events = [row["event"] for row in _jsonl(corpus / "dev/events.jsonl")]
    tickets = sorted(_jsonl(corpus / "dev/tickets.jsonl"), key=lambda t: t["created_at"])
    half = len(tickets) // 2
    first, second = tickets[:half], tickets[half:]
    results = {}
    for confirm in (False, True):
        api, made = make_project(db, base, f"learning-{int(confirm)}", "shopapp")
        send_events(base, made, events)
        assign = asyncio.run(event_clusters(db, made["project_id"], len(events)))
        bug_cluster: dict[str, int] = {}
        for e in _jsonl(corpus / "dev/event_meta.jsonl"):
            bug_cluster.setdefault(e["bug_id"], assign.get(e["event_id"]))  # the agent knows the right crash
        for t in first:
            posted = api.call("POST", "tickets", {"subject": t["subject"], "body": t["body"], "version": t.get("version"),
                                                  "external_ref": t["ticket_id"]})
            right = bug_cluster.get(t["bug_id"]) if t["bug_id"] else None
            if confirm and right is not None:
                api.call("PUT", f"tickets/{posted['id']}/cluster", {"cluster_id": right})
        hits = n = 0
        for t in second:
            if not t["bug_id"]:
                continue
            res = api.call("POST", "lookup", {"text": ticket_text(t), "limit": 5})
            top = res["candidates"][0]["cluster_id"] if res["candidates"] else None
            n += 1
            hits += int(top is not None and top == bug_cluster.get(t["bug_id"]))
        results[confirm] = hits / max(n, 1)
        print(f"[learning] confirmations={'yes' if confirm else 'no '}: Recall@1 of the second half {results[confirm]:.3f} (n={n})")
    print(f"[learning] gain from confirmations: {results[True] - results[False]:+.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "corpus"))
    ap.add_argument("--only", choices=["dev", "reports", "learning"])
    ap.add_argument("--keep-db", help="database name to keep (and reuse on the next run)")
    args = ap.parse_args()
    corpus = Path(args.corpus).resolve()
    (HERE / "out").mkdir(exist_ok=True)
    admin = local_postgres()
    if args.keep_db and admin:
        db = admin.rsplit("/", 1)[0] + "/" + args.keep_db
        reuse = True
        try:
            asyncio.run(_create(admin, args.keep_db))
        except asyncpg.DuplicateDatabaseError:
            pass
        stack = None
    else:
        db, stack = fresh_database(admin)
        reuse = False
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print("(shared 2-core machine, other work running: latencies are indicative; server event limit raised to 4 MiB as in bench/grouping_ingest.py)")
    try:
        with serve(db, port, env={"CRASHDESK_MAX_EVENT_BYTES": str(4 << 20)}):  # a few corpus events exceed 1 MiB
            if args.only in (None, "dev"):
                run_dev(corpus, db, base, reuse)
            if args.only in (None, "reports"):
                run_reports(corpus, db, base)
            if args.only in (None, "learning"):
                run_learning(corpus, db, base)
    finally:
        if stack is not None:
            stack.close()


async def _create(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
