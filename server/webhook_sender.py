"""The webhook sender: delivers outbox rows, signed, retrying with exponential backoff.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` inside a transaction that lasts the
delivery, so several senders share the work and a sender killed mid-delivery (SIGKILL,
power loss) leaves its rows pending: the database drops its locks and another sender, or
the restarted one, delivers them. Delivery is therefore at least once; receivers
de-duplicate by the ``Crashdesk-Delivery`` header (the outbox id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time

import asyncpg
import httpx

from server.database import connect
from server.db import webhooks as hooks_sql
from server.errors import Invalid
from server.services.webhooks import refuse_internal, sign
from server.settings import Settings

log = logging.getLogger(__name__)
BATCH = 50
IDLE_WAIT = 5.0  # seconds between looks at the outbox when no NOTIFY arrives
MAX_BACKOFF = 3600.0


def backoff(attempts: int, base: float) -> float:
    """Seconds before attempt ``attempts + 1``: base, 2 x base, 4 x base, ... capped at an hour."""
    return min(base * 2 ** (attempts - 1), MAX_BACKOFF)


class WebhookSender:
    def __init__(self, database_url: str, settings: Settings) -> None:
        self.database_url = database_url
        self.settings = settings
        self._wake = asyncio.Event()

    async def run(self) -> None:
        conn = await connect(self.database_url)
        await conn.add_listener(hooks_sql.CHANNEL, lambda *_: self._wake.set())
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout, follow_redirects=False) as client:
            try:
                while True:
                    try:
                        sent = await self.deliver_due(conn, client)
                    except (OSError, asyncpg.PostgresError) as exc:
                        log.warning("webhook sender: %s; retrying", exc)
                        sent = 0
                        await asyncio.sleep(1.0)
                    if not sent:
                        await self._idle(conn)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _idle(self, conn: asyncpg.Connection) -> None:
        due = await hooks_sql.next_due(conn)
        wait = IDLE_WAIT
        if due is not None:
            wait = max(0.01, min(wait, (due - dt.datetime.now(dt.UTC)).total_seconds()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait)

    async def deliver_due(self, conn: asyncpg.Connection, client: httpx.AsyncClient) -> int:
        """Deliver one batch of due rows; returns how many were attempted."""
        async with conn.transaction():
            rows = await hooks_sql.claim(conn, BATCH)
            if not rows:
                return 0
            outcomes = await asyncio.gather(*(self._send(client, r) for r in rows))
            now = dt.datetime.now(dt.UTC)
            results, entries = [], []
            for row, (code, error, ms) in zip(rows, outcomes, strict=True):
                attempts = row["attempts"] + 1
                if error is None:
                    results.append((row["id"], attempts, "delivered", None, None))
                elif attempts >= self.settings.webhook_max_attempts:
                    results.append((row["id"], attempts, "failed", None, error))
                else:
                    delay = dt.timedelta(seconds=backoff(attempts, self.settings.webhook_backoff_seconds))
                    results.append((row["id"], attempts, "pending", now + delay, error))
                entries.append((row["webhook_id"], row["id"], attempts, code, error, ms))
            await hooks_sql.settle(conn, results, entries)
        return len(rows)

    async def _send(self, client: httpx.AsyncClient, row: asyncpg.Record) -> tuple[int | None, str | None, int]:
        """(status code, error or None when delivered, milliseconds)."""
        started = time.monotonic()
        body: bytes = row["body"]
        try:
            if not self.settings.webhook_allow_private:
                # checked again at send time: a name may resolve elsewhere than when the hook was made
                await asyncio.to_thread(refuse_internal, row["url"], allow_private=False)
            response = await client.post(row["url"], content=body, headers={
                "Content-Type": "application/json",
                "User-Agent": "Crashdesk-Webhooks/1",
                "Crashdesk-Event": row["event_type"],
                "Crashdesk-Delivery": str(row["id"]),
                "Crashdesk-Signature": sign(row["secret"], int(time.time()), body),
            })
        except Invalid as exc:
            return None, f"refused: {exc}", int((time.monotonic() - started) * 1000)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000)
        ms = int((time.monotonic() - started) * 1000)
        if 200 <= response.status_code < 300:
            return response.status_code, None, ms
        return response.status_code, f"HTTP {response.status_code}", ms
