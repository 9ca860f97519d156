"""Term counts kept beside the search index (migration 0065) and the bound on candidate retrieval.

The counts are what BM25 and the retrieval bound read instead of counting matches; they must
equal a count of the index itself after inserts, replacements (one statement for a batch,
as the ticket import writes) and removals, per organization, kind and project.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from dedupe.text import query_terms
from server.database import connect
from server.db import search as search_sql
from server.db import tenancy
from server.migrate import migrate
from server.services import search


async def _counted(conn: asyncpg.Connection, org: int, kind: str, project: int | None, words: list[str]) -> dict[str, int]:
    """The truth: documents of the scope whose vector holds each word."""
    out = {}
    for w in words:
        scope = f" & '$p{project}'" if project is not None else ""
        out[w] = int(await conn.fetchval(
            "SELECT count(*) FROM search_documents WHERE organization_id = $1 AND kind = $2 AND terms @@ CAST($3 AS tsquery)",
            org, kind, search_sql.quote(w) + scope))
    return out


async def _check(url: str) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "acme")
        other = await tenancy.ensure_organization(conn, "other")
        docs = [search.Document(org, "ticket", i, f"Invoice {i} shows the wrong VAT number",
                                body="PDF export prints the old address" if i % 2 else "导出 PDF 失败", project_id=1 + i % 2)
                for i in range(1, 41)]
        docs += [search.Document(other, "ticket", 1, "Invoice VAT", project_id=9),
                 search.Document(org, "article", 1, "VAT on invoices", body="How VAT is printed")]
        await search.index(conn, docs)
        # replace some (one statement, a repeated document: the later one wins), remove others
        await search.index(conn, [search.Document(org, "ticket", i, "Login fails after the update", project_id=1 + i % 2)
                                  for i in (1, 2, 3, 3)])
        await search.remove(conn, org, "ticket", [4, 5, 6])
        words = sorted(set(query_terms("invoice VAT number PDF export old address login update 导出 失败 nothing")))
        for o, kind, project in ((org, "ticket", 1), (org, "ticket", 2), (org, "ticket", None), (other, "ticket", 9),
                                 (org, "article", None)):
            assert await search_sql.document_frequencies(conn, o, kind, project, words) == \
                await _counted(conn, o, kind, project, words), (o, kind, project)
            n, avg = await search_sql.corpus_stats(conn, o, kind, project)
            row = await conn.fetchrow(
                "SELECT count(*) AS n, COALESCE(avg(length(terms)), 0) AS avg FROM search_documents"
                " WHERE organization_id = $1 AND kind = $2 AND ($3::bigint IS NULL OR project_id = $3)", o, kind, project)
            assert (n, round(avg, 6)) == (row["n"], round(float(row["avg"]), 6))
        assert (await search_sql.document_frequencies(conn, org, "ticket", 1, ["invoic"], cap=3)) == {"invoic": 3}
    finally:
        await conn.close()


def test_term_counts_follow_the_index(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))


def test_retrieval_bound_keeps_the_rarest_words() -> None:
    freq = {"crash": 900, "app": 800, "vat": 40, "invoic": 300, "pdf": 10}
    words = ["crash", "app", "vat", "invoic", "pdf"]
    # an index no larger than the bound is searched with every word
    assert search.retrievable(words, freq, documents=search.RETRIEVAL_SCOPE) == words
    # a larger one: the rarest words, up to RETRIEVAL_ROWS matches between them, in query order
    assert search.retrievable(words, freq, documents=100_000) == ["vat", "invoic", "pdf"]
    # a word in more documents than the bound is still asked when it is the rarest there is
    assert search.retrievable(["crash"], {"crash": 50_000}, documents=100_000) == ["crash"]
