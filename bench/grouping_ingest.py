"""Grouping quality through the real ingestion path.

Posts every corpus event (in time order) to a running Crashdesk over HTTP, waits until
the workers have processed them, reads each event's cluster through the API, and scores
the assignment with the corpus scorer.

    .venv/bin/python bench/grouping_ingest.py [--corpus ../shared/corpus/dev]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import REPO, cli, free_port, fresh_database, local_postgres, serve  # noqa: E402


async def post_all(url: str, key: str, payloads: list[bytes], concurrency: int) -> int:
    sem = asyncio.Semaphore(concurrency)
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(body: bytes) -> int:
            async with sem:
                r = await client.post(url, content=body, headers=headers)
                return r.status_code

        codes = await asyncio.gather(*(one(p) for p in payloads))
    return sum(1 for c in codes if c == 200)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO.parent / "shared/corpus/dev"))
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    lines = [json.loads(line) for line in (corpus / "events.jsonl").read_text().splitlines() if line.strip()]
    payloads = [json.dumps(item["event"]).encode() for item in lines]

    url, stack = fresh_database(local_postgres())
    with stack:
        made = json.loads(cli(url, "createproject", "bench", "corpus", "--create-org"))
        token = json.loads(cli(url, "token", "create", "bench"))["token"]
        port = free_port()
        # A few corpus events are over the 1 MiB default event limit (deep recursion
        # with locals); raise it so every event is scored, and say so.
        limit = str(4 << 20)
        print(f"server: CRASHDESK_MAX_EVENT_BYTES={limit}, {args.concurrency} concurrent posters")
        with serve(url, port, env={"CRASHDESK_MAX_EVENT_BYTES": limit}):
            base = f"http://127.0.0.1:{port}"
            t0 = time.perf_counter()
            ok = asyncio.run(post_all(f"{base}/api/{made['project_id']}/store/", made["public_key"], payloads, args.concurrency))
            t1 = time.perf_counter()
            auth = {"Authorization": f"Bearer {token}"}
            while True:
                health = httpx.get(f"{base}/api/0/health").json()["events"]
                if not health.get("pending"):
                    break
                time.sleep(0.2)
            t2 = time.perf_counter()
            clusters: dict[str, int | None] = {}
            cursor = None
            while True:
                params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
                page = httpx.get(f"{base}/api/0/projects/{made['project_id']}/events/", params=params, headers=auth).json()
                clusters.update({e["event_id"]: e["cluster_id"] for e in page["events"]})
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            n_clusters = len(httpx.get(f"{base}/api/0/projects/{made['project_id']}/clusters/",
                                       params={"limit": 500}, headers=auth).json()["clusters"])
    out = REPO / "bench/out"
    out.mkdir(exist_ok=True)
    pred = out / "assignments_ingest.jsonl"
    with pred.open("w") as f:
        for item in lines:
            eid = item["event"]["event_id"]
            f.write(json.dumps({"id": eid, "cluster": str(clusters.get(eid))}) + "\n")
    print(f"{ok}/{len(payloads)} events accepted in {t1 - t0:.1f}s; all processed {t2 - t0:.1f}s after the first post;"
          f" {n_clusters} clusters")
    subprocess.run([sys.executable, str(corpus.parent / "score.py"), "--truth", str(corpus), "--pred", str(pred),
                    "--breakdown"], check=True)


if __name__ == "__main__":
    main()
