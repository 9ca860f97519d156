"""Support desk speed: a pasted ticket answered through the web page, lookup included.

    .venv/bin/python bench/support_desk.py [--requests 200] [--database-url URL]

Fills a fresh database with ``crashdesk demo`` (real sentry-sdk crashes, releases, articles and
tickets), starts ``crashdesk serve``, signs in as the demo's admin like a browser (form + CSRF),
then posts the demo's own tickets (pasted tracebacks, English and Chinese prose) to
``POST /o/demo/support`` one at a time, as htmx does (the result panel) and as a plain form
post (the whole page). Prints p50/p95 per kind with the load (uptime): the machine is a shared
2-core box, so re-run quietly with the same command. Goal: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import cli, free_port, fresh_database, local_postgres, serve  # noqa: E402

ORG = "demo"


def sign_in(base: str, email: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="_csrf" value="([^"]+)"', client.get("/login").text)
    assert token, "the sign-in page has no CSRF field"
    r = client.post("/login", data={"_csrf": token.group(1), "email": email, "password": password})
    assert r.status_code == 303, r.text
    desk = client.get(f"/o/{ORG}/support")
    assert desk.status_code == 200, desk.text[:300]
    csrf = re.search(r'name="_csrf" value="([^"]+)"', desk.text)
    assert csrf
    return client, csrf.group(1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="pasted tickets posted per mode")
    ap.add_argument("--database-url", default=None, help="PostgreSQL admin URL (default: local or embedded)")
    args = ap.parse_args()
    url, stack = fresh_database(args.database_url or local_postgres())
    with stack:
        started = time.monotonic()
        demo = json.loads(cli(url, "demo", "--org", ORG))
        print(f"demo filled in {time.monotonic() - started:.0f}s: {demo['events']} events, {demo['clusters']} clusters,"
              f" {demo['tickets']} tickets, {demo['articles']} articles")
        port = free_port()
        with serve(url, port):
            base = f"http://127.0.0.1:{port}"
            api = httpx.Client(base_url=f"{base}/api/0", headers={"Authorization": f"Bearer {demo['token']}"}, timeout=30)
            tickets = api.get(f"/projects/{demo['project_id']}/tickets", params={"limit": 200}).json()["tickets"]
            pastes = [(f"{t['subject']}\n\n{t['body']}", t["version"] or "") for t in tickets]
            client, csrf = sign_in(base, demo["admin_email"], demo["admin_password"])
            for mode, headers in (("htmx panel", {"HX-Request": "true"}), ("full page", {})):
                times: list[float] = []
                known = 0
                for n in range(args.requests + 10):
                    text, version = pastes[n % len(pastes)]
                    t0 = time.perf_counter()
                    r = client.post(f"/o/{ORG}/support", headers=headers,
                                    data={"_csrf": csrf, "project": str(demo["project_id"]), "text": text, "version": version})
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert r.status_code == 200, r.text[:500]
                    if n >= 10:  # the first few warm the caches
                        times.append(elapsed)
                        known += "verdict known" in r.text
                print(f"{mode}: {len(times)} pasted tickets ({len(pastes)} distinct), {known} known;"
                      f" p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms,"
                      f" max {max(times):.1f} ms; load {os.getloadavg()[0]:.2f} (1-min uptime)")


if __name__ == "__main__":
    main()
