"""SQL of the shared text index (``search_documents``): upsert, remove, and one ranked query.

Vectors and queries arrive as PostgreSQL literals built by ``server.services.search``
from ``dedupe.text`` terms; nothing here parses text, so the database's locale and text
search configuration play no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
PRE_RANKED = 300  # matches given the full (costly) rank, chosen by the cheap title/extra rank


async def upsert(conn: Conn, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of (organization, kind, ref id, project, visibility, language, title, body, vector literal, tokens),
    in one statement however many (a bulk import indexes a thousand at a time); a later row for the
    same document wins."""
    latest = {(r[0], r[1], r[2]): r for r in rows}
    if not latest:
        return
    cols = list(zip(*latest.values(), strict=True))
    await conn.execute(
        "INSERT INTO search_documents"
        " (organization_id, kind, ref_id, project_id, visibility, language, title, body, terms, tokens)"
        " SELECT x.o, x.k, x.r, x.p, x.v, x.l, x.t, x.b, x.terms::tsvector, x.tokens"
        " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],"
        "             $8::text[], $9::text[], $10::bytea[]) AS x(o, k, r, p, v, l, t, b, terms, tokens)"
        " ON CONFLICT (organization_id, kind, ref_id) DO UPDATE SET project_id = EXCLUDED.project_id,"
        " visibility = EXCLUDED.visibility, language = EXCLUDED.language, title = EXCLUDED.title,"
        " body = EXCLUDED.body, terms = EXCLUDED.terms, tokens = EXCLUDED.tokens, updated_at = now()",
        *(list(c) for c in cols),
    )


async def remove(conn: Conn, organization_id: int, kind: str, ref_ids: Sequence[int]) -> None:
    await conn.execute(
        "DELETE FROM search_documents WHERE organization_id = $1 AND kind = $2 AND ref_id = ANY($3::bigint[])",
        organization_id, kind, list(ref_ids),
    )


async def query(
    conn: Conn, organization_id: int, kind: str, tsquery: str, terms: Sequence[str], limit: int,
    rank_tsquery: str | None = None, project_id: int | None = None,
) -> list[asyncpg.Record]:
    """The ``limit`` best documents matching ``tsquery`` by ``ts_rank`` against ``rank_tsquery`` (default:
    the same), with the query terms each contains.

    Title terms weigh 1.0, extra terms (tags, linked titles) 0.4, body 0.2; rank is
    normalised by log length (flag 1) so long bodies do not win by bulk. Only ids and
    ranks go through the sort; text is read for the winners alone. Only the ``PRE_RANKED`` best
    by title and extra terms (``head``, small and uncompressed) get the full rank: the full
    vector is costly to read, and a query of common words matches thousands. ``search_top``
    (migration 0044) holds that part, so the GIN index is used however many rows match. ``matched``
    intersects ``terms`` with each winner's lexemes (one read of its vector, not one per term).
    Given a ``project_id``, ``tsquery`` holds the words alone and the organization and project are
    read from their columns (``search_top_project``, as ``candidates`` does): the same rows, cheaper.
    """
    if project_id is None:
        top = "search_top($1, $2, CAST($3 AS tsquery), CAST($6 AS tsquery), CAST($8 AS tsquery), $4, $7)"
        scope: tuple[int, ...] = ()
    else:
        top = "search_top_project($1, $2, $9, CAST($3 AS tsquery), CAST($6 AS tsquery), CAST($8 AS tsquery), $4, $7)"
        scope = (project_id,)
    return await conn.fetch(
        "SELECT d.ref_id, d.project_id, d.visibility, d.language, d.title, left(d.body, 400) AS body, top.rank,"
        " ARRAY(SELECT unnest($5::text[]) INTERSECT SELECT unnest(tsvector_to_array(d.terms))) AS matched"
        f" FROM {top} top"
        " JOIN search_documents d ON d.organization_id = $1 AND d.kind = $2 AND d.ref_id = top.top_id"
        " ORDER BY top.rank DESC, d.ref_id DESC",
        organization_id, kind, tsquery, limit, list(terms), rank_tsquery or tsquery,
        max(limit, PRE_RANKED), " | ".join(quote(t) for t in terms), *scope,
    )


async def candidates(conn: Conn, organization_id: int, kind: str, project_id: int, words: str, rank_tsquery: str,
                     terms: Sequence[str], limit: int, sure: str | None = None, sure_limit: int = 0
                     ) -> list[asyncpg.Record]:
    """The ``limit`` best documents of ``kind`` in the project holding ``words`` (a tsquery of words alone),
    ranked by ``rank_tsquery`` as ``query`` ranks, with only their ids and stored tokens: what the lookup
    re-scores, without the text and the matched terms it does not use.

    The project is read from its column (``search_top_project``, migration 0069), not matched as the
    vector's '$'-terms, whose posting lists hold every document of the project: the same rows, cheaper.
    ``present`` says whether a cluster document's cluster is still in the project (the lookup reads
    no more of it when its tokens are stored: one round trip fewer); always true for other kinds.
    Given ``sure`` (a tsquery of the query's rarest words, whose counts say they match about
    ``sure_limit`` documents), the newest ``sure_limit`` documents holding them come too, unranked and
    marked ``sure``, in the same round trip (they are candidates whatever their rank).
    """
    ranked = (f"SELECT false AS sure, d.ref_id, d.tokens, {_present(kind)} AS present"
              " FROM search_top_project($1, $2, $3, CAST($4 AS tsquery), CAST($5 AS tsquery), CAST($8 AS tsquery), $6, $7)"
              " top JOIN search_documents d ON d.organization_id = $1 AND d.kind = $2 AND d.ref_id = top.top_id"
              " ORDER BY top.rank DESC, d.ref_id DESC")
    args = [organization_id, kind, project_id, words, rank_tsquery, limit, max(limit, PRE_RANKED),
            " | ".join(quote(t) for t in terms)]
    if sure is None:
        return await conn.fetch(ranked, *args)
    return await conn.fetch(
        # OFFSET 0 keeps the ORDER BY ... LIMIT out of the match: given both, the planner may walk the
        # primary key backward and test each document (every ticket of the project, 260 ms at 100k),
        # expecting the words to be common; they are the rarest of the query, found through the GIN index
        f"({ranked}) UNION ALL (SELECT true, d.ref_id, d.tokens, {_present(kind)} FROM"
        " (SELECT s.ref_id, s.tokens FROM search_documents s WHERE s.organization_id = $1 AND s.kind = $2"
        "  AND s.project_id = $3 AND s.terms @@ CAST($9 AS tsquery) OFFSET 0) d ORDER BY d.ref_id DESC LIMIT $10)",
        *args, sure, sure_limit,
    )


def _present(kind: str) -> str:
    """Whether a document's cluster is still in the project ($3); always true for other kinds."""
    return "EXISTS (SELECT 1 FROM clusters c WHERE c.id = d.ref_id AND c.project_id = $3)" if kind == "cluster" \
        else "true"


def quote(term: str) -> str:
    """A term as a tsvector/tsquery literal lexeme."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


async def corpus_stats(conn: Conn, organization_id: int, kind: str, project_id: int | None) -> tuple[int, float]:
    """How many documents of ``kind`` are in scope and their mean number of distinct terms (for BM25),
    from the totals kept by migration 0065's triggers (a read by key, not a scan)."""
    project = "project_id = $3" if project_id is not None else "$3::bigint IS NULL"
    row = await conn.fetchrow(
        "SELECT COALESCE(sum(documents) FILTER (WHERE term = '$documents'), 0) AS n,"
        " COALESCE(sum(documents) FILTER (WHERE term = '$lengths'), 0) AS lengths"
        f" FROM search_term_counts WHERE organization_id = $1 AND kind = $2 AND {project}"
        " AND term IN ('$documents', '$lengths')",
        organization_id, kind, project_id,
    )
    n = int(row["n"])
    return n, (float(row["lengths"]) / n if n else 0.0)


async def document_frequencies(
    conn: Conn, organization_id: int, kind: str, project_id: int | None, terms: Sequence[str], cap: int = 5000
) -> dict[str, int]:
    """In how many documents of ``kind`` in scope each term occurs (up to ``cap``: beyond it a term tells
    nothing), read from the counts kept by migration 0065's triggers."""
    project = "c.project_id = $3" if project_id is not None else "$3::bigint IS NULL"
    rows = await conn.fetch(
        # one key lookup per term (a nested loop whatever the table's statistics say)
        "SELECT q.term, least(COALESCE((SELECT sum(c.documents) FROM search_term_counts c WHERE c.organization_id = $1"
        f"  AND c.kind = $2 AND {project} AND c.term = q.term), 0), $5) AS n FROM unnest($4::text[]) AS q(term)",
        organization_id, kind, project_id, [t for t in terms if not t.startswith("$")], cap,
    )
    found = {r["term"]: int(r["n"] or 0) for r in rows}
    return {t: found.get(t, 0) for t in terms}


async def term_statistics(
    conn: Conn, organization_id: int, kind: str, project_id: int | None, terms: Sequence[str], cap: int = 5000
) -> tuple[dict[str, int], int, float]:
    """``document_frequencies`` of ``terms`` (capped at ``cap``) with ``corpus_stats`` (documents, mean
    distinct terms) in one round trip: all read by key from migration 0065's counts, as of now."""
    project = "c.project_id = $3" if project_id is not None else "$3::bigint IS NULL"
    words = [t for t in dict.fromkeys(terms) if not t.startswith("$")]
    rows = await conn.fetch(
        "SELECT q.term, COALESCE((SELECT sum(c.documents) FROM search_term_counts c WHERE c.organization_id = $1"
        f"  AND c.kind = $2 AND {project} AND c.term = q.term), 0) AS n"
        " FROM unnest($4::text[] || ARRAY['$documents', '$lengths']) AS q(term)",
        organization_id, kind, project_id, words,
    )
    found = {r["term"]: int(r["n"] or 0) for r in rows}
    n = found.pop("$documents", 0)
    lengths = found.pop("$lengths", 0)
    return {t: min(found.get(t, 0), cap) for t in terms}, n, (lengths / n if n else 0.0)
