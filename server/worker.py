"""Event processors: claim pending events from PostgreSQL and process them.

Claims are row locks held by the processing transaction (``FOR UPDATE SKIP LOCKED``):
a worker that dies mid-batch leaves its events pending for the next one, and results
commit together with the status change, so every event is processed exactly once.
Idle workers sleep on ``LISTEN`` and wake on the ingest's ``NOTIFY``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import asyncpg
import msgspec

from server import pipeline
from server.database import connect
from server.db import clusters as clusters_sql
from server.db import events as events_sql
from server.settings import Settings
from server.stages.artifact_cache import artifact_cache
from server.stages.group import group_batch
from server.stages.releases import ReleaseCache, release_batch
from server.stages.sessions import aggregate_sessions
from server.stages.symbolicate import symbolicate_batch
from server.stages.work import Work

log = logging.getLogger(__name__)
_IDLE_POLL = 2.0


class Processor:
    def __init__(self, url: str, settings: Settings, name: str = "processor") -> None:
        self._url = url
        self._settings = settings
        self._name = name
        self._wake = asyncio.Event()
        self._artifacts = artifact_cache(settings)
        self._releases = ReleaseCache()
        self.processed = 0

    async def run(self) -> None:
        listener = await connect(self._url)
        await listener.add_listener(events_sql.NOTIFY_CHANNEL, self._on_notify)
        conn = await self.connect()
        try:
            while True:
                try:
                    done = await self.process_batch(conn) + await aggregate_sessions(conn, self._releases)
                except Exception as exc:  # noqa: BLE001 - the processor must outlive any one failure
                    log.error("%s: batch failed, will retry: %s", self._name, exc, exc_info=not isinstance(exc, _RETRYABLE))
                    await asyncio.sleep(1.0)
                    if conn.is_closed():
                        with contextlib.suppress(Exception):
                            conn = await self.connect()
                    continue
                if done == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), _IDLE_POLL)
        finally:
            for c in (listener, conn):
                with contextlib.suppress(Exception):
                    await c.close()

    async def connect(self) -> asyncpg.Connection:
        """A processing connection. Its commits need not wait for the disk: a processing
        transaction lost in a crash is lost whole, its events are still pending, and the
        next worker processes them again, so nothing is lost or counted twice."""
        conn = await connect(self._url)
        await conn.execute("SET synchronous_commit = off")
        return conn

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def process_batch(self, conn: asyncpg.Connection, limit: int | None = None) -> int:
        """Process one batch; return how many events it handled.

        If a stage breaks on the batch (a bug, or data the database refuses), the batch
        is rolled back and retried one event at a time, so only the event that breaks it
        is marked failed and the others go through.
        """
        try:
            return await self._process(conn, limit or self._settings.processor_batch)
        except _StageCrash as crash:
            if crash.size > 1:
                log.error("%s: a stage broke on a batch of %d, isolating: %s", self._name, crash.size, crash.reason)
                return sum([await self.process_batch(conn, 1) for _ in range(crash.size)])
            async with conn.transaction():
                await events_sql.mark_failed(conn, [(crash.row_id, crash.reason)])
            return 1

    async def _process(self, conn: asyncpg.Connection, limit: int) -> int:
        async with conn.transaction():
            rows = await events_sql.claim_pending(conn, limit)
            if not rows:
                return 0
            batch = [self._normalise(row) for row in rows]
            try:
                await symbolicate_batch(conn, [w for w in batch if w.ok], self._artifacts)
                await group_batch(conn, [w for w in batch if w.ok])
                await release_batch(conn, [w for w in batch if w.ok], self._releases, dt.datetime.now(dt.UTC))
            except _RETRYABLE:
                raise
            except Exception as exc:  # noqa: BLE001 - isolate the event that breaks a stage
                raise _StageCrash(len(rows), rows[0]["id"], f"processing failed: {type(exc).__name__}: {exc}") from exc
            done = [_result(w) for w in batch if w.ok]
            failed = [(w.row_id, w.failure or "no event") for w in batch if not w.ok]
            if done:
                failed.extend(await _store_results(conn, done))
            if failed:
                await events_sql.mark_failed(conn, failed)
            moved = {w.previous_cluster_id for w in batch if w.previous_cluster_id not in (None, w.cluster_id)}
            await clusters_sql.recompute(conn, [c for c in moved if c is not None])
        self.processed += len(rows)
        return len(rows)

    def _normalise(self, row: asyncpg.Record) -> Work:
        work = Work(row["id"], row["project_id"], row["event_id"], row["received_at"], previous_cluster_id=row["cluster_id"])
        try:
            work.event = pipeline.normalise(
                work.event_id, row["payload"], work.received_at, self._settings.max_json_depth, self._settings.max_event_bytes
            )
            work.occurred_at = pipeline.occurred_at(work.event, work.received_at)
        except pipeline.EventFailed as exc:
            work.failure = exc.reason
        except Exception as exc:  # noqa: BLE001 - one bad event must never block the others
            log.exception("%s: event %s failed", self._name, work.event_id)
            work.failure = f"internal error while processing: {type(exc).__name__}: {exc}"
        return work


def _result(work: Work) -> tuple[object, ...]:
    event = work.event
    assert event is not None
    return (
        work.row_id,
        _jsonb_safe(msgspec.json.encode(event)),
        event.platform,
        event.level,
        event.release,
        event.environment,
        work.title,
        work.when,
        work.cluster_id,
        work.grouping_cluster_id,
        work.grouping,
        work.user_key,
        [*event.notes, *work.notes],
    )


# Failures of the database or connection, not of an event: the batch is retried later.
_RETRYABLE = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
)


class _StageCrash(Exception):
    def __init__(self, size: int, row_id: int, reason: str) -> None:
        super().__init__(reason)
        self.size, self.row_id, self.reason = size, row_id, reason


def _jsonb_safe(encoded: bytes) -> bytes:
    """jsonb refuses the NUL character; SDKs do send it (binary data in messages, vars)."""
    return encoded.replace(b"\\u0000", b"\\ufffd") if b"\\u0000" in encoded else encoded


async def _store_results(conn: asyncpg.Connection, done: list[tuple[object, ...]]) -> list[tuple[int, str]]:
    """Store results in one statement; if the database refuses, find the culprits row by row."""
    try:
        async with conn.transaction():
            await events_sql.mark_processed(conn, done)
        return []
    except asyncpg.DataError:
        pass
    refused: list[tuple[int, str]] = []
    for row in done:
        try:
            async with conn.transaction():
                await events_sql.mark_processed(conn, [row])
        except asyncpg.DataError as exc:
            refused.append((int(row[0]), f"the database refused the processed event: {exc}"))  # type: ignore[call-overload]
    return refused
