"""One tenant's poisoned submissions cost another tenant nothing (issue 8, case 1).

Texts that PostgreSQL refuses (NUL, control characters) are refused with 400 on the
request that carries them, before they join a group commit; if a batch still fails, its
submissions are retried one by one so only the culprit fails.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import asyncpg
import httpx

from server.ingest.writer import AttachmentRow, EventRow, GroupCommitWriter, Refused, Submission
from tests.conftest import Project
from tests.server.test_ingest_refusals import event, event_envelope
from tests.support import Server, run_sdk

POISON_CLIENTS = 16
VICTIM_EVENTS = 160


def _poisons(event_id: str) -> list[bytes]:
    """Envelopes whose texts a database column would refuse, in every place a text goes into a row."""
    payload = json.dumps(event(event_id)).encode()
    head = json.dumps({"event_id": event_id}).encode()

    def env(*items: tuple[bytes, bytes]) -> bytes:
        return head + b"\n" + b"".join(h + b"\n" + p + b"\n" for h, p in items)

    ev = (b'{"type":"event","length":%d}' % len(payload), payload)
    return [
        env(ev, (b'{"type":"attachment","length":2,"filename":"a\\u0000.txt"}', b"hi")),
        env(ev, (b'{"type":"attachment","length":2,"filename":"a.txt","content_type":"text/\\u0000"}', b"hi")),
        env(ev, (b'{"type":"attachment","length":2,"attachment_type":"\\u0000"}', b"hi")),
        env((b'{"type":"client\\u0000report","length":2}', b"{}")),
        env((b'{"type":"session\\r\\nX-Injected: 1","length":2}', b"{}")),
        env(ev, (b'{"type":"attachment","length":2,"filename":"\xff\xfe"}', b"hi")),
    ]


class Poisoner(threading.Thread):
    """Sends poisoned envelopes on org A's key, each followed by a valid event (its ledger)."""

    def __init__(self, project: Project, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.project, self.stop = project, stop
        self.statuses: list[int] = []
        self.acked: set[str] = set()

    def run(self) -> None:
        with httpx.Client(headers=self.project.sentry_auth(), timeout=10) as http:
            while not self.stop.is_set():
                for body in _poisons(uuid.uuid4().hex):
                    r = http.post(self.project.envelope_url, content=body)
                    self.statuses.append(r.status_code)
                    assert b"x-injected" not in b"".join(k for k, _ in r.headers.raw).lower()
                good = event()
                r = http.post(self.project.envelope_url, content=event_envelope(good))
                if r.status_code == 200:
                    self.acked.add(good["event_id"])


def _stored(database_url: str, project_id: int) -> set[str]:
    async def go() -> set[str]:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT replace(event_id::text, '-', '') AS id FROM events WHERE project_id = $1", project_id)
        finally:
            await conn.close()
        return {r["id"] for r in rows}

    return asyncio.run(go())


def test_poisoned_envelopes_of_one_org_cost_another_org_nothing(server: Server) -> None:
    attacker = Project(server, f"org-a-{uuid.uuid4().hex[:6]}", "app")
    victim = Project(server, f"org-b-{uuid.uuid4().hex[:6]}", "app")
    stop = threading.Event()
    poisoners = [Poisoner(attacker, stop) for _ in range(POISON_CLIENTS)]
    for p in poisoners:
        p.start()
    try:
        # The real SDK does not retry a 5xx: any batch failure would lose its events for good.
        ids = run_sdk(
            victim.dsn,
            f"for n in range({VICTIM_EVENTS}):\n"
            "    try:\n        {}['sku-%d' % n]\n"
            "    except KeyError as exc:\n        ids.append(sentry_sdk.capture_exception(exc))\n"
            "    if n % 20 == 19:\n        sentry_sdk.flush(timeout=10)\n",
        )
    finally:
        stop.set()
        for p in poisoners:
            p.join(timeout=30)
    assert len(ids) == VICTIM_EVENTS
    missing = set(ids) - _stored(server.database_url, victim.id)
    assert not missing, f"org B lost {len(missing)} of {VICTIM_EVENTS} events to org A's poison"
    statuses = [s for p in poisoners for s in p.statuses]
    assert statuses and set(statuses) == {400}, sorted(set(statuses))
    acked = set().union(*(p.acked for p in poisoners))
    assert acked and not acked - _stored(server.database_url, attacker.id)


def test_refused_batch_is_retried_one_by_one(server: Server) -> None:
    """A value that slips past validation fails only its own submission, not its batch."""
    project = Project(server, f"org-{uuid.uuid4().hex[:6]}", "app")

    async def go() -> tuple[list[BaseException | None], set[str]]:
        writer = GroupCommitWriter(server.database_url, connections=1, batch_max=256)
        await writer.start()
        try:
            good = [uuid.uuid4().hex for _ in range(20)]
            subs = [Submission(events=(EventRow(project.id, e, b"{}"),)) for e in good]
            bad_id = uuid.uuid4().hex
            bad = Submission(
                events=(EventRow(project.id, bad_id, b"{}"),),
                attachments=(AttachmentRow(project.id, bad_id, "nul\x00name", None, None, b"x"),),
            )
            subs.insert(10, bad)
            results = await asyncio.gather(*(writer.submit(s, 10) for s in subs), return_exceptions=True)
        finally:
            await writer.stop()
        return results, set(good)

    results, good = asyncio.run(go())
    assert [type(r).__name__ for r in results].count("NoneType") == 20
    assert isinstance(results[10], Refused), results[10]
    stored = _stored(server.database_url, project.id)
    assert good <= stored and len(stored) == 20
