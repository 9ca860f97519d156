"""A dead database costs 503s with Retry-After, never a hang or a 500, and the service recovers
by itself with every acknowledged event kept (issue 8, case 4, the ingest part).

Two outages, each real from the service's side: its database stops accepting connections and
every connection it holds is terminated, then comes back; and the embedded PostgreSQL is
SIGKILLed and restarted by its supervisor. Clients keep posting throughout and keep a ledger
of what was acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import asyncpg
import httpx

from tests.conftest import Project
from tests.server.test_durability import _body
from tests.server.test_embedded_database import postmaster_pid
from tests.support import Server, running_server, start_server, wait_until

CLIENTS = 4
OUTAGE_SECONDS = 4.0


class Client(threading.Thread):
    def __init__(self, project: Project, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.project, self.stop = project, stop
        self.acked: set[str] = set()
        self.refusals: list[tuple[int, str | None]] = []
        self.timeouts = 0  # a request that hung; a connection closed early by a 503 is only retried

    def run(self) -> None:
        with httpx.Client(headers=self.project.sentry_auth(), timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                event_id = uuid.uuid4().hex
                n += 1
                try:
                    r = http.post(self.project.envelope_url, content=_body(event_id, n))
                except httpx.TimeoutException:
                    self.timeouts += 1
                    continue
                except httpx.HTTPError:
                    continue
                if r.status_code == 200:
                    self.acked.add(event_id)
                else:
                    self.refusals.append((r.status_code, r.headers.get("retry-after")))
                    time.sleep(0.05)


def _only_503s_then_acked(clients: list[Client], server: Server, what: str) -> set[str]:
    """Every refusal during the outage or kill was a 503 with Retry-After, nothing hung; the acknowledged ids."""
    refusals = [r for c in clients for r in c.refusals]
    assert refusals, f"the {what} was not seen by any client"
    assert {status for status, _ in refusals} == {503}, (sorted({s for s, _ in refusals}), server.log()[-6000:])
    assert all(retry for _, retry in refusals), "every 503 says when to retry"
    assert not sum(c.timeouts for c in clients), "no request hung past its timeout"
    return set().union(*(c.acked for c in clients))


async def _admin(url: str, name: str, allow: bool) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name
            )
    finally:
        await conn.close()


async def _stored(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT replace(event_id::text, '-', '') AS id, status FROM events")
    finally:
        await conn.close()
    return {r["id"] for r in rows}


def test_database_outage_answers_503_then_recovers_losing_nothing(make_database, pg_admin_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    name = urlsplit(url).path.lstrip("/")  # the embedded server's URL has its socket folder in the query
    env = {"CRASHDESK_DATABASE_WAIT_SECONDS": "2", "CRASHDESK_KEY_CACHE_SECONDS": "0.5"}
    with running_server(url, tmp_path, env=env) as server:
        project = Project(server, "outage-org", "app")
        stop = threading.Event()
        clients = [Client(project, stop) for _ in range(CLIENTS)]
        for c in clients:
            c.start()
        try:
            wait_until(lambda: sum(len(c.acked) for c in clients) >= 100, timeout=60, interval=0.05)
            asyncio.run(_admin(pg_admin_url, name, allow=False))
            try:
                time.sleep(OUTAGE_SECONDS / 2)
                # An unknown key needs a lookup the database cannot answer: 503, not 401 or 500.
                r = httpx.post(project.envelope_url, content=_body(uuid.uuid4().hex, 0),
                               headers=project.sentry_auth(uuid.uuid4().hex), timeout=30)
                assert r.status_code == 503 and r.headers["retry-after"], r.text
                during = httpx.post(project.envelope_url, content=_body(uuid.uuid4().hex, 0),
                                    headers=project.sentry_auth(), timeout=30)
                assert during.status_code == 503 and during.headers["retry-after"], during.text
                time.sleep(OUTAGE_SECONDS / 2)
            finally:
                asyncio.run(_admin(pg_admin_url, name, allow=True))
            acked_at_recovery = sum(len(c.acked) for c in clients)
            wait_until(lambda: sum(len(c.acked) for c in clients) >= acked_at_recovery + 100, timeout=90, interval=0.05)
        finally:
            stop.set()
            for c in clients:
                c.join(timeout=40)
        acked = _only_503s_then_acked(clients, server, "outage")
        missing = acked - asyncio.run(_stored(url))
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged events were lost"
        # Processing recovered too: the backlog drains.
        wait_until(lambda: not asyncio.run(_pending(url)), timeout=60)


async def _pending(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events WHERE status = 'pending'"))
    finally:
        await conn.close()


def test_killed_embedded_database_is_restarted_and_keeps_every_acknowledged_event() -> None:
    """SIGKILL of the embedded PostgreSQL under load: 503s with Retry-After while it is down, the
    supervisor restarts it, ingest recovers by itself, and every acknowledged event is stored."""
    tmp = Path(tempfile.mkdtemp(prefix="crashdesk-embedded-"))  # outside pytest's 0700 root (see test_embedded_database)
    env = {"CRASHDESK_DATABASE_WAIT_SECONDS": "2", "CRASHDESK_KEY_CACHE_SECONDS": "0.5"}
    server = start_server(None, tmp, env=env)
    try:
        dsn = urlsplit(re.search(r"DSN:\s+(\S+)", server.log()).group(1))  # type: ignore[union-attr]
        target = SimpleNamespace(
            envelope_url=f"{server.base_url}/api{dsn.path}/envelope/",
            sentry_auth=lambda: {"X-Sentry-Auth": f"Sentry sentry_key={dsn.username}, sentry_version=7"},
        )
        token = (tmp / "data/first-run-secrets.txt").read_text().split("API token: ")[1].split()[0]
        stop = threading.Event()
        clients = [Client(target, stop) for _ in range(CLIENTS)]  # type: ignore[arg-type]
        for c in clients:
            c.start()
        try:
            wait_until(lambda: sum(len(c.acked) for c in clients) >= 100, timeout=60, interval=0.05)
            pgdata = tmp / "data/pgdata"
            before = postmaster_pid(pgdata)
            assert before is not None
            os.kill(before, signal.SIGKILL)
            wait_until(lambda: postmaster_pid(pgdata) not in (None, before), timeout=60)
            acked_at_restart = sum(len(c.acked) for c in clients)
            wait_until(lambda: sum(len(c.acked) for c in clients) >= acked_at_restart + 100, timeout=90, interval=0.05)
        finally:
            stop.set()
            for c in clients:
                c.join(timeout=40)
        acked = _only_503s_then_acked(clients, server, "kill")
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            lost = [i for i in acked if http.get(f"{server.base_url}/api/0/projects{dsn.path}/events/{i}").status_code != 200]
        assert not lost, f"{len(lost)} of {len(acked)} acknowledged events were lost"
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
