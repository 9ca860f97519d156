"""A lookup's candidates include every document holding its rarest words, however PostgreSQL's
``ts_rank`` (which knows no word's rarity) orders them: a short ticket's two telling words must
find the one earlier report that has them among a hundred that share only its common words."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from server.db import search as search_sql
from server.db import tenancy
from server.services import search, ticket_text, tickets
from server.services.ticket_model import TicketCreate
from tests.server.ticket_db import acme_app

COMMON = "The browser does not open and does not work after the update. It does not open at all."
FILLER = " ".join(f"Paragraph {i} of a long report about menus, toolbars, bookmarks and tabs." for i in range(40))


async def _check(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        ticket = await tickets.create_in(conn, org, project, TicketCreate(
            subject="Launch fails on Sequoia", body=f"{FILLER} Since macOS Sequoia it will not start. {FILLER}"), "en")
        target = await conn.fetchval("SELECT cluster_id FROM tickets WHERE id = $1", ticket)
        async with conn.transaction():
            for i in range(130):  # short documents full of the query's common words outrank it by ts_rank
                await tickets.create_in(conn, org, project, TicketCreate(
                    subject=f"Browser does not open {i}", body=COMMON), "en")
        query = "Browser does not open anymore\n\nIt does not work or open since the Sequoia update."
        found = await ticket_text.text_evidence(conn, org, project, query)
        assert target in {e.cluster_id for e in found}
        # and it is ranked first: the rare word is what the two share
        ranked = sorted(found, key=lambda e: -e.strength)
        assert ranked[0].cluster_id == target
        # the documents holding the rarest words come in the candidates' round trip: the ranked rows and
        # those of the query that read them on their own, each once
        words = ["sequoia", "browser", "open"]
        scoped = search.tsquery_literal([f"$o{org}", f"$p{project}"], words, 1)
        ranked_only = await search_sql.candidates(conn, org, "ticket", project, search.tsquery_literal([], words, 1),
                                                  scoped, words, 100)
        both = await search_sql.candidates(conn, org, "ticket", project, search.tsquery_literal([], words, 1), scoped,
                                           words, 100, search.tsquery_literal([], ["sequoia"], 1), 50)
        alone = await conn.fetch("SELECT ref_id, tokens FROM search_documents WHERE organization_id = $1 AND kind = 'ticket'"
                                 " AND project_id = $2 AND terms @@ CAST($3 AS tsquery) ORDER BY ref_id DESC LIMIT 50",
                                 org, project, search.tsquery_literal([], ["sequoia"], 1))
        assert len(ranked_only) == 100 and len(alone) == 1
        assert [(r["ref_id"], r["tokens"]) for r in both if not r["sure"]] == [(r["ref_id"], r["tokens"]) for r in ranked_only]
        assert [(r["ref_id"], r["tokens"]) for r in both if r["sure"]] == [tuple(r) for r in alone]


def test_documents_with_the_rarest_words_are_candidates(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))


async def _newer(url: str) -> None:
    async with acme_app(url) as (conn, org, app):
        other = await tenancy.create_project(conn, "acme", "other")
        ids = []
        for i in range(5):
            ids.append(await tickets.create_in(conn, org, app, TicketCreate(subject=f"Printer jam {i}"), "en"))
            await tickets.create_in(conn, org, other, TicketCreate(subject=f"Elsewhere {i}"), "en")  # not counted
        from server.db import tickets as tickets_sql

        got = {r["id"]: r["newer"] for r in await tickets_sql.tickets_by_ids(conn, app, ids, 3)}
        # filed since, in this project only; none beyond the window
        assert [got[i] for i in ids] == [None, None, 2, 1, 0]


def test_each_candidate_ticket_knows_how_many_were_filed_since(make_database: Callable[[], str]) -> None:
    asyncio.run(_newer(make_database()))
