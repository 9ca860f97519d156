"""The symbolication stage on a real database: round trips per batch, the LRU, warm cost, notes."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest

from protocol import DebugImage, Event, ExceptionValue, Frame
from server.services import artifacts
from server.database import connect
from server.db import tenancy
from server.migrate import migrate
from server.stages import symbolicate as stage
from server.stages.artifact_cache import ArtifactCache
from server.stages.work import Work
from tests.server.symbolication_support import FIXTURES, TEST_APP_SYM

BUNDLE = FIXTURES / "glitchtip-backend/events/tests/test_data/bundle.js"
URL = "http://127.0.0.1:8080/dist/bundle.js"
RELEASE = "web@5.0"


def _js_event(n: int) -> Event:
    line = BUNDLE.read_text().splitlines()[1]
    cols = [m.start() + 1 for m in re.finditer(r"function|throw|return", line)]
    frames = tuple(Frame(function="?", abs_path=URL, lineno=2, colno=c) for c in cols[:: max(1, len(cols) // 50)][:50])
    return Event(event_id=f"{n:032x}", platform="javascript", release=RELEASE, exceptions=(ExceptionValue(type="Error", frames=frames),))


def _native_event(n: int) -> Event:
    funcs = [int(m.group(1), 16) + 2 for m in re.finditer(rb"^FUNC (?:m )?([0-9a-f]+) ([0-9a-f]+)", TEST_APP_SYM.read_bytes(), re.M)]
    frames = tuple(Frame(instruction_addr=hex(0x400000 + f), trust="cfi") for f in funcs[:50])
    image = DebugImage(type="pe", code_file="c:\\test_app.exe", debug_id="5a9832e5-2872-41c1-838e-d98914e9b7ff-1",
                       image_addr="0x400000", image_size=0x2D000)
    return Event(event_id=f"{n:032x}", platform="native", exceptions=(ExceptionValue(type="Crash", frames=frames),),
                 debug_images=(image,))


class Counting:
    """Counts our statements sent on a connection (not asyncpg's type introspection, not BEGIN/COMMIT)."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.count = 0
        conn.add_query_logger(self._log)

    def _log(self, record) -> None:  # type: ignore[no-untyped-def]
        if any(word in record.query for word in ("artifact", "events", "attachments", "pg_advisory")):
            self.count += 1


async def _setup(url: str) -> tuple[object, int]:
    conn = await connect(url)
    await migrate(conn)
    project_id = await tenancy.create_project(conn, "stage-org", "app")
    files = [
        artifacts.prepare("~/dist/bundle.js", BUNDLE.read_bytes(), max_bytes=1 << 30, release=RELEASE),
        artifacts.prepare("~/dist/bundle.js.map", BUNDLE.with_suffix(".js.map").read_bytes(), max_bytes=1 << 30, release=RELEASE),
        artifacts.prepare("test_app.sym", TEST_APP_SYM.read_bytes(), max_bytes=1 << 30, release=""),
    ]
    await artifacts.store(conn, project_id, RELEASE, "", files[:2])
    await artifacts.store(conn, project_id, "", "", files[2:])
    return conn, project_id


def _batch(project_id: int, events: list[Event]) -> list[Work]:
    now = dt.datetime.now(dt.UTC)
    return [Work(i + 1, project_id, e.event_id, now, event=e) for i, e in enumerate(events)]


@pytest.fixture
def fresh_cache() -> ArtifactCache:
    return ArtifactCache(100, 1 << 30)


def test_round_trips_per_batch_cold_and_warm(make_database, fresh_cache: ArtifactCache) -> None:  # type: ignore[no-untyped-def]
    url = make_database()

    async def go() -> None:
        conn, project_id = await _setup(url)
        try:
            events = [_js_event(i) for i in range(10)] + [_native_event(100 + i) for i in range(10)]
            counter = Counting(conn)
            async with conn.transaction():
                cold = _batch(project_id, events)
                await stage.symbolicate_batch(conn, cold, fresh_cache)
            # lock, lookup round 1, bytes, lookup round 2 (the map named by bundle.js), bytes
            assert counter.count == 5
            assert len(fresh_cache) == 3
            js, native = cold[0].event, cold[10].event
            assert js is not None and all(f.raw is not None for f in js.exceptions[0].frames)
            assert all(f.abs_path.startswith("webpack://small-js-error-factory/./") for f in js.exceptions[0].frames)
            assert native is not None and sum(f.raw is not None for f in native.exceptions[0].frames) == 50
            assert all(w.notes == [] for w in cold)

            counter.count = 0
            async with conn.transaction():
                warm = _batch(project_id, events)
                await stage.symbolicate_batch(conn, warm, fresh_cache)
            assert counter.count == 3  # lock and two lookups: no bytes, no parsing
            assert [w.event for w in warm] == [w.event for w in cold]
        finally:
            await conn.close()

    asyncio.run(go())


def test_missing_artifacts_become_notes_and_keys(make_database, fresh_cache: ArtifactCache) -> None:  # type: ignore[no-untyped-def]
    url = make_database()

    async def go() -> None:
        conn, project_id = await _setup(url)
        try:
            other = _js_event(1)
            other = Event(event_id=other.event_id, platform="javascript", release="web@6.0", exceptions=other.exceptions)
            image = DebugImage(type="elf", code_file="/lib/libc.so.6", debug_id="0" * 8 + "-1111-2222-3333-" + "4" * 12,
                               image_addr="0x7f0000", image_size=0x1000)
            native = Event(event_id="2" * 32, platform="native", debug_images=(image,),
                           exceptions=(ExceptionValue(type="SIGSEGV", frames=(Frame(instruction_addr="0x7f0010"),)),))
            row_ids = []
            for event in (other, native):
                row_ids.append(await conn.fetchval(
                    "INSERT INTO events (project_id, event_id, payload, status) VALUES ($1, $2::uuid, '', 'processed') RETURNING id",
                    project_id, event.event_id))
            batch = [Work(row_ids[0], project_id, other.event_id, dt.datetime.now(dt.UTC), event=other),
                     Work(row_ids[1], project_id, native.event_id, dt.datetime.now(dt.UTC), event=native)]
            async with conn.transaction():
                await stage.symbolicate_batch(conn, batch, fresh_cache)
            assert batch[0].event == other and any(URL in n for n in batch[0].notes)
            assert any("00000000-1111-2222-3333-444444444444" in n for n in batch[1].notes)
            keys = await conn.fetch("SELECT id, missing_artifacts FROM events ORDER BY id")
            assert [r["missing_artifacts"] for r in keys] == [["release:web@6.0"], ["id:00000000-1111-2222-3333-444444444444"]]
            async with conn.transaction():
                from server.db import artifacts as artifacts_sql

                assert await artifacts_sql.requeue_missing(conn, project_id, ["release:web@6.0"]) == 1
            status = await conn.fetch("SELECT status, missing_artifacts FROM events ORDER BY id")
            assert [(r["status"], r["missing_artifacts"]) for r in status] == [
                ("pending", None), ("processed", ["id:00000000-1111-2222-3333-444444444444"])
            ]
        finally:
            await conn.close()

    asyncio.run(go())


def test_lru_is_bounded_by_count_and_bytes() -> None:
    cache = ArtifactCache(max_items=2, max_bytes=100)
    err = artifacts.ArtifactRejected("x", "y")
    cache.put(("a", 1), err, 40)  # type: ignore[arg-type]
    cache.put(("a", 2), err, 40)  # type: ignore[arg-type]
    assert cache.get(("a", 1)) is err  # now the most recent
    cache.put(("a", 3), err, 40)  # type: ignore[arg-type]
    assert cache.get(("a", 2)) is None and len(cache) == 2
    cache.put(("a", 4), err, 90)  # type: ignore[arg-type]
    assert len(cache) == 1 and cache.bytes == 90
    cache.put(("a", 5), err, 1000)  # type: ignore[arg-type]
    assert cache.get(("a", 5)) is None and cache.get(("a", 4)) is err

