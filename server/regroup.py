"""``crashdesk regroup``: apply a changed grouping config or rules to a project's past events."""

from __future__ import annotations

import asyncio
import sys
import time

from server.database import connect
from server.db import clusters as clusters_sql
from server.db import events as events_sql
from server.db import tenancy
from server.migrate import migrate
from server.settings import Settings
from server.worker import Processor


async def regroup(url: str, org: str, project: str, settings: Settings, *, show_progress: bool = True) -> dict[str, int]:
    """Queue every event of the project again and process them here, in batches, with a progress bar."""
    conn = await connect(url)
    try:
        await migrate(conn)
        project_id = (await tenancy.project_by_slug(conn, org, project)).id
        async with conn.transaction():
            total = await clusters_sql.clear_grouping(conn, project_id)
        processor = Processor(url, settings, "regroup")
        started = time.monotonic()
        while True:
            pending = await events_sql.pending_count(conn, project_id)
            if show_progress:
                _bar(total - pending, total, started)
            if pending == 0:
                break
            if await processor.process_batch(conn) == 0:
                await asyncio.sleep(0.2)  # the rest is being processed by a running server's workers
        if show_progress:
            sys.stderr.write("\n")
        clusters = await conn.fetchval(
            "SELECT count(*) FROM clusters WHERE project_id = $1 AND merged_into IS NULL", project_id
        )
    finally:
        await conn.close()
    return {"project_id": project_id, "events": total, "clusters": int(clusters)}


def _bar(done: int, total: int, started: float, width: int = 30) -> None:
    share = done / total if total else 1.0
    filled = int(width * share)
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} events  {rate:,.0f}/s ")
    sys.stderr.flush()
