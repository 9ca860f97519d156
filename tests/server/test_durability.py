"""An event answered 2xx survives a SIGKILL of the server and is processed exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from server.migrate import available
from tests.conftest import Project
from tests.support import CRASHDESK, REPO, start_server, wait_until

CLIENTS = 6


def _body(event_id: str, n: int) -> bytes:
    event = {
        "event_id": event_id,
        "platform": "python",
        "release": "shop@3.0.0",
        "exception": {"values": [{"type": "KeyError", "value": f"sku-{n}", "stacktrace": {"frames": [
            {"function": "lookup", "module": "shop.stock", "filename": "shop/stock.py", "lineno": n % 400, "in_app": True}
        ]}}]},
    }
    payload = json.dumps(event).encode()
    return b'{"event_id":"%s"}\n{"type":"event","length":%d}\n%s\n' % (event_id.encode(), len(payload), payload)


class Client(threading.Thread):
    """Posts distinct events until told to stop; remembers what it sent and what got a 2xx."""

    def __init__(self, project: Project, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.project = project
        self.stop = stop
        self.sent: set[str] = set()
        self.acked: set[str] = set()
        self.refused: list[int] = []

    def run(self) -> None:
        with httpx.Client(headers=self.project.sentry_auth(), timeout=5) as http:
            n = 0
            while not self.stop.is_set():
                event_id = uuid.uuid4().hex
                self.sent.add(event_id)
                n += 1
                try:
                    r = http.post(self.project.envelope_url, content=_body(event_id, n))
                except httpx.HTTPError:
                    time.sleep(0.01)  # the server is gone; keep trying as an SDK would
                    continue
                if 200 <= r.status_code < 300:
                    assert r.json() == {"id": event_id}
                    self.acked.add(event_id)
                else:
                    self.refused.append(r.status_code)


async def _rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def _pending(url: str) -> int:
    return asyncio.run(_rows(url, "SELECT count(*) AS n FROM events WHERE status <> 'processed'"))[0]["n"]


def test_sigkill_loses_no_acknowledged_event(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    first = start_server(url, tmp_path)
    port = int(first.base_url.rsplit(":", 1)[1])
    project = Project(first, "durable-org", "app")
    stop = threading.Event()
    clients = [Client(project, stop) for _ in range(CLIENTS)]
    for c in clients:
        c.start()
    second = None
    try:
        wait_until(lambda: sum(len(c.acked) for c in clients) >= 300, timeout=20, interval=0.05)
        first.kill()  # SIGKILL mid-stream: commits and processing batches are cut wherever they are
        acked_before_restart = set().union(*(c.acked for c in clients))
        time.sleep(0.3)
        second = start_server(url, tmp_path, port=port)
        try:
            wait_until(lambda: sum(len(c.acked) for c in clients) >= len(acked_before_restart) + 100, timeout=20)
        finally:
            stop.set()
            for c in clients:
                c.join(timeout=10)
        wait_until(lambda: _pending(url) == 0, timeout=30)
    finally:
        stop.set()
        if second is not None:
            second.stop()
        first.kill()

    sent = set().union(*(c.sent for c in clients))
    acked = set().union(*(c.acked for c in clients))
    assert not [s for c in clients for s in c.refused if s != 503], "only 'retry later' refusals are acceptable"
    rows = asyncio.run(_rows(url, "SELECT replace(event_id::text, '-', '') AS id, status, attempts FROM events"))
    stored = [r["id"] for r in rows]
    assert len(stored) == len(set(stored))
    missing = acked - set(stored)
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged events were lost, e.g. {sorted(missing)[:3]}"
    # Requests in flight at the kill may have committed without their answer arriving: they
    # were sent, so they may be stored; nothing that was never sent may appear.
    assert set(stored) <= sent
    assert {(r["status"], r["attempts"]) for r in rows} == {("processed", 1)}
    assert len(acked_before_restart) >= 300


def test_concurrent_migrate_processes_all_succeed(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    env = {**os.environ, "DATABASE_URL": url}
    procs = [
        subprocess.Popen([*CRASHDESK, "migrate", "--json"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(5)
    ]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for p in procs:
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0] * 5, [err.decode()[-2000:] for _, _, err in results]
    applied = [v for _, out, _ in results for v in json.loads(out.decode().strip().splitlines()[-1])["applied"]]
    expected = [version for version, _ in available()]
    assert sorted(applied) == expected, "each migration is applied by exactly one of the processes"
    versions = [r["version"] for r in asyncio.run(_rows(url, "SELECT version FROM schema_migrations ORDER BY version"))]
    assert versions == expected
    tables = asyncio.run(_rows(url, "SELECT to_regclass('events') AS t, to_regclass('project_keys') AS k"))
    assert tables[0]["t"] is not None and tables[0]["k"] is not None
