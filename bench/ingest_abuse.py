"""Health latency and memory of ``crashdesk serve`` while abusive requests arrive (issue 8, cases 2, 3).

    .venv/bin/python bench/ingest_abuse.py [--seconds 10] [--database-url URL]

Measures ``/api/0/health`` latency (sequential GETs) first on an idle server, then while
clients send what the issue found: 19.6 MB envelopes of 1.4 M tiny items (valid and
unknown key), gzip bombs, and senders that announce 19 MiB and dribble it. Prints health
p50/p99/max, the answers each abuser got, and the server's peak RSS. The machine is
shared; run it when it is quiet for figures worth comparing.
"""

from __future__ import annotations

import argparse
import os
import contextlib
import gzip
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections import Counter
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import cli, fresh_database, free_port, local_postgres, serve  # noqa: E402


_SAMPLER = """
import json, sys, time, httpx
base, seconds = sys.argv[1], float(sys.argv[2])
times, end = [], time.monotonic() + seconds
with httpx.Client(timeout=30) as http:
    while time.monotonic() < end:
        t = time.perf_counter()
        try:
            http.get(base + "/api/0/health")
        except httpx.HTTPError:
            pass
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)
print(json.dumps(times))
"""


def health_latency(base: str, seconds: float) -> list[float]:
    """Sampled from its own process, so the abusers' threads here do not delay the measurement."""
    out = subprocess.run([sys.executable, "-c", _SAMPLER, base, str(seconds)], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def poster(stop: threading.Event, url: str, body: bytes, headers: dict[str, str], seen: Counter, pause: float) -> None:
    """Posts ``body`` again and again; ``pause`` keeps this load generator, which shares the
    machine's cores with the server, from measuring its own CPU use instead of the server's."""
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            try:
                seen[http.post(url, content=body, headers=headers).status_code] += 1
            except httpx.HTTPError as exc:
                seen[type(exc).__name__] += 1
            time.sleep(pause)


def dribbler(stop: threading.Event, port: int, project_id: int, key: str, seen: Counter) -> None:
    head = (f"POST /api/{project_id}/envelope/ HTTP/1.1\r\nHost: b\r\nX-Sentry-Auth: Sentry sentry_key={key}\r\n"
            f"Content-Length: {19 << 20}\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(head + b"x" * (1 << 20))
            while not stop.is_set():
                sock.sendall(b"x")
                sock.settimeout(1)
                with contextlib.suppress(TimeoutError):
                    data = sock.recv(200)
                    seen[data.split(b" ")[1].decode() if data else "closed"] += 1
                    return
        seen["held to the end"] += 1
    except OSError as exc:
        seen[type(exc).__name__] += 1


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def summary(times: list[float]) -> str:
    if len(times) < 2:
        return f"n={len(times)} (health did not answer for the whole run), max {max(times, default=0):.0f} ms"
    q = statistics.quantiles(times, n=100)
    return f"n={len(times)} p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {max(times):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds each abuser waits between requests")
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server (default: 127.0.0.1:5432, else embedded)")
    args = parser.parse_args()
    url, stack = fresh_database(args.database_url or local_postgres())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with stack, serve(url, port, "--no-process") as proc:
        made = json.loads(cli(url, "createproject", "bench-org", "app", "--create-org"))
        envelope_url = f"{base}/api/{made['project_id']}/envelope/"
        valid = {"X-Sentry-Auth": f"Sentry sentry_key={made['public_key']}", "Content-Encoding": "gzip"}
        unknown = {"X-Sentry-Auth": f"Sentry sentry_key={uuid.uuid4().hex}", "Content-Encoding": "gzip"}
        items = gzip.compress(b"{}\n" + b'{"type":"x"}\n\n' * 1_400_000, 1)
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
        bomb = b"".join(c.compress(bytes(1 << 20)) for _ in range(256)) + c.flush()
        idle = health_latency(base, args.seconds)
        rss_idle = peak_rss_mib(proc.pid)
        seen = {name: Counter() for name in ("items, valid key", "items, unknown key", "gzip bomb", "dribbler")}
        phases = {
            "big bodies": [(poster, (envelope_url, items, valid, seen["items, valid key"], args.pause))] * 4
            + [(poster, (envelope_url, items, unknown, seen["items, unknown key"], args.pause))] * 4
            + [(poster, (envelope_url, bomb, valid, seen["gzip bomb"], args.pause))] * 2,
            "40 dribblers": [(dribbler, (port, made["project_id"], made["public_key"], seen["dribbler"]))] * 40,
        }
        print(f"health idle:              {summary(idle)}")
        for phase, workers in phases.items():
            stop = threading.Event()
            threads = [threading.Thread(target=fn, args=(stop, *a)) for fn, a in workers]
            for t in threads:
                t.start()
            cpu = psutil.Process(proc.pid).cpu_times()
            loaded = health_latency(base, args.seconds)
            cpu_after = psutil.Process(proc.pid).cpu_times()
            stop.set()
            for t in threads:
                t.join(timeout=120)
            serve_cpu = (cpu_after.user + cpu_after.system - cpu.user - cpu.system) / args.seconds
            print(f"health with {phase + ':':<14} {summary(loaded)}; serve CPU {serve_cpu:.2f} cores")
        print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared with other work)")
        print(f"serve peak RSS: {rss_idle:.0f} MiB idle -> {peak_rss_mib(proc.pid):.0f} MiB after both phases")
        for name, counts in seen.items():
            print(f"  {name:<20} {dict(counts)}")


if __name__ == "__main__":
    main()
