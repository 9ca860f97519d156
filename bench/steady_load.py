"""Steady load on the one-command setup: does processing keep up, and how soon is a crash visible?

    .venv/bin/python bench/steady_load.py --rate 1000 --duration 60 [--compare main]

Starts ``crashdesk serve`` as a new user would (one process, events processed inside it)
on a fresh database (the PostgreSQL on 127.0.0.1:5432 unless ``--database-url``), then
offers ``--rate`` corpus events per second for ``--duration`` seconds on an open loop:
each request leaves on its schedule whether or not earlier ones were answered (a closed
loop would slow down with the server and hide a backlog). Every ``--probe-every``-th event
is a probe: from its 200 until a poll (every ``--poll-ms``) sees it processed with its
cluster set, committed, i.e. listed in its cluster. Prints the pending backlog each
second, its trend, and the probes' p50/p99/max. With ``--compare REF`` the code at REF
runs the same load first (a temporary git worktree), so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import fresh_database, free_port, local_postgres, serve  # noqa: E402
from ingest_load import machine_busy, tree_cpu  # noqa: E402
from processing_drain import CORPUS, _backends, _cpu, _create_org, checkout, corpus_payloads, run_cli  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = b"e" * 32


def request_templates(port: int, project_id: int, key: str) -> list[bytes]:
    """Whole HTTP/1.1 requests (an envelope per corpus event), with PLACEHOLDER where the event_id goes."""
    out = []
    for event in corpus_payloads(CORPUS):
        payload = json.dumps({**event, "event_id": PLACEHOLDER.decode()}).encode()
        item = json.dumps({"type": "event", "length": len(payload)}).encode()
        body = json.dumps({"event_id": PLACEHOLDER.decode()}).encode() + b"\n" + item + b"\n" + payload + b"\n"
        head = (f"POST /api/{project_id}/envelope/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/x-sentry-envelope\r\nContent-Length: {len(body)}\r\n"
                f"X-Sentry-Auth: Sentry sentry_key={key}, sentry_version=7\r\n\r\n").encode()
        out.append(head + body)
    return out


class Load:
    """An open-loop sender over keep-alive connections (a new one when all are busy, up to a cap;
    past it a request waits for a free connection, and the wait counts in its latency)."""

    def __init__(self, port: int, templates: list[bytes], rate: float, duration: float, probe_every: int,
                 max_connections: int) -> None:
        self.port, self.templates, self.rate, self.duration, self.probe_every = port, templates, rate, duration, probe_every
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self.max_connections = max_connections
        self.opened = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.probes: dict[str, float] = {}  # event_id -> when its 200 came
        self.late = 0.0  # how far behind schedule the sender fell, at most

    async def _one(self, n: int, event_id: str, sent: float) -> None:
        try:
            await self._send(n, event_id, sent)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.statuses[-1] = self.statuses.get(-1, 0) + 1  # -1: the connection failed; it is dropped
            self.opened -= 1

    async def _send(self, n: int, event_id: str, sent: float) -> None:
        if self.idle.empty() and self.opened < self.max_connections:
            self.opened += 1
            conn = await asyncio.open_connection("127.0.0.1", self.port)
        else:
            conn = await self.idle.get()
        reader, writer = conn
        raw = self.templates[n % len(self.templates)].replace(PLACEHOLDER, event_id.encode())
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        done = time.monotonic()
        self.idle.put_nowait(conn)
        self.latencies.append(done - sent)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200 and n % self.probe_every == 0:
            self.probes[event_id] = done

    async def run(self) -> None:
        start = time.monotonic()
        total = int(self.rate * self.duration)
        tasks = set()
        for n in range(total):
            due = start + n / self.rate
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            else:
                self.late = max(self.late, now - due)
            task = asyncio.create_task(self._one(n, uuid.uuid4().hex, max(due, time.monotonic())))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, return_exceptions=True)
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


async def watch(db: str, project_id: int, load: Load, poll: float, stopped: list[float],
                seen: dict[str, float], backlog: list[tuple[float, int, int]]) -> None:
    """Record when each probe is first seen processed in its cluster, and the backlog every second,
    until the load has stopped and every probe was seen (or a minute more has passed)."""
    conn = await asyncpg.connect(db)
    try:
        next_sample = time.monotonic()
        while not stopped or len(seen) < len(load.probes):
            now = time.monotonic()
            waiting = [e for e in load.probes if e not in seen]
            if waiting:
                rows = await conn.fetch(
                    "SELECT replace(event_id::text, '-', '') AS e FROM events WHERE project_id = $1"
                    " AND event_id = ANY($2::uuid[]) AND status = 'processed' AND cluster_id IS NOT NULL",
                    project_id, waiting)
                at = time.monotonic()
                for r in rows:
                    seen[r["e"]] = at
            if now >= next_sample:
                counts = dict(await conn.fetch("SELECT status, count(*) FROM events GROUP BY status"))
                backlog.append((now, counts.get("pending", 0), counts.get("processed", 0) + counts.get("failed", 0)))
                next_sample += 1.0
            if stopped and time.monotonic() - stopped[0] > 60:
                break  # probes never processed are reported as missing
            await asyncio.sleep(poll)
    finally:
        await conn.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _measure(db: str, project_id: int, load: Load, server: subprocess.Popen[bytes], poll: float) -> dict:
    conn = await asyncpg.connect(db)
    backends = await _backends(conn)
    await conn.close()
    seen: dict[str, float] = {}
    backlog: list[tuple[float, int, int]] = []
    stopped: list[float] = []
    watcher = asyncio.create_task(watch(db, project_id, load, poll, stopped, seen, backlog))
    cpu0, pg0, sys0, t0, load0 = tree_cpu(server.pid), _cpu(backends), machine_busy(), time.monotonic(), os.getloadavg()[0]
    await load.run()
    elapsed = time.monotonic() - t0
    serve_cpu, pg_cpu, machine = tree_cpu(server.pid) - cpu0, _cpu(backends) - pg0, machine_busy() - sys0
    stopped.append(time.monotonic())
    await watcher
    visible = [seen[e] - t for e, t in load.probes.items() if e in seen]
    during = [b for b in backlog if b[0] <= t0 + elapsed]
    slope = 0.0
    if len(during) >= 3:
        xs, ys = [b[0] for b in during], [b[1] for b in during]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    half = [b for b in during if b[0] >= t0 + elapsed / 2]
    processed_rate = (half[-1][2] - half[0][2]) / (half[-1][0] - half[0][0]) if len(half) >= 2 else float("nan")
    return {
        "sent": sum(load.statuses.values()), "elapsed": elapsed, "statuses": load.statuses, "late": load.late,
        "connections": load.opened, "p50": _pct(load.latencies, 0.5), "p99": _pct(load.latencies, 0.99),
        "backlog": [b[1] for b in during], "slope": slope, "processed_rate": processed_rate,
        "probes": len(load.probes), "missing": len(load.probes) - len(visible),
        "v50": _pct(visible, 0.5), "v90": _pct(visible, 0.9), "v99": _pct(visible, 0.99), "vmax": max(visible, default=float("nan")),
        "serve_cpu": serve_cpu / elapsed, "pg_cpu": pg_cpu / elapsed, "machine_cpu": machine / elapsed, "load": load0,
    }


def one_run(tree: Path, admin: str | None, args: argparse.Namespace) -> dict:
    db, stack = fresh_database(admin)
    with stack:
        run_cli(tree, db, "migrate")
        made = json.loads(run_cli(tree, db, "createproject", "bench", "steady", "--json", *_create_org(tree)).strip().splitlines()[-1])
        port = free_port()
        with serve(db, port, tree=tree) as server:
            load = Load(port, request_templates(port, made["project_id"], made["public_key"]), args.rate, args.duration,
                        args.probe_every, args.connections)
            return asyncio.run(_measure(db, int(made["project_id"]), load, server, args.poll_ms / 1000))


def report(name: str, r: dict) -> str:
    b = r["backlog"]
    tail = b[-10:] or [0]
    return (
        f"{name}: sent {r['sent']} in {r['elapsed']:.1f}s ({r['sent'] / r['elapsed']:.0f}/s, sender at most {r['late'] * 1000:.0f} ms"
        f" behind schedule, {r['connections']} connections), answers {r['statuses']} (-1: connection failed; 413: the few"
        f" corpus events over the 1 MiB event limit), 200 latency p50 {r['p50'] * 1000:.1f}"
        f" ms p99 {r['p99'] * 1000:.1f} ms\n"
        f"  backlog (pending, each second): {b}\n"
        f"  backlog trend {r['slope']:+.1f} events/s (flat is ~0; growing means processing falls behind), last 10 s mean"
        f" {statistics.fmean(tail):.0f}, max {max(b or [0])}; processed {r['processed_rate']:.0f}/s over the second half\n"
        f"  crash visible in its cluster after its 200 ({r['probes']} probes, {r['missing']} never seen):"
        f" p50 {r['v50'] * 1000:.0f} ms, p90 {r['v90'] * 1000:.0f} ms, p99 {r['v99'] * 1000:.0f} ms, max {r['vmax'] * 1000:.0f} ms\n"
        f"  CPU: serve {r['serve_cpu']:.2f} + its postgres backends {r['pg_cpu']:.2f} cores; machine {r['machine_cpu']:.2f} of"
        f" {psutil.cpu_count()}; load avg at start {r['load']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=1000.0, help="offered events per second")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument("--probe-every", type=int, default=10, help="every n-th event is timed to its cluster")
    ap.add_argument("--poll-ms", type=float, default=20.0, help="how often probes are looked for (adds up to this to each)")
    ap.add_argument("--connections", type=int, default=64, help="most client connections (SDKs in many apps)")
    ap.add_argument("--compare", metavar="REF", help="first run the same load on the code at this git ref")
    ap.add_argument("--database-url", help="admin URL of a PostgreSQL server (default: 127.0.0.1:5432, else embedded)")
    args = ap.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]), flush=True)
    admin = args.database_url or local_postgres()
    print(f"crashdesk serve (defaults: 1 process, processing inside it); {args.rate:.0f} events/s offered for"
          f" {args.duration:.0f}s, open loop; database {admin or 'embedded'}; {psutil.cpu_count()} cores shared", flush=True)
    with contextlib.ExitStack() as stack:
        trees = {}
        if args.compare:
            trees[f"before ({args.compare})"] = stack.enter_context(checkout(args.compare))
        trees["this tree"] = REPO
        for name, tree in trees.items():
            print(report(name, one_run(tree, admin, args)), flush=True)


if __name__ == "__main__":
    main()
