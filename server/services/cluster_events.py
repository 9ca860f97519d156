"""What the knowledge base does when clusters appear or come back (called from the worker).

New clusters are announced to webhooks (``cluster.created``). A regression is announced
(``cluster.regressed``) and flags the linked articles whose fix it came back at or after
(``article.stale``). All in the caller's transaction, so a crash loses neither the change
nor its announcement. (Clusters enter the search index through the support lookup's
``ticket_text.sync_clusters``, the one writer of cluster documents.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from server.db import kb_events as events_sql
from server.db import webhooks as hooks_sql
from server.db.search import Conn

_encode = msgspec.json.encode


async def clusters_created(conn: Conn, cluster_ids: Sequence[int], *, now: dt.datetime) -> None:
    if not cluster_ids:
        return
    rows = await events_sql.clusters(conn, cluster_ids)
    await hooks_sql.enqueue_many(conn, [
        (r["organization_id"], "cluster.created", _encode({"type": "cluster.created", "created_at": now, "data": {
            "cluster_id": r["id"], "project_id": r["project_id"], "title": r["title"], "culprit": r["culprit"],
            "level": r["level"], "platform": r["platform"], "first_seen": r["first_seen"]}}))
        for r in rows
    ])


async def cluster_regressed(conn: Conn, cluster_id: int, release: str | None, *, now: dt.datetime) -> None:
    from server.services.article_links import on_regression

    rows = await events_sql.clusters(conn, [cluster_id])
    if not rows:
        return
    r = rows[0]
    await hooks_sql.enqueue_many(conn, [
        (r["organization_id"], "cluster.regressed", _encode({"type": "cluster.regressed", "created_at": now, "data": {
            "cluster_id": r["id"], "project_id": r["project_id"], "title": r["title"], "release": release}}))
    ])
    await on_regression(conn, cluster_id, release, now=now)
