"""What a lookup shows of its candidates (the cluster, its tickets with those of clusters merged into it,
the release it was fixed in) is read in one round trip, its articles in another: the same facts as read
apart."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from dedupe import CONFIG_ID
from server.db import clusters as clusters_sql
from server.db import tenancy
from server.services import ticket_lookup, tickets
from server.services.ticket_model import TicketCreate
from tests.server.ticket_db import acme_app


async def _check(url: str) -> None:
    async with acme_app(url) as (conn, org, project):
        other = await tenancy.create_project(conn, "acme", "other")
        made = [await clusters_sql.create_cluster(conn, p, title=f"Error {i}", culprit=None, level="error",
                                                  platform="python", seen=dt.datetime.now(dt.UTC), config_id=CONFIG_ID,
                                                  signature=b"")
                for i, p in enumerate([project] * 5 + [other])]
        a, b, merged, merged_twice, quiet, elsewhere = made
        await conn.execute("UPDATE clusters SET merged_into = $1 WHERE id = $2", a, merged)
        await conn.execute("UPDATE clusters SET merged_into = $1 WHERE id = $2", merged, merged_twice)
        for cid, n in ((a, 2), (merged, 3), (merged_twice, 1), (b, 1), (elsewhere, 1)):
            for i in range(n):
                ticket = await tickets.create_in(conn, org, project, TicketCreate(subject=f"Ticket {cid} {i}"), "en")
                await conn.execute("UPDATE tickets SET cluster_id = $1 WHERE id = $2", cid, ticket)
        release = await conn.fetchval("INSERT INTO releases (project_id, version, number, scheme, sort_key)"
                                      " VALUES ($1, '2.4.1', '2.4.1', 'semver', '1') RETURNING id", project)
        await conn.execute("UPDATE clusters SET resolved_in_release_id = $1, status = 'resolved' WHERE id = ANY($2)",
                           release, [a, elsewhere])
        await conn.execute("UPDATE clusters SET regressed_in_release = '2.4.2' WHERE id = $1", b)
        articles = []
        for status, titles in (("published", ["Fix", "Korrektur"]), ("archived", ["Old"]), ("draft", []),
                               ("published", ["Second"]), ("published", ["Third"]), ("published", ["Fourth"])):
            art = await conn.fetchval("INSERT INTO kb_articles (organization_id, status) VALUES ($1, $2) RETURNING id",
                                      org, status)
            for lang, title in zip(("en", "de"), titles, strict=False):
                await conn.execute("INSERT INTO kb_translations (article_id, language, title, body, revision)"
                                   " VALUES ($1, $2, $3, '', 1)", art, lang, title)
            articles.append(art)
        # a: an archived one, one without a title, and more than three shown; b: one; the rest: none
        for art in articles:
            await conn.execute("INSERT INTO kb_article_clusters (article_id, cluster_id, linked_by) VALUES ($1, $2, 'x')",
                               art, a)
        await conn.execute("INSERT INTO kb_article_clusters (article_id, cluster_id, linked_by) VALUES ($1, $2, 'x')",
                           articles[0], b)
        ids = [merged, a, b, quiet, merged_twice, elsewhere, 999_999]
        rows, counts, fixed, arts = await ticket_lookup._facts(conn, project, ids)
        rows2, counts2, fixed2, arts2 = await ticket_lookup._facts_apart(conn, project, ids)
        columns = ("title", "status", "regressed_in_release", "event_count")
        assert {k: [r[c] for c in columns] for k, r in rows.items()} == {k: [r[c] for c in columns] for k, r in rows2.items()}
        assert set(rows) == set(made[:5])
        assert {k: counts.get(k, 0) for k in rows} == {k: counts2.get(k, 0) for k in rows}
        assert counts[a] == 2 + 3 and counts[merged] == 1 and counts[b] == 1
        assert {k: fixed.get(k) for k in rows} == {k: fixed2.get(k) for k in rows} and fixed[a] == ("2.4.1", release)
        assert {k: arts.get(k, []) for k in rows} == {k: arts2.get(k, []) for k in rows}
        assert [t for _, t in arts[a]] == ["Fix", "Second", "Third"]


def test_candidate_facts_in_one_read_are_those_read_apart(make_database: Callable[[], str]) -> None:
    asyncio.run(_check(make_database()))
