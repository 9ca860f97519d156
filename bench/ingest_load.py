"""Ingest throughput: accepted durable events/s, p50/p99 latency, then processed events/s.

    .venv/bin/python bench/ingest_load.py --workers 2

Starts ``crashdesk serve --no-process`` on a fresh database (the PostgreSQL on
127.0.0.1:5432 if it answers, else an embedded one), loads it with ``wrk`` posting
pre-built gzip envelopes (the dev corpus and the fixture events, each body with its own
event_id), checks in the database that every 2xx is a stored row, then runs
``crashdesk worker`` processes and measures how fast the queue drains.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import multiprocessing
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PLACEHOLDER = b"e" * 32  # where a body's event_id goes; ids are 32 hex digits, so lengths never change

LUA = r"""
local bodies_path, index_path, path, auth = "%(bodies)s", "%(index)s", "%(path)s", "%(auth)s"
local counter, threads = 0, {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[1])
  local f = assert(io.open(bodies_path, "rb"))
  local blob = f:read("*a")
  f:close()
  local headers = {["Content-Type"] = "application/x-sentry-envelope", ["Content-Encoding"] = "gzip",
                   ["X-Sentry-Auth"] = "Sentry sentry_key=" .. auth .. ", sentry_version=7, sentry_client=sentry.python/2.19.0"}
  reqs, n, i = {}, 0, 0
  local k = 0
  for line in io.lines(index_path) do
    if k %% nthreads == tid then
      local off, len = line:match("(%%d+) (%%d+)")
      n = n + 1
      reqs[n] = wrk.format("POST", path, headers, blob:sub(tonumber(off) + 1, tonumber(off) + tonumber(len)))
    end
    k = k + 1
  end
  blob = nil
  collectgarbage()
end
function request()
  i = i + 1
  if i > n then i = 1; wrapped = 1 end
  return reqs[i]
end
function done(summary, latency, requests)
  local reused = 0
  for _, t in ipairs(threads) do reused = reused + (t:get("wrapped") or 0) end
  io.write(string.format('WRKJSON {"reused_bodies": %%d, "requests": %%d, "duration_us": %%d, "status_errors": %%d, "connect_errors": %%d,'
    .. ' "read_errors": %%d, "write_errors": %%d, "timeouts": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    reused, summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


# --- database and server ----------------------------------------------------------------------------


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _fetchval(url: str, sql: str, *args: object) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database(admin_url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """(url of a new empty database, where it lives); dropped afterwards."""
    where = admin_url or LOCAL_PG
    server = None
    if admin_url is None:
        try:
            asyncio.run(_admin(LOCAL_PG, "SELECT 1"))
        except (OSError, asyncpg.PostgresError):
            from server.database import EmbeddedPostgres

            server = EmbeddedPostgres(tmp / "pg")
            where = server.start()
    name = f"crashdesk_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(where, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(where)._replace(path=f"/{name}")), ("embedded PostgreSQL" if server else where)
    finally:
        asyncio.run(_admin(where, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if server is not None:
            server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def crashdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


def cli_json(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(crashdesk(*args, "--json"), env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = crashdesk("serve", "--port", str(port), "--workers", str(workers), "--no-process", "--log-level", "warning")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"crashdesk serve exited {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/0/health", timeout=2).status_code == 200:
                return proc
        time.sleep(0.1)
    raise SystemExit(f"crashdesk serve did not become healthy:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def machine_busy() -> float:
    """CPU seconds all cores of the machine spent not idle."""
    t = psutil.cpu_times()  # guest time is already counted in user time
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0) + getattr(t, "steal", 0.0)


def postgres_cpu() -> float:
    total = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("postgres", "postmaster"):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                t = p.cpu_times()
                total += t.user + t.system
    return total


# --- bodies -------------------------------------------------------------------------------------------


def _templates() -> list[tuple[str, bytes]]:
    """(name, identity envelope with PLACEHOLDER for the event_id) from the corpus and fixture events."""
    from protocol import parse_envelope

    out: list[tuple[str, bytes]] = []
    for path in sorted((SHARED / "corpus/dev/envelopes").glob("*.envelope")):
        env = parse_envelope(path.read_bytes())
        head = {**env.headers, "event_id": PLACEHOLDER.decode()}
        lines = [json.dumps(head).encode()]
        for item in env.items:
            payload = item.payload
            if item.type == "event":
                payload = json.dumps({**json.loads(payload), "event_id": PLACEHOLDER.decode()}).encode()
            lines += [json.dumps({**item.headers, "length": len(payload)}).encode(), payload]
        out.append((path.name, b"\n".join(lines) + b"\n"))
    fixtures = SHARED / "fixtures"
    roots = [fixtures / "bugsink-event-samples", fixtures / "sentry-samples", fixtures / "glitchtip-backend/events/test_data"]
    for path in sorted(p for root in roots for p in root.rglob("*.json") if "artifact_bundles" not in p.parts):
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        payload = json.dumps({**data, "event_id": PLACEHOLDER.decode()}).encode()
        head = {"event_id": PLACEHOLDER.decode(), "sent_at": "2026-11-23T10:00:00Z", "sdk": data.get("sdk") or {}}
        item = {"type": "event", "content_type": "application/json", "length": len(payload)}
        out.append((str(path.relative_to(fixtures)), b"\n".join([json.dumps(head).encode(), json.dumps(item).encode(), payload]) + b"\n"))
    return out


def _accepted_templates(templates: list[tuple[str, bytes]], url: str, key: str) -> list[bytes]:
    """Only bodies the server takes (some recordings are refused by design, e.g. over 1 MiB)."""
    kept = []
    with httpx.Client(headers={"X-Sentry-Auth": f"Sentry sentry_key={key}"}, timeout=30) as http:
        for _, body in templates:
            r = http.post(url, content=body.replace(PLACEHOLDER, uuid.uuid4().hex.encode()))
            if r.status_code == 200:
                kept.append(body)
    return kept


def _gzip_chunk(args: tuple[list[bytes], int, int]) -> list[bytes]:
    templates, start, count = args
    return [gzip.compress(templates[i % len(templates)].replace(PLACEHOLDER, uuid.uuid4().hex.encode()), 6, mtime=0)
            for i in range(start, start + count)]


def build_bodies(templates: list[bytes], count: int, bodies: Path, index: Path) -> float:
    """Write ``count`` gzip bodies, each with a fresh event_id; return their mean size."""
    chunks = [(templates, s, min(5000, count - s)) for s in range(0, count, 5000)]
    total = 0
    with multiprocessing.Pool(os.cpu_count()) as pool, bodies.open("wb") as blob, index.open("w") as idx:
        for part in pool.imap(_gzip_chunk, chunks):
            for body in part:
                idx.write(f"{total} {len(body)}\n")
                blob.write(body)
                total += len(body)
    return total / count


# --- one wrk run ----------------------------------------------------------------------------------------


def run_wrk(lua: Path, base_url: str, connections: int, seconds: int, threads: int, server_pid: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(lua), base_url, "--", str(threads)]
    # stdbuf: see wrk's "Running" line as it is printed; it comes after every thread loaded its
    # bodies, so CPU is counted over the load only, not over wrk's start-up.
    proc = subprocess.Popen(["stdbuf", "-oL", *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for raw in proc.stdout:  # type: ignore[union-attr]
        lines.append(raw.decode())
        if raw.startswith(b"Running"):
            break
    started = time.monotonic()
    cpu0, pg0, sys0 = tree_cpu(server_pid), postgres_cpu(), machine_busy()
    wrk0 = sum(psutil.Process(proc.pid).cpu_times()[:2])
    lines += [raw.decode() for raw in proc.stdout]  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    window = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    server_cpu, pg_cpu, machine = tree_cpu(server_pid) - cpu0, postgres_cpu() - pg0, machine_busy() - sys0
    wrk_cpu = usage.ru_utime + usage.ru_stime - wrk0
    out = "".join(lines)
    match = re.search(r"WRKJSON (\{.*\})", out)
    if proc.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{out}")
    stats = json.loads(match.group(1))
    elapsed = stats["duration_us"] / 1e6
    stats.update(
        cmd=shlex.join(cmd),
        elapsed=elapsed,
        ok=stats["requests"] - stats["status_errors"],
        wrk_cpu=wrk_cpu / window,
        server_cpu=server_cpu / window,
        postgres_cpu=pg_cpu / window,
        machine_cpu=machine / window,
        output=out,
    )
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="HTTP processes of crashdesk serve")
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server (default: 127.0.0.1:5432, else embedded)")
    parser.add_argument("--connections", default="50,200", help="comma-separated wrk connection counts")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--bodies", type=int, default=0, help="distinct bodies (default: duration x 12,000)")
    parser.add_argument("--process-workers", type=int, default=2, help="crashdesk worker processes for the drain phase")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="stop measuring processing after this long")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    count = args.bodies or args.duration * 12_000
    print("command:", shlex.join([sys.executable, *sys.argv]), flush=True)
    with tempfile.TemporaryDirectory(prefix="crashdesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with fresh_database(args.database_url, tmp) as (db, where):
            env = {**os.environ, "DATABASE_URL": db, "CRASHDESK_DATA_DIR": str(tmp / "data")}
            env.pop("SENTRY_DSN", None)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env["CRASHDESK_PUBLIC_URL"] = base
            server = start_serve(env, port, args.workers, tmp / "serve.log")
            try:
                probe = cli_json(env, "createproject", "bench", "probe", "--create-org")
                templates = _accepted_templates(_templates(), f"{base}/api/{probe['project_id']}/envelope/", probe["public_key"])
                started = time.monotonic()
                size = build_bodies(templates, count, tmp / "bodies.bin", tmp / "bodies.idx")
                print(f"database: {where}; {len(templates)} accepted templates; {count} gzip bodies, mean {size:.0f} B,"
                      f" built in {time.monotonic() - started:.1f}s", flush=True)
                results = []
                for n, conns in enumerate(int(c) for c in args.connections.split(",")):
                    project = cli_json(env, "createproject", "bench", f"run{n}", "--create-org")  # event ids are unique per project
                    lua = tmp / f"run{n}.lua"
                    lua.write_text(LUA % {"bodies": tmp / "bodies.bin", "index": tmp / "bodies.idx",
                                          "path": f"/api/{project['project_id']}/envelope/", "auth": project["public_key"]})
                    stats = run_wrk(lua, base, conns, args.duration, args.threads, server.pid)
                    time.sleep(0.5)
                    stats["rows"] = asyncio.run(_fetchval(db, "SELECT count(*) FROM events WHERE project_id = $1", project["project_id"]))
                    stats["connections"] = conns
                    results.append(stats)
                    print(f"  c={conns}: {stats['ok'] / stats['elapsed']:.0f} accepted/s, p99 {stats['p99_us'] / 1000:.1f} ms,"
                          f" rows {stats['rows']} for {stats['ok']} 2xx", flush=True)
            finally:
                stop(server)

            pending = asyncio.run(_fetchval(db, "SELECT count(*) FROM events WHERE status = 'pending'"))
            workers = [subprocess.Popen(crashdesk("worker"), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(args.process_workers)]
            started = time.monotonic()
            left = pending
            try:
                while left and time.monotonic() - started < args.drain_timeout:
                    time.sleep(1.0)
                    left = asyncio.run(_fetchval(db, "SELECT count(*) FROM events WHERE status = 'pending'"))
                drained = time.monotonic() - started
            finally:
                for w in workers:
                    stop(w)
            statuses = asyncio.run(_fetchval(db, "SELECT json_object_agg(status, n) FROM"
                                                 " (SELECT status, count(*) n FROM events GROUP BY status) s"))

    print()
    print(f"crashdesk serve --workers {args.workers} --no-process; {args.threads}-thread wrk, {args.duration}s per run;"
          f" database {where}; {os.cpu_count()} cores")
    print(f"{'clients':>7} {'accepted/s':>10} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'non-2xx':>7}"
          f" {'sock err':>8} {'rows-2xx':>8} {'wrk CPU':>7} {'serve CPU':>9} {'pg CPU':>6} {'machine':>7}")
    for s in results:
        errors = s["connect_errors"] + s["read_errors"] + s["write_errors"] + s["timeouts"]
        rows_check = f"{s['rows'] - s['ok']:+d}" + ("!" if s["reused_bodies"] else "")
        print(f"{s['connections']:>7} {s['ok'] / s['elapsed']:>10.0f} {s['p50_us'] / 1000:>7.1f} {s['p90_us'] / 1000:>7.1f}"
              f" {s['p99_us'] / 1000:>7.1f} {s['max_us'] / 1000:>7.1f} {s['status_errors']:>7} {errors:>8} {rows_check:>9}"
              f" {s['wrk_cpu']:>7.2f} {s['server_cpu']:>9.2f} {s['postgres_cpu']:>6.2f} {s['machine_cpu']:>7.2f}")
    done = pending - left
    print(f"processing: {args.process_workers} x crashdesk worker drained {done} of {pending} pending events in {drained:.1f}s"
          f" = {done / drained:.0f} events/s; final statuses {statuses}")
    print("rows-2xx: stored rows minus 2xx answers; 0 to +clients is right (requests in flight when wrk stopped"
          " its clock were committed too); negative would be loss; '!' marks a run that reused bodies.")
    print(f"CPU columns: cores used on average; 'machine' is every process ({os.cpu_count()}.00 = all cores busy).")
    for s in results:
        print("wrk:", s["cmd"])


if __name__ == "__main__":
    main()
