"""The lookup's index sync: clusters it does not index (tickets' own) are not walked again, and a
crash cluster made after them is still indexed and found."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from dedupe import CONFIG_ID
from server.db import clusters as clusters_sql
from server.db import tickets as tickets_sql
from server.services import ticket_text, tickets
from server.services.ticket_model import TicketCreate
from tests.server.ticket_db import acme_app


async def _check(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        async with conn.transaction():
            ids = [await tickets.create_in(conn, org, project, TicketCreate(subject=f"Question {i} about invoices"), "en")
                   for i in range(3)]
        newest = max(r["cluster_id"] for r in await tickets_sql.tickets_by_ids(conn, project, ids))
        assert await ticket_text.sync_clusters(conn, org, project) == 0  # ticket clusters are not indexed
        mark, *_ = await tickets_sql.search_state(conn, project)
        assert mark == newest  # ... and not walked again by the next lookup
        crash = await clusters_sql.create_cluster(
            conn, project, title="PaymentGatewayTimeoutError: gateway did not answer", culprit="shop.pay in charge",
            level="error", platform="python", seen=dt.datetime.now(dt.UTC), config_id=CONFIG_ID, signature=b"")
        assert crash > newest
        assert await ticket_text.sync_clusters(conn, org, project) == 1
        assert (await tickets_sql.search_state(conn, project))[0] == crash
        found = await ticket_text.text_evidence(conn, org, project, "the payment gateway did not answer")
        assert crash in {e.cluster_id for e in found}


def test_sync_moves_past_ticket_clusters_and_finds_later_crashes(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))


async def _quiet(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        crash = await clusters_sql.create_cluster(
            conn, project, title="LedgerLockTimeout: ledger stayed locked", culprit="books.post in close_day",
            level="error", platform="python", seen=dt.datetime.now(dt.UTC), config_id=CONFIG_ID, signature=b"")
        assert await ticket_text.sync_clusters(conn, org, project) == 1
        statements: list[str] = []
        conn.add_query_logger(lambda r: statements.append(r.query))
        # nothing new and nothing seen since: one read of the state, no look for clusters to index
        assert await ticket_text.sync_clusters(conn, org, project) == 0
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
        assert len(statements) == 1 and "ticket_search_state" in statements[0]
        # a cluster whose event count doubled since it was indexed is seen, looked for and indexed again
        await conn.execute("UPDATE clusters SET event_count = event_count * 2 + 2, last_seen = now() + interval '1 second'"
                           " WHERE id = $1", crash)
        statements.clear()
        assert await ticket_text.sync_clusters(conn, org, project) == 1
        await asyncio.sleep(0)
        assert any("ARRAY(SELECT e.normalized" in s for s in statements)
        assert await conn.fetchval("SELECT events FROM ticket_cluster_index WHERE cluster_id = $1", crash) == \
            await conn.fetchval("SELECT event_count FROM clusters WHERE id = $1", crash)


def test_a_quiet_project_costs_a_sync_one_read(make_database: Callable[[], str]) -> None:
    asyncio.run(_quiet(make_database()))
