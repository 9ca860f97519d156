"""The lookup's word evidence reads each candidate's terms as indexed (migration 0067) and the word
counts as of now: the same evidence as tokenising the text again, and the same answer every time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dedupe.text import terms
from server.database import connect, create_pool
from server.db import search as search_sql
from server.db import tenancy
from server.migrate import migrate
from server.services import search, ticket_text, tickets
from server.services.ticket_model import TicketCreate
from tests.server.ticket_db import acme_app

SUBJECTS = ["Invoice PDF export prints the old address", "导出 PDF 发票失败", "Login fails after the update",
            "Invoice shows the wrong VAT number", "Printer jams on tray 2"]
QUERY = "the invoice PDF still prints our old address\nsince the update the export shows the old VAT number"


async def _check(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        async with conn.transaction():
            for i, s in enumerate(SUBJECTS):
                await tickets.create_in(conn, org, project, TicketCreate(subject=s, body=f"Customer {i}: {s.lower()}"), "en")
        rows = await conn.fetch("SELECT title, body, tokens FROM search_documents WHERE organization_id = $1"
                                " AND kind = 'ticket'", org)
        assert len(rows) == len(SUBJECTS)
        for r in rows:  # stored as the tokenizer gives them
            assert search.stored_tokens(r["tokens"]) == (terms(r["title"]).terms, terms(r["body"]).terms)
        stored = await ticket_text.text_evidence(conn, org, project, QUERY)
        assert stored and stored == await ticket_text.text_evidence(conn, org, project, QUERY)
        # documents indexed before the column existed: tokenised from their text, same evidence
        await conn.execute("UPDATE search_documents SET tokens = NULL WHERE organization_id = $1", org)
        assert await ticket_text.text_evidence(conn, org, project, QUERY) == stored
        # counts are read as of now: a ticket indexed after a lookup counts in the next one at once
        words = ["invoic", "pdf", "nothing"]
        before, n, _ = await search_sql.term_statistics(conn, org, "ticket", project, words)
        await tickets.create_in(conn, org, project, TicketCreate(subject="Invoice PDF is blank"), "en")
        after, n2, _ = await search_sql.term_statistics(conn, org, "ticket", project, words)
        assert (n2, after["invoic"], after["pdf"], after["nothing"]) == (n + 1, before["invoic"] + 1, before["pdf"] + 1, 0)
        assert (n2, _) == await search_sql.corpus_stats(conn, org, "ticket", project)


def test_lookup_reads_indexed_terms_and_current_counts(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))


async def _scoped(url: str) -> None:
    conn = await connect(url)
    pool = await create_pool(url, min_size=3, max_size=3)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "acme")
        app = await tenancy.create_project(conn, "acme", "app")
        other = await tenancy.create_project(conn, "acme", "other")
        for i, s in enumerate(SUBJECTS):
            await tickets.create_in(conn, org, app, TicketCreate(subject=s, body=f"Customer {i}: {s.lower()}"), "en")
        # the same words in another project of the organization
        for s in SUBJECTS[:2]:
            await tickets.create_in(conn, org, other, TicketCreate(subject=s, body=f"Elsewhere: {s.lower()}"), "en")
        theirs = {r["cluster_id"] for r in await conn.fetch("SELECT cluster_id FROM tickets WHERE project_id = $1", other)}
        alone = await ticket_text.text_evidence(conn, org, app, QUERY)
        assert alone and not {e.cluster_id for e in alone} & theirs
        # tickets searched on a second connection beside the clusters: the same evidence, in the same order
        for _ in range(10):  # and the spare connection goes back to the pool every time
            assert await ticket_text.text_evidence(conn, org, app, QUERY, pool=pool) == alone
        assert pool.get_size() <= 3
        found = await ticket_text.text_evidence(conn, org, other, QUERY)
        assert found and {e.cluster_id for e in found} <= theirs
        # the project read from its column picks the rows, ranks and order its '$'-terms picked
        words = ["invoic", "pdf", "address", "vat", "nothing"]
        scoped = search.tsquery_literal([f"$o{org}", f"$p{app}"], words, 1)
        seen = []
        for kind in ("ticket", "cluster"):
            got = await search_sql.candidates(conn, org, kind, app, search.tsquery_literal([], words, 1), scoped, words, 3)
            old = await conn.fetch(
                "SELECT top_id, rank FROM search_top($1, $2, CAST($3 AS tsquery), CAST($3 AS tsquery), CAST($4 AS tsquery),"
                " 3, 300) ORDER BY rank DESC, top_id DESC", org, kind, scoped, " | ".join(search_sql.quote(w) for w in words))
            assert [r["ref_id"] for r in got] == [r["top_id"] for r in old]
            seen.append(len(got))
        assert seen[0] == 3  # tickets (their clusters have no document of their own)
    finally:
        await pool.close()
        await conn.close()


def test_lookup_candidates_stay_in_the_project(make_database: Callable[[], str]) -> None:
    asyncio.run(_scoped(make_database()))
