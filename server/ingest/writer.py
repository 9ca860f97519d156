"""Group commit: concurrent requests share one transaction, each answered after it commits.

One INSERT + COMMIT per request tops out near 3,000/s here because every commit waits
for an fsync. Batching turns that wait into one per batch; two writer connections let
one batch be prepared while the other is being flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

import asyncpg
import msgspec

from server.database import DATABASE_DOWN
from server.db import events as events_sql
from server.db import sessions as sessions_sql

log = logging.getLogger(__name__)


class EventRow(msgspec.Struct, frozen=True):
    project_id: int
    event_id: str
    payload: bytes


class AttachmentRow(msgspec.Struct, frozen=True):
    project_id: int
    event_id: str
    name: str
    content_type: str | None
    attachment_type: str | None
    data: bytes


class Submission(msgspec.Struct, frozen=True):
    """What one request needs written before its 2xx."""

    events: tuple[EventRow, ...] = ()
    attachments: tuple[AttachmentRow, ...] = ()
    counts: tuple[tuple[int, str], ...] = ()  # (project_id, item type) of accepted-but-not-stored items
    sessions: tuple[tuple[int, str, bytes], ...] = ()  # (project_id, item type, payload) for release health


class Refused(Exception):
    """The database refused this submission's own data: the sender's fault, never retried."""


# Faults of one submission's values, not of the database: retrying cannot help.
_PERMANENT = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError, ValueError, TypeError, UnicodeError)


class GroupCommitWriter:
    def __init__(self, url: str, *, connections: int = 2, batch_max: int = 256, connect_timeout: float = 5.0) -> None:
        self._url = url
        self._connections = connections
        self._batch_max = batch_max
        self._connect_timeout = connect_timeout
        self._queue: asyncio.Queue[tuple[Submission, asyncio.Future[None]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for n in range(self._connections):
            conn = await asyncpg.connect(self._url, timeout=self._connect_timeout)
            self._tasks.append(asyncio.create_task(self._run(conn), name=f"group-commit-{n}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def submit(self, submission: Submission, timeout: float | None = None) -> None:
        """Return once ``submission`` is committed; raise if the database refused it or
        ``timeout`` passed first (then it may still commit: event ids make a resend harmless)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((submission, future))
        async with asyncio.timeout(timeout):  # on expiry the future is cancelled: the writer skips it
            await future

    async def _run(self, conn: asyncpg.Connection | None) -> None:
        delay = 0.1
        try:
            while True:
                batch = await self._take()
                if conn is None or conn.is_closed():
                    conn = await self._connect()
                    if conn is None:
                        # No database: answer now (503) rather than let requests queue up.
                        batch.extend(self._drain())
                        _fail(batch, ConnectionError("the database is unreachable"))
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 2.0)
                        continue
                    delay = 0.1
                await self._commit(conn, batch)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _take(self) -> list[tuple[Submission, asyncio.Future[None]]]:
        """The next batch; submissions whose requests gave up are skipped."""
        batch: list[tuple[Submission, asyncio.Future[None]]] = []
        while not batch:
            item = await self._queue.get()
            if not item[1].done():
                batch.append(item)
        events = len(batch[0][0].events)
        while events < self._batch_max and not self._queue.empty():
            item = self._queue.get_nowait()
            if not item[1].done():
                batch.append(item)
                events += len(item[0].events)
        return batch

    def _drain(self) -> list[tuple[Submission, asyncio.Future[None]]]:
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def _commit(self, conn: asyncpg.Connection, batch: list[tuple[Submission, asyncio.Future[None]]]) -> None:
        try:
            await _write(conn, [s for s, _ in batch])
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any batch
            log.error("group commit of %d submissions failed: %s", len(batch), exc)
            if conn.is_closed() or not isinstance(exc, _PERMANENT) and len(batch) == 1:
                _fail(batch, exc)
            elif len(batch) == 1:
                _fail(batch, Refused(f"the database refused it: {exc}"))
            else:
                # One submission's data failed everyone's transaction: redo them one by one
                # so that only the culprit fails.
                for item in batch:
                    await self._commit(conn, [item])
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def _connect(self) -> asyncpg.Connection | None:
        try:
            return await asyncpg.connect(self._url, timeout=self._connect_timeout)
        except DATABASE_DOWN as exc:
            log.warning("writer reconnect failed: %s", exc)
            return None


async def _write(conn: asyncpg.Connection, submissions: list[Submission]) -> None:
    events = [e for s in submissions for e in s.events]
    attachments = [a for s in submissions for a in s.attachments]
    counts = Counter(c for s in submissions for c in s.counts)
    sessions = [x for s in submissions for x in s.sessions]
    async with conn.transaction():
        if events:
            await events_sql.insert_raw(conn, events)
        if attachments:
            await events_sql.insert_attachments(conn, attachments)
        if counts:
            await events_sql.add_item_counts(conn, counts)
        if sessions:
            await sessions_sql.enqueue(conn, sessions)


def _fail(batch: list[tuple[Submission, asyncio.Future[None]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
