"""A lookup's independent searches (traces and error lines, cluster words, ticket words) run at once on
spare pooled connections when free at once: the same evidence, in the same order, as one after the
other on a single connection, however many spares the pool has; and every spare goes back."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import msgspec

from dedupe import CONFIG_ID, Signature
from server.database import create_pool
from server.db import clusters as clusters_sql
from server.db import tenancy
from server.services import ticket_lookup, ticket_text, tickets
from server.services.ticket_model import TicketCreate
from tests.server.ticket_db import acme_app

ERRORS = [("KeyError", "invoice_total missing from ledger row", "billing.ledger in post_invoice"),
          ("TimeoutError", "payment gateway did not answer", "shop.pay in charge"),
          ("KeyError", "customer address missing from profile", "crm.profile in address_of")]
TRACE = ("Since the update invoices fail to post.\n"
         "Traceback (most recent call last):\n"
         '  File "/srv/app/billing/ledger.py", line 41, in post_invoice\n'
         "    total = row['invoice_total']\n"
         "KeyError: invoice_total missing from ledger row\n")
LINE = "We get TimeoutError: payment gateway did not answer when customers pay"
PROSE = "the invoice total is missing and the ledger will not post"


async def _check(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        enc = msgspec.msgpack.Encoder()
        for etype, message, culprit in ERRORS:
            sig = Signature(types=(etype,), message=message, frames=(culprit.split(" in ")[1],), platform="python")
            await clusters_sql.create_cluster(conn, project, title=f"{etype}: {message}", culprit=culprit, level="error",
                                              platform="python", seen=dt.datetime.now(dt.UTC), config_id=CONFIG_ID,
                                              signature=enc.encode(sig))
        for subject in ["Invoices will not post to the ledger", "Payment gateway timeout at checkout",
                        "Ledger row has no invoice total"]:
            await tickets.create_in(conn, org, project, TicketCreate(subject=subject, body=subject.lower()), "en")
        texts = (TRACE, LINE, PROSE)
        alone = {t: await ticket_lookup.gather(conn, org, project, t) for t in texts}
        raw = {t: await ticket_lookup.evidence(conn, org, project, t) for t in texts}
        assert all(g.ranked for g in alone.values())
        assert {"line", "text"} <= {e.kind for e in raw[TRACE]} and {"line", "text"} <= {e.kind for e in raw[LINE]}
        # pools with two spares, one, and none free at once: the same evidence every time
        for size, held in ((4, 0), (2, 0), (2, 1)):
            pool = await create_pool(url, min_size=size, max_size=size)
            busy = [await pool.acquire() for _ in range(held)]
            try:
                async with pool.acquire() as own:
                    for _ in range(3):
                        for text in texts:
                            assert await ticket_lookup.evidence(own, org, project, text, pool=pool) == raw[text]
                            assert await ticket_lookup.gather(own, org, project, text, pool=pool) == alone[text]
                assert pool.get_idle_size() == size - held  # every spare went back
            finally:
                for c in busy:
                    await pool.release(c)
                await pool.close()
        # a cluster moved out of the project keeps its document until re-indexed: no evidence from it,
        # whether the document's tokens are stored or its text is read again
        moved = await conn.fetchval("SELECT id FROM clusters WHERE title LIKE 'KeyError: invoice%'")
        assert moved in {e.cluster_id for e in await ticket_text.text_evidence(conn, org, project, PROSE)}
        other = await tenancy.create_project(conn, "acme", "other")
        await conn.execute("UPDATE clusters SET project_id = $2 WHERE id = $1", moved, other)
        stored = await ticket_text.text_evidence(conn, org, project, PROSE)
        assert stored and moved not in {e.cluster_id for e in stored}
        await conn.execute("UPDATE search_documents SET tokens = NULL WHERE kind = 'cluster'")
        assert await ticket_text.text_evidence(conn, org, project, PROSE) == stored


def test_searches_at_once_give_the_evidence_of_one_after_the_other(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))
