"""Close the loop: when a release is marked released, its fixed clusters' tickets learn "fix available".

Called by the releases service when a release gets its release date (API, CLI or
``sentry-cli releases finalize``). Only open tickets move, so finalizing twice notifies
once; each moved ticket fires one ``ticket.fix_available`` webhook with the customer and
the version to upgrade to.
"""

from __future__ import annotations

import datetime as dt

from server.db import ticket_history
from server.db import tickets as tickets_sql
from server.db.search import Conn
from server.services import webhooks


async def release_finalized(conn: Conn, organization_id: int, project_id: int, release_id: int, version: str,
                            *, now: dt.datetime) -> int:
    """Move the tickets of clusters resolved in ``release_id`` to ``fix_available``; returns how many."""
    moved = await tickets_sql.mark_fix_available(conn, project_id, release_id, version)
    await ticket_history.add_fix_available(conn, [r["id"] for r in moved], version)
    for r in moved:
        await webhooks.emit(conn, organization_id, "ticket.fix_available", {
            "ticket_id": r["id"], "external_ref": r["external_ref"], "project_id": project_id,
            "cluster_id": r["cluster_id"], "customer": r["customer"], "customer_version": r["version"],
            "upgrade_to": version, "subject": r["subject"],
        }, now=now)
    return len(moved)
