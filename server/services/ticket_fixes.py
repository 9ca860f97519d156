"""Close the loop: when a release is marked released, its fixed clusters' tickets learn "fix available".

Called by the releases service when a release gets its release date (API, CLI or
``sentry-cli releases finalize``), and for the same reason in the other orders things happen:
a cluster resolved in a release that is already out, and a ticket filed into a cluster whose
fix is already out. Only open tickets move, so each ticket is notified once; each moved ticket
fires one ``ticket.fix_available`` webhook with the customer and the version to upgrade to.
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


async def fix_already_out(conn: Conn, organization_id: int, project_id: int, cluster_id: int, *,
                          now: dt.datetime) -> int:
    """A ticket filed into (or a cluster resolved in) a release already released: its fix is available now."""
    fix = await tickets_sql.released_fix(conn, cluster_id)
    if fix is None:
        return 0
    return await release_finalized(conn, organization_id, project_id, fix["id"], fix["version"], now=now)
