"""Cluster pages speed: the list (each sort, filters, the owner filter, the htmx partial) and every cluster's page.

    .venv/bin/python bench/cluster_pages.py [--requests 100] [--clusters 100000] [--database-url URL]

Fills a fresh database with ``crashdesk demo`` (real sentry-sdk crashes over two weeks and three
releases, a resolved cluster that regressed, tickets and articles), starts ``crashdesk serve``,
signs in as the demo's admin like a browser, then GETs the pages one at a time. Prints p50/p95
per page with the load (uptime): the machine is a shared 2-core box, so re-run quietly with the
same command. Goal (issue 12): p95 < 50 ms on the demo data, < 150 ms with 100,000 clusters
(``--clusters`` adds that many synthetic ones to the demo project, spread over 30 days, by SQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import cli, free_port, fresh_database, local_postgres, serve  # noqa: E402

ORG = "demo"


def sign_in(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="_csrf" value="([^"]+)"', client.get("/login").text)
    assert token, "the sign-in page has no CSRF field"
    r = client.post("/login", data={"_csrf": token.group(1), "email": email, "password": password})
    assert r.status_code == 303, r.text
    return client


async def add_clusters(database_url: str, project_id: int, n: int, owner_email: str) -> None:
    """``n`` synthetic clusters; one in a hundred owned by ``owner_email`` (the owner filter's "mine")."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO clusters (project_id, title, culprit, first_seen, last_seen, config_id, signature, event_count,"
            " user_count, status)"
            " SELECT $1, 'SyntheticError: case ' || i, 'synthetic.module in fn_' || (i % 997),"
            "  now() - interval '30 days' + i * (interval '30 days' / $2), now() - (i % 1000) * interval '1 minute',"
            "  'synthetic', '\\x00', 1 + (i * 7919) % 5000, (i * 104729) % 800,"
            "  CASE WHEN i % 10 = 0 THEN 'resolved' ELSE 'unresolved' END"
            " FROM generate_series(1::bigint, $2) i",
            project_id, n,
        )
        await conn.execute(
            "UPDATE clusters SET owner_id = (SELECT id FROM users WHERE email = $2)"
            " WHERE project_id = $1 AND config_id = 'synthetic' AND id % 100 = 0",
            project_id, owner_email,
        )
        await conn.execute("ANALYZE clusters")
    finally:
        await conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(client: httpx.Client, urls: list[str], n: int, headers: dict[str, str] | None = None) -> list[float]:
    times: list[float] = []
    for i in range(n + 10):
        t0 = time.perf_counter()
        r = client.get(urls[i % len(urls)], headers=headers or {})
        elapsed = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, r.text[:500]
        if i >= 10:  # the first few warm the caches
            times.append(elapsed)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=100, help="requests per page kind")
    ap.add_argument("--clusters", type=int, default=0, help="synthetic clusters added to the demo project")
    ap.add_argument("--database-url", default=None, help="PostgreSQL admin URL (default: local or embedded)")
    args = ap.parse_args()
    url, stack = fresh_database(args.database_url or local_postgres())
    with stack:
        demo = json.loads(cli(url, "demo", "--org", ORG))
        if args.clusters:
            asyncio.run(add_clusters(url, demo["project_id"], args.clusters, demo["admin_email"]))
        port = free_port()
        with serve(url, port):
            base = f"http://127.0.0.1:{port}"
            api = httpx.Client(base_url=f"{base}/api/0", headers={"Authorization": f"Bearer {demo['token']}"}, timeout=30)
            pid = demo["project_id"]
            clusters = api.get(f"/projects/{pid}/clusters/", params={"limit": 100}).json()["clusters"]
            client = sign_in(base, demo["admin_email"], demo["admin_password"])
            lists = f"/o/{ORG}/clusters?project={pid}"
            kinds = {
                "list, last seen": [lists],
                **{f"list, sort {s}": [f"{lists}&sort={s}"] for s in ("first_seen", "count", "users", "trending")},
                "list, next page": [],
                "list, status + text": [f"{lists}&status=unresolved&q=error"],
                "list, rare text": [f"{lists}&q=coupon"],
                "list, owner mine": [f"{lists}&owner=me"],
                "list, owner nobody": [f"{lists}&owner=none&sort=count"],
                "list, htmx partial": [lists + "&sort=count"],
                "cluster page": [f"/o/{ORG}/projects/{pid}/clusters/{c['id']}" for c in clusters],
            }
            print(f"demo: {demo['events']} events, {len(clusters)} demo clusters + {args.clusters} synthetic ones")
            second = re.search(r'href="([^"]+)" hx-get="[^"]+" hx-target="#results" hx-push-url="true" rel="next"',
                               client.get(lists).text)
            kinds["list, next page"] = [second.group(1).replace("&amp;", "&")] if second else [lists]
            for name, urls in kinds.items():
                headers = {"HX-Request": "true"} if "htmx" in name else None
                times = timed(client, urls, args.requests, headers)
                print(f"{name}: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms,"
                      f" max {max(times):.1f} ms over {len(times)}; load {os.getloadavg()[0]:.2f} (1-min uptime)")


if __name__ == "__main__":
    main()
