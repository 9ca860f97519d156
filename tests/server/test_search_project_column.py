"""A search scoped to one project finds its documents by the project column (``search_top_project``)
instead of the '$o'/'$p' terms every document of the project holds: the same rows, ranks and order
at every tier (all words, pairs, any word), and nothing from another project or organization."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from server.database import connect
from server.db import search as search_sql
from server.db import tenancy
from server.migrate import migrate
from server.services import search

TITLES = ["KeyError: invoice_total missing from ledger row", "TimeoutError: payment gateway did not answer",
          "KeyError: customer address missing from profile", "ValueError: invoice date is not a date",
          "KeyError: ledger row locked while posting invoice"]
QUERIES = [["keyerror", "invoic", "ledger"], ["invoic", "ledger"], ["payment", "gateway", "answer", "invoic"],
           ["missing", "row", "nothing"], ["nothing"]]


async def _check(url: str) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "acme")
        other_org = await tenancy.ensure_organization(conn, "other")
        app = await tenancy.create_project(conn, "acme", "app")
        other = await tenancy.create_project(conn, "acme", "other")
        docs = [search.Document(org, "cluster", i + 1, t, extra=f"app.mod in step_{i}", project_id=app)
                for i, t in enumerate(TITLES)]
        # the same words in another project of the organization, and in another organization
        docs += [search.Document(org, "cluster", 100 + i, t, project_id=other) for i, t in enumerate(TITLES)]
        docs += [search.Document(other_org, "cluster", 200 + i, t, project_id=app) for i, t in enumerate(TITLES)]
        await search.index(conn, docs)
        scope = [f"$o{org}", f"$p{app}"]
        for words in QUERIES:
            rank = search.tsquery_literal(scope, words, 1)
            for need in (len(words), 2, 1):
                by_terms = await search_sql.query(conn, org, "cluster", search.tsquery_literal(scope, words, need), words,
                                                  30, rank_tsquery=rank)
                by_column = await search_sql.query(conn, org, "cluster", search.tsquery_literal([], words, need), words,
                                                   30, rank_tsquery=rank, project_id=app)
                assert [tuple(r) for r in by_column] == [tuple(r) for r in by_terms]
                assert {r["ref_id"] for r in by_column} <= set(range(1, len(TITLES) + 1))
        hits = await search.search(conn, org, "cluster", "KeyError invoice ledger", project_id=app)
        assert hits and {h.ref_id for h in hits} <= set(range(1, len(TITLES) + 1))
        assert hits[0].ref_id in (1, 5)
    finally:
        await conn.close()


def test_a_project_search_reads_the_project_column(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))
