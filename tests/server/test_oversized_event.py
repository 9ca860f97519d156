"""An oversized crash is kept and trimmed, not lost (issue 8, case 7).

The real sentry-sdk reports a ``RecursionError`` with local variables in every frame:
megabytes of JSON, over Sentry's 1 MiB event limit. It is accepted as sent (the raw
payload is kept whole), then the worker trims the normalised event to the event budget
(here 64 KiB, so every step shows), notes what it trimmed, and groups it as usual.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
import zstandard

from tests.conftest import Project
from tests.support import Server, run_sdk, running_server, wait_until

BUDGET = 64 << 10
TREE = '''
def walk(node, depth):
    label = "node-%d" % depth
    path = [label] * 10
    blob = "x" * 900
    more, other = blob + "1", blob + "2"
    return walk({"depth": depth, "path": path}, depth + 1)
'''
# The code lives in a module file, so the SDK sends source context with every frame.
RECURSE = f"""
import pathlib, sys, tempfile
where = tempfile.mkdtemp()
pathlib.Path(where, "shoptree.py").write_text({TREE!r})
sys.path.insert(0, where)
import shoptree
for attempt in range(2):
    try:
        shoptree.walk({{}}, 0)
    except RecursionError as exc:
        ids.append(sentry_sdk.capture_exception(exc))
"""


@pytest.fixture(scope="module")
def budget_server(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    env = {"CRASHDESK_MAX_EVENT_BYTES": str(BUDGET)}
    with running_server(make_database(), tmp_path_factory.mktemp("budget"), env=env) as srv:
        yield srv


def _raw_size(database_url: str, event_id: str) -> int:
    async def go() -> bytes:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetchval("SELECT payload FROM events WHERE event_id = $1::uuid", event_id)
        finally:
            await conn.close()

    return len(zstandard.ZstdDecompressor().decompress(asyncio.run(go())))


def test_recursion_error_of_the_real_sdk_is_kept_trimmed_and_grouped(budget_server: Server) -> None:
    project = Project(budget_server, f"org-{uuid.uuid4().hex[:8]}", "app")
    ids = run_sdk(project.dsn, RECURSE)
    assert len(ids) == 2

    def processed(event_id: str) -> dict | None:
        r = httpx.get(f"{budget_server.base_url}/api/0/projects/{project.id}/events/{event_id}", headers=project.auth, timeout=30)
        return r.json() if r.status_code == 200 and r.json()["status"] != "pending" else None

    events = [wait_until(lambda i=i: processed(i), timeout=60) for i in ids]
    for event_id, event in zip(ids, events, strict=True):
        raw = _raw_size(budget_server.database_url, event_id)
        assert raw > 2 << 20, f"the SDK's event is only {raw} bytes; the case needs one over the old 1 MiB limit"
        assert len(event["payload"]["exception"]["values"][-1]["stacktrace"]["frames"]) > 900  # kept as sent
        assert event["status"] == "processed", (event["status"], event.get("failure"), event["notes"])
        final = event["normalized"]["exceptions"][-1]
        assert final["type"] == "RecursionError"
        assert final["frames_omitted"] is True and len(final["frames"]) == 125
        assert final["frames"][-1]["function"] == "walk" and final["frames"][-1]["context_line"]
        assert any(n.startswith(f"trimmed to the event budget of {BUDGET} bytes") and "middle frames omitted" in n for n in event["notes"]), event["notes"]
        assert event["title"].startswith("RecursionError")
    assert events[0]["cluster_id"] is not None and events[0]["cluster_id"] == events[1]["cluster_id"]
