"""Web page latency with a signed-in session: the engineer's main pages, p50/p95 per page.

The knowledge base's pages and the public portal's are measured too (on a published public
demo article; the portal answers the same signed in or not).

(a) on the demo organization (``crashdesk demo``: real sentry-sdk crashes and sessions in three
releases); (b) the same after 100,000 synthetic clusters (and 300,000 release-cluster rows) are
inserted into the demo project by SQL (a bench may write rows directly; product code never does).
Goals: p95 < 50 ms on (a), < 150 ms on (b). A page that answers 404 (not built yet) is skipped
with a note. Requests go one at a time to one ``crashdesk serve`` over HTTP, as a browser's would.

    .venv/bin/python bench/web_pages.py [--requests 100] [--clusters 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import REPO, free_port, fresh_database, local_postgres, serve  # noqa: E402

GOALS = {"demo": 50.0, "100k clusters": 150.0}


def demo(url: str, port: int) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url, "CRASHDESK_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    out = subprocess.run([sys.executable, "-m", "server.cli", "demo", "--org", "bench", "--json"], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def signed_in(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="_csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"_csrf": token, "email": email, "password": password})
    assert answer.status_code == 303, answer.text
    return client


def pages(api: httpx.Client, made: dict[str, Any]) -> dict[str, str]:
    pid, org = made["project_id"], made["organization"]
    event_id = api.get(f"/api/0/projects/{pid}/events/", params={"limit": 1}).json()["events"][0]["event_id"]
    version = api.get(f"/api/0/projects/{pid}/releases/", params={"limit": 1}).json()["releases"][0]["version"]
    return {
        "projects (org home)": f"/o/{org}/",
        "project": f"/o/{org}/projects/{pid}",
        "cluster list": f"/o/{org}/clusters",
        "cluster detail": f"/o/{org}/projects/{pid}/clusters/{made['regressed_cluster_id']}",
        "releases": f"/o/{org}/releases?project={pid}",
        "release": f"/o/{org}/projects/{pid}/releases?version={quote(version, safe='')}",
        "event": f"/o/{org}/projects/{pid}/events/{event_id}",
        "settings members": f"/o/{org}/settings",
        "settings tokens": f"/o/{org}/settings/tokens",
        "settings webhooks": f"/o/{org}/settings/webhooks",
        "settings grouping": f"/o/{org}/settings/grouping/{pid}",
        **kb_pages(api, org),
    }


def kb_pages(api: httpx.Client, org: str) -> dict[str, str]:
    """The knowledge base's pages on a published public demo article, and the public portal's."""
    found = api.get("/api/0/articles/", params={"status": "published", "visibility": "public", "limit": 1}).json()
    aid = found["articles"][0]["id"]
    return {
        "kb list": f"/o/{org}/kb",
        "kb search": f"/o/{org}/kb?q=coupon+crash+checkout",
        "kb article": f"/o/{org}/kb/{aid}",
        "kb editor": f"/o/{org}/kb/{aid}/edit",
        "kb history": f"/o/{org}/kb/{aid}/history",
        "kb reports": f"/o/{org}/kb/reports",
        "kb gaps": f"/o/{org}/kb/reports?report=knowledge-gaps",
        "portal home": f"/help/{org}/",
        "portal search": f"/help/{org}/?q=my+coupon+does+not+work",
        "portal article": f"/help/{org}/articles/{aid}",
    }


def measure(client: httpx.Client, urls: dict[str, str], n: int, label: str) -> list[tuple[str, float, float]]:
    rows = []
    for name, path in urls.items():
        first = client.get(path)
        if first.status_code == 404:
            print(f"  {name:22} skipped: {path} answers 404 (page not on this branch yet)")
            continue
        assert first.status_code == 200, (path, first.status_code, first.text[:300])
        for _ in range(5):
            client.get(path)  # warm: template compiled, plans cached
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            r = client.get(path)
            lat.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        lat.sort()
        p50, p95 = statistics.median(lat), lat[max(0, int(len(lat) * 0.95) - 1)]
        goal = GOALS[label]
        print(f"  {name:22} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {'ok' if p95 < goal else 'OVER'} (goal {goal:.0f})")
        rows.append((name, p50, p95))
    return rows


async def seed_clusters(url: str, project_id: int, n: int) -> None:
    """``n`` clusters over the demo's releases, each seen in up to three of them, then ANALYZE."""
    conn = await asyncpg.connect(url)
    try:
        releases = await conn.fetch("SELECT id, version FROM releases WHERE project_id = $1 ORDER BY id", project_id)
        ids, names = [r["id"] for r in releases], [r["version"] for r in releases]
        await conn.execute(
            "INSERT INTO clusters (project_id, title, culprit, level, first_seen, last_seen, config_id, signature,"
            " event_count, user_count, first_release, status, regressed_in_release, resolved_in_release_id)"
            " SELECT $1, 'SyntheticError: synthetic failure ' || i, 'bench.synthetic in f' || (i % 97), 'error',"
            "  now() - interval '30 days' + i * interval '20 seconds', now() - (i % 1000) * interval '1 minute',"
            "  'synthetic', '\\x00', 1 + i % 50, i % 7, ($2::text[])[1 + i % $3],"
            "  CASE WHEN i % 20 = 0 THEN 'resolved' ELSE 'unresolved' END,"
            "  CASE WHEN i % 50 = 1 THEN ($2::text[])[1 + (i / 50) % $3] END,"
            "  CASE WHEN i % 20 = 0 THEN ($4::bigint[])[1 + (i / 20) % $3] END"
            " FROM generate_series(1::bigint, $5) i",
            project_id, names, len(names), ids, n,
        )
        await conn.execute(
            "INSERT INTO release_clusters (release_id, cluster_id, events, first_seen, last_seen)"
            " SELECT DISTINCT ON (1, 2) ($2::bigint[])[1 + ((c.id + k) % $3)], c.id, 3, c.first_seen,"
            "  c.first_seen + k * interval '1 hour'"
            " FROM clusters c CROSS JOIN generate_series(0, 2) k WHERE c.project_id = $1 AND c.config_id = 'synthetic'"
            " ON CONFLICT DO NOTHING",
            project_id, ids, len(ids),
        )
        for table in ("clusters", "release_clusters", "releases"):
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100, help="timed requests per page")
    ap.add_argument("--clusters", type=int, default=100_000)
    args = ap.parse_args()
    url, cleanup = fresh_database(local_postgres())
    with cleanup:
        port = free_port()
        t = time.perf_counter()
        made = demo(url, port)
        print(f"demo filled in {time.perf_counter() - t:.0f} s: {made['events']} events, {made['clusters']} clusters,"
              f" releases {', '.join(made['releases'])}")
        with serve(url, port):
            base = f"http://127.0.0.1:{port}"
            client = signed_in(base, made["admin_email"], made["admin_password"])
            api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {made['token']}"}, timeout=30)
            urls = pages(api, made)
            print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min); {args.requests} requests per page")
            print("(a) demo data")
            measure(client, urls, args.requests, "demo")
            t = time.perf_counter()
            asyncio.run(seed_clusters(url, made["project_id"], args.clusters))
            print(f"(b) with {args.clusters:,} more clusters (inserted in {time.perf_counter() - t:.0f} s);"
                  f" load {os.getloadavg()[0]:.2f}")
            measure(client, urls, args.requests, "100k clusters")


if __name__ == "__main__":
    main()
