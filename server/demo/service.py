"""The demo's own Crashdesk: the real app on a free loopback port, and the SDK senders aimed at it.

The service runs in-process (uvicorn in this event loop, with its event processor), so the demo
needs no second command; the senders are separate Python processes running the real sentry-sdk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import uvicorn

from server.db import events as events_sql
from server.db import sessions as sessions_sql
from server.errors import Unavailable
from server.settings import Settings

SENDER = Path(__file__).with_name("sender.py")
SENDER_SECONDS = 60.0
SETTLE_SECONDS = 60.0


@contextlib.asynccontextmanager
async def running_service(settings: Settings, url: str) -> AsyncIterator[str]:
    """Serve the app on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    from server.app import CrashdeskApp  # the full app: ingestion, API, the event processor

    app_settings = msgspec.structs.replace(settings, database_url=url, process_events=True, webhook_sender=False,
                                           sentry_dsn=None, host="127.0.0.1", port=0, workers=1)
    config = uvicorn.Config(CrashdeskApp(app_settings), host="127.0.0.1", port=0, lifespan="on", log_level="warning",
                            access_log=False, http="server.http_guard:GuardedHttpToolsProtocol")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise Unavailable("the demo's service did not start")
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def send(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one sender process per plan, all at once; each returns its event count and tracebacks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}  # the plan says where to send

    async def one(plan: dict[str, Any]) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(SENDER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
        try:
            out, err = await asyncio.wait_for(proc.communicate(json.dumps(plan).encode()), SENDER_SECONDS)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise Unavailable(f"the demo sender for {plan['release']} did not finish in {SENDER_SECONDS:.0f}s") from None
        if proc.returncode != 0:
            raise Unavailable(f"the demo sender for {plan['release']} failed: {err.decode(errors='replace')[-2000:]}")
        return dict(json.loads(out.decode().strip().splitlines()[-1]))

    return list(await asyncio.gather(*(one(p) for p in plans)))


async def settle(pool: asyncpg.Pool, organization_id: int, project_id: int, sent: int) -> None:
    """Wait until the processor has taken every event and session item of the project, and check that
    all ``sent`` events arrived (an SDK drops what it cannot send without a word)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while await events_sql.pending_count(pool, project_id) or await sessions_sql.queued_count(pool, project_id):
        if time.monotonic() > deadline:
            raise Unavailable(f"the demo's events were not processed within {SETTLE_SECONDS:.0f}s")
        await asyncio.sleep(0.1)
    counts = await events_sql.status_counts_of_organization(pool, organization_id)
    if counts.get("processed", 0) != sent:
        raise Unavailable(f"the SDK reported {sent} events sent, the service has {counts}")
