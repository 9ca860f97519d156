"""Processing drain: how fast ``crashdesk worker`` processes empty a backlog of corpus events.

    .venv/bin/python bench/processing_drain.py --compare main --rounds 2 --profile /tmp/drain-profile

Each run gets a fresh database (the PostgreSQL on 127.0.0.1:5432 unless ``--database-url``),
migrated by the code under test, with ``--events`` corpus events stored as ingest stores
them (zstd, status pending, each with its own event_id) and no ingest running. Then
``--workers`` worker processes start and the clock runs from the first event leaving
``pending`` to the last. With ``--compare REF`` the same runs are made with the code at
``REF`` (a temporary git worktree), interleaved with this tree's, so both see the same
machine load; the load average and the CPU the machine spent outside the run are printed
beside each figure. ``--profile DIR`` adds one run per tree with the workers under
pyinstrument and prints where their time went (full text reports are left in DIR).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import REPO, fresh_database, local_postgres  # noqa: E402
from ingest_load import machine_busy, tree_cpu  # noqa: E402

CORPUS = REPO.parent / "shared/corpus/dev/events.jsonl"


def corpus_payloads(path: Path) -> list[dict]:
    return [json.loads(line)["event"] for line in path.read_text().splitlines() if line.strip()]


def backlog(events: list[dict], count: int) -> list[tuple[str, bytes]]:
    """(event_id, stored payload) for ``count`` events cycling through the corpus in order."""
    zstd = zstandard.ZstdCompressor(level=1)  # as server.ingest.items stores them
    out = []
    for i in range(count):
        event_id = uuid.uuid4().hex
        out.append((event_id, zstd.compress(json.dumps({**events[i % len(events)], "event_id": event_id}).encode())))
    return out


def _create_org(tree: Path) -> list[str]:
    """``--create-org`` where the compared tree's CLI has it (older trees create organizations silently)."""
    return ["--create-org"] if "--create-org" in (tree / "server/cli.py").read_text() else []


def run_cli(tree: Path, db: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": db, "PYTHONPATH": str(tree)}
    env.pop("SENTRY_DSN", None)
    out = subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=tree, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{shlex.join(args)} in {tree} failed:\n{out.stderr}")
    return out.stdout


async def _load(db: str, project_id: int, rows: list[tuple[str, bytes]]) -> None:
    conn = await asyncpg.connect(db)
    try:
        for start in range(0, len(rows), 2000):
            part = rows[start : start + 2000]
            await conn.execute(
                "INSERT INTO events (project_id, event_id, payload) SELECT $1, * FROM unnest($2::uuid[], $3::bytea[])",
                project_id, [r[0] for r in part], [r[1] for r in part],
            )
        await conn.execute("VACUUM ANALYZE events")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _backends(conn: asyncpg.Connection) -> list[psutil.Process]:
    """The PostgreSQL backends serving the workers: their CPU is this run's database work
    (other databases on the shared server are not counted)."""
    pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    out = []
    for r in pids:
        with contextlib.suppress(psutil.Error):
            out.append(psutil.Process(r["pid"]))
    return out


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


async def _pending(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM events WHERE status = 'pending'"))


@contextlib.contextmanager
def workers(tree: Path, db: str, n: int, profile: Path | None) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, "DATABASE_URL": db, "PYTHONPATH": str(tree)}
    env.pop("SENTRY_DSN", None)
    procs = []
    for i in range(n):
        cmd = [sys.executable, "-m", "server.cli", "worker"]
        if profile is not None:
            cmd = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(profile / f"worker{i}.pyisession"), *cmd[1:]]
        procs.append(subprocess.Popen(cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      start_new_session=True))
    try:
        yield procs
    finally:
        for p in procs:  # SIGINT: the worker exits cleanly, so pyinstrument writes its report
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


async def _drain(db: str, procs: list[subprocess.Popen[bytes]], total: int, timeout: float) -> dict:
    conn = await asyncpg.connect(db)
    try:
        deadline = time.monotonic() + timeout
        while await _pending(conn) == total:  # workers starting (imports, migrate check)
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("workers did not start: " + b"".join(p.stderr.read() for p in procs if p.stderr).decode())
            await asyncio.sleep(0.02)
        t0, load = time.monotonic(), os.getloadavg()[0]
        backends = await _backends(conn)
        cpu0, pg0, sys0 = sum(tree_cpu(p.pid) for p in procs), _cpu(backends), machine_busy()
        left = total
        while left and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            left = await _pending(conn)
        elapsed = time.monotonic() - t0
        ours, pg, machine = sum(tree_cpu(p.pid) for p in procs) - cpu0, _cpu(backends) - pg0, machine_busy() - sys0
        statuses = dict(await conn.fetch("SELECT status, count(*) FROM events GROUP BY status"))
        clusters = await conn.fetchval("SELECT count(*) FROM clusters WHERE merged_into IS NULL")
    finally:
        await conn.close()
    done = total - left
    return {"rate": done / elapsed, "cpu_ms": (ours + pg) / done * 1000, "elapsed": elapsed, "done": done, "left": left, "load": load,
            "workers_cpu": ours / elapsed, "pg_cpu": pg / elapsed, "machine_cpu": machine / elapsed,
            "statuses": statuses, "clusters": clusters}


def one_run(tree: Path, admin: str | None, rows: list[tuple[str, bytes]], n_workers: int, profile: Path | None,
            timeout: float) -> dict:
    db, stack = fresh_database(admin)
    with stack:
        run_cli(tree, db, "migrate")
        made = json.loads(run_cli(tree, db, "createproject", "bench", "drain", "--json", *_create_org(tree)).strip().splitlines()[-1])
        asyncio.run(_load(db, int(made["project_id"]), rows))
        with workers(tree, db, n_workers, profile) as procs:
            return asyncio.run(_drain(db, procs, len(rows), timeout))


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """The code at ``ref`` in a temporary git worktree (removed afterwards)."""
    tmp = Path(tempfile.mkdtemp(prefix="crashdesk-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(tmp / "tree"), ref], cwd=REPO, check=True,
                   capture_output=True)
    (tmp / "shared").symlink_to(REPO.parent / "shared")  # ../shared as seen from the tree
    try:
        yield tmp / "tree"
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tmp / "tree")], cwd=REPO, capture_output=True)
        with contextlib.suppress(OSError):
            (tmp / "shared").unlink()
            tmp.rmdir()


# Where a worker's time goes, by stage: (label, functions whose time counts for it).
STAGES = (
    ("claim (SELECT ... FOR UPDATE SKIP LOCKED)", ("claim_pending",)),
    ("decode + normalise (zstd, JSON, parse_event)", ("_normalise", "normalise_rows")),
    ("symbolicate", ("symbolicate_batch",)),
    ("group: fingerprint (pure dedupe.group_event)", ("group_event",)),
    ("group: hashes, locks, candidates, clusters (SQL)", ("_group_project", "_assign_project")),
    ("counters (cluster, release, environment, users)", ("apply_counters",)),
    ("result: encode rows", ("_result",)),
    ("result: write (UPDATE events)", ("_store_results", "mark_failed")),
    ("recompute moved clusters", ("recompute",)),
    ("commit", ("Transaction.__aexit__",)),
)


def _walk(frame, visit, depth=0):  # type: ignore[no-untyped-def]
    visit(frame)
    for child in frame.children:
        _walk(child, visit, depth + 1)


def summarise_profile(files: list[Path], top: int) -> str:
    """Per-stage wall time of the workers (summed over them), and the heaviest functions by self time."""
    from pyinstrument.session import Session

    stage_time = dict.fromkeys((label for label, _ in STAGES), 0.0)
    self_time: dict[str, float] = {}
    total = busy = 0.0
    for path in files:
        if not path.exists():
            continue
        session = Session.load(path)
        root = session.root_frame()
        if root is None:
            continue
        total += session.duration

        def stages(frame, inside: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
            name = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
            hit = {label for label, fns in STAGES if frame.function in fns or name in fns} - inside
            for label in hit:
                stage_time[label] += frame.time
            for child in frame.children:
                stages(child, inside | hit)

        stages(root)

        def flat(frame):  # type: ignore[no-untyped-def]
            nonlocal busy
            if not frame.children:
                named = frame.parent if frame.is_synthetic_leaf and frame.parent is not None else frame
                key = f"{named.function}  {named.file_path_short}:{named.line_no}"
                self_time[key] = self_time.get(key, 0.0) + frame.time

        _walk(root, flat)
    lines = [f"{'stage':<52} {'seconds':>8} {'share':>6}   (wall time summed over {len(files)} workers: {total:.1f}s)"]
    for label, t in stage_time.items():
        lines.append(f"{label:<52} {t:8.2f} {t / total:6.1%}" if total else label)
    lines.append(f"\nheaviest {top} functions by self time (leaf samples; [await] is time waiting on PostgreSQL or for work):")
    for key, t in sorted(self_time.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {t:7.2f}s {t / total:6.1%}  {key}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=12_000, help="backlog size (the 2,999 corpus events, repeated)")
    ap.add_argument("--workers", type=int, default=2, help="crashdesk worker processes")
    ap.add_argument("--rounds", type=int, default=2, help="measured runs per tree")
    ap.add_argument("--compare", metavar="REF", help="also run the code at this git ref, interleaved")
    ap.add_argument("--profile", metavar="DIR", help="one more run per tree under pyinstrument; reports in DIR")
    ap.add_argument("--profile-top", dest="profile_lines", type=int, default=25, help="functions listed")
    ap.add_argument("--database-url", help="admin URL of a PostgreSQL server (default: 127.0.0.1:5432, else embedded)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]), flush=True)
    admin = args.database_url or local_postgres()
    rows = backlog(corpus_payloads(CORPUS), args.events)
    results: dict[str, list[dict]] = {}
    with contextlib.ExitStack() as stack:
        trees = {"this tree": REPO}
        if args.compare:
            sha = subprocess.run(["git", "rev-parse", "--short", args.compare], cwd=REPO, capture_output=True, text=True,
                                 check=True).stdout.strip()
            trees = {f"before ({args.compare} {sha})": stack.enter_context(checkout(args.compare)), **trees}
        for r in range(args.rounds):
            for name, tree in trees.items():
                res = one_run(tree, admin, rows, args.workers, None, args.timeout)
                results.setdefault(name, []).append(res)
                print(f"round {r + 1} {name:>28}: {res['rate']:7.0f} events/s ({res['done']} in {res['elapsed']:.1f}s),"
                      f" {res['cpu_ms']:.2f} CPU ms/event; workers {res['workers_cpu']:.2f} + their postgres backends {res['pg_cpu']:.2f} cores, machine {res['machine_cpu']:.2f}"
                      f" of {psutil.cpu_count()}, load avg {res['load']:.1f}; {res['statuses']}, {res['clusters']} clusters",
                      flush=True)
        if args.profile:
            for name, tree in trees.items():
                where = Path(args.profile) / ("before" if name.startswith("before") else "after")
                where.mkdir(parents=True, exist_ok=True)
                res = one_run(tree, admin, rows, args.workers, where, args.timeout)
                files = [where / f"worker{i}.pyisession" for i in range(args.workers)]
                print(f"\nprofile run {name}: {res['rate']:.0f} events/s under pyinstrument (sessions in {where};"
                      f" open one with: pyinstrument --load FILE)\n{summarise_profile(files, args.profile_lines)}", flush=True)
    print()
    print(f"{args.workers} x crashdesk worker draining {args.events} corpus events; database {admin or 'embedded'};"
          f" {psutil.cpu_count()} cores shared with whatever else runs (see load avg, machine CPU)")
    for name, runs in results.items():
        rates = sorted(r["rate"] for r in runs)
        cost = sorted(r["cpu_ms"] for r in runs)
        print(f"  {name:>28}: best {rates[-1]:.0f}, median {rates[len(rates) // 2]:.0f} events/s over {len(runs)} runs;"
              f" CPU per event (workers + their backends) best {cost[0]:.2f} ms, median {cost[len(cost) // 2]:.2f} ms")
    print("events/s depends on the CPU the other users of the machine leave; CPU ms/event much less so.")


if __name__ == "__main__":
    main()
