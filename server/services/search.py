"""The shared text search engine: index any kind of document, search one kind, explain each hit.

Used for articles here and for tickets and clusters by the support lookup. Text is
tokenised by ``dedupe.text`` (English stems, Chinese words, code names), stored in
``search_documents`` as a weighted tsvector, matched and ranked by PostgreSQL's core
full-text search, then the best candidates are re-ranked with rapidfuzz and query-term
coverage. Every hit says ``why``: the query terms it contains.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from rapidfuzz import fuzz

from dedupe.text import fold, terms
from server.db import search as search_sql
from server.db.search import Conn, quote

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
BODY_KEPT = 2000  # characters of body stored beside the vector, for re-ranking and snippets
BODY_INDEXED = 50_000  # characters of body tokenised; beyond this a document says nothing new
CANDIDATES = 30  # rows ranked by PostgreSQL and handed to the re-ranker
W_COVERAGE, W_RANK, W_FUZZ = 0.5, 0.3, 0.2
RETRIEVAL_ROWS = 400  # documents the loosest tier may match, by the words' frequencies (see ``search``)
RETRIEVAL_SCOPE = 5000  # from this many documents of a kind in scope on; smaller indexes are searched with every word
MAX_PAIR_TERMS = 5  # beyond this the pair tier costs more than it narrows (10 pairs at 5 words)


class Document(msgspec.Struct, frozen=True):
    """A thing to find: ``title`` weighs most, then ``extra`` (tags, linked titles), then ``body``."""

    organization_id: int
    kind: str
    ref_id: int
    title: str
    body: str = ""
    extra: str = ""
    project_id: int | None = None
    visibility: str | None = None
    language: str | None = None


class SearchHit(msgspec.Struct, frozen=True):
    kind: str
    ref_id: int
    title: str
    score: float
    why: list[str]
    snippet: str
    project_id: int | None = None
    visibility: str | None = None
    language: str | None = None


def _filters(organization_id: int, project_id: int | None, visibility: str | None, language: str | None) -> list[str]:
    out = [f"$o{organization_id}"]
    if project_id is not None:
        out.append(f"$p{project_id}")
    if visibility:
        out.append(f"$v{visibility}")
    if language:
        out.append(f"$l{language}")
    return out


def tsvector_literal(doc: Document) -> str:
    """``'term':pos<weight> ...``: title A, extra B, body C, filter terms D."""
    return _indexed(doc)[0]


def _indexed(doc: Document) -> tuple[str, bytes]:
    """The vector literal and the stored tokens (``[title terms, extra and body terms]``), tokenised once."""
    parts: list[str] = []
    pos = 1
    fields = ((doc.title, "A"), (doc.extra, "B"), (doc.body[:BODY_INDEXED], "C"))
    found: list[tuple[str, ...]] = []
    for text, weight in fields:
        found.append(got := terms(text).terms)
        for term in got:
            parts.append(f"{quote(term)}:{min(pos, MAX_POSITION)}{weight}")
            pos += 1
    for term in _filters(doc.organization_id, doc.project_id, doc.visibility, doc.language):
        parts.append(f"{quote(term)}:{MAX_POSITION}D")
    return " ".join(parts), _encode_tokens.encode((found[0], found[1] + found[2]))


_encode_tokens = msgspec.msgpack.Encoder()
_decode_tokens = msgspec.msgpack.Decoder(tuple[tuple[str, ...], tuple[str, ...]])


def stored_tokens(blob: bytes | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A document's (title terms, other terms) as stored by ``index``; None when not stored."""
    if not blob:
        return None
    try:
        return _decode_tokens.decode(blob)
    except msgspec.DecodeError:
        return None


def document_row(d: Document) -> tuple[Any, ...]:
    """The row ``search_sql.upsert`` writes for ``d``."""
    literal, tokens = _indexed(d)
    return (d.organization_id, d.kind, d.ref_id, d.project_id, d.visibility, d.language, d.title, d.body[:BODY_KEPT],
            literal, tokens)


def tsquery_literal(filters: Sequence[str], words: Sequence[str], need: int = 1) -> str:
    """Scope terms AND (at least ``need`` of ``words``: 1 = any, len(words) = all, 2 = any pair); the
    words alone when there are no scope terms."""
    scope = " & ".join(quote(f) for f in filters)
    if need >= len(words):
        match = " & ".join(quote(w) for w in words)
    elif need == 2:
        match = " | ".join(f"({quote(a)} & {quote(b)})" for a, b in itertools.combinations(words, 2))
    else:
        match = " | ".join(quote(w) for w in words)
    return f"{scope} & ({match})" if scope else f"({match})"


def _tiers(n: int) -> list[int]:
    """How many query terms a document must hold, strictest first: ranking few rows is what keeps
    a query of common words fast, and coverage orders the looser tiers' extra rows anyway."""
    tiers = [n]
    if 3 <= n <= MAX_PAIR_TERMS:
        tiers.append(2)
    if n > 1:
        tiers.append(1)
    return tiers


def retrievable(words: Sequence[str], frequencies: Mapping[str, int], documents: int) -> list[str]:
    """The words that may pull candidates in on their own: the rarest, up to ``RETRIEVAL_ROWS``
    matching documents between them (always at least one word), in the order given. An index of
    at most ``RETRIEVAL_SCOPE`` documents is searched with every word, as before the bound."""
    if documents <= RETRIEVAL_SCOPE:
        return list(words)
    return rarest(words, frequencies, RETRIEVAL_ROWS, at_least_one=True)


def rarest(words: Sequence[str], frequencies: Mapping[str, int], rows: int, *, at_least_one: bool = False) -> list[str]:
    """The rarest ``words``, as many as match at most ``rows`` documents between them by their counts
    (and the rarest one whatever its count if ``at_least_one``), in the order given."""
    kept: set[str] = set()
    total = 0
    for w in sorted(words, key=lambda w: (frequencies.get(w, 0), w)):
        total += frequencies.get(w, 0)
        if total > rows and (kept or not at_least_one):
            break
        kept.add(w)
    return [w for w in words if w in kept]


async def index(conn: Conn, docs: Iterable[Document]) -> None:
    """Add or replace documents (one round trip for the batch)."""
    rows = [document_row(d) for d in docs]
    if rows:
        await search_sql.upsert(conn, rows)


async def remove(conn: Conn, organization_id: int, kind: str, ref_ids: Sequence[int]) -> None:
    await search_sql.remove(conn, organization_id, kind, ref_ids)


@functools.lru_cache(maxsize=65536)
def _title_terms(title: str) -> str:
    """A title's query-mode terms, joined (a pure function of the title, so cached: the same titles
    come back query after query, and segmenting Chinese is the costly part of re-ranking)."""
    return " ".join(terms(title, mode="query").terms)


def _weight(term: str, code: frozenset[str]) -> float:
    return 2.0 if term in code else 1.0


def _snippet(body: str, why: Sequence[str]) -> str:
    low = fold(body).lower()
    at = min((i for i in (low.find(w) for w in why) if i >= 0), default=0)
    start = max(0, at - 60)
    return ("…" if start else "") + body[start : start + 200].replace("\n", " ").strip()


async def search(
    conn: Conn,
    organization_id: int,
    kind: str,
    q: str,
    *,
    project_id: int | None = None,
    visibility: str | None = None,
    language: str | None = None,
    limit: int = 20,
    frequencies: Mapping[str, int] | None = None,
    documents: int = 0,
) -> list[SearchHit]:
    """The best ``limit`` documents of ``kind`` for ``q`` in scope, best first; [] when nothing matches.

    ``frequencies`` (documents per query term, of ``documents`` in scope; read from the term counts
    when the caller has none and the scope holds more than ``RETRIEVAL_SCOPE``) bound the loosest tier: "any word" is asked of the rarest words only, together in at
    most ``RETRIEVAL_ROWS`` documents, so the rows it ranks do not grow with the index (a query of
    common words matched most of it); every word still ranks and explains what it finds.
    """
    parsed = terms(q, mode="query")
    words = tuple(dict.fromkeys(parsed.terms))
    if not words:
        return []
    code = frozenset(parsed.code)
    # The stricter tiers ask for the words as typed (a code name whole); the parts split out of
    # code names only widen the last tier, so "NullPointerException" is one term to hold, not four.
    split = frozenset(parsed.parts)
    primary = [w for w in words if w not in split] or list(words)
    filters = _filters(organization_id, project_id, visibility, language)
    wanted = max(CANDIDATES, limit)
    rows: list[Any] = []
    any_word = tsquery_literal(filters, words, 1)  # every tier ranks against the same query: one scale
    # a project's documents are found by the project column, not by the '$'-terms in every one of them
    # (the same rows: both are written from the same document); visibility and language stay terms
    by_column = project_id is not None and not visibility and not language
    tiers = [(n, primary) for n in _tiers(len(primary))]
    if split:  # "any primary word" is inside "any word", the last tier
        tiers = [(n, among) for n, among in tiers if n > 1 or len(primary) == 1] + [(1, list(words))]
    for need, among in tiers:
        seen = {r["ref_id"] for r in rows}
        if need == 1 and len(among) > 1:
            # the loosest tier, reached only when the stricter ones found too little: bound it
            if frequencies is None:  # read as of now, never cached: the same query ranks the same way
                frequencies, documents, _ = await search_sql.term_statistics(conn, organization_id, kind, project_id,
                                                                             words)
            among = retrievable(among, frequencies, documents)
        if by_column:  # the words matched by the index, the organization and project read from the columns
            found = await search_sql.query(conn, organization_id, kind, tsquery_literal([], among, need), words, wanted,
                                           rank_tsquery=any_word, project_id=project_id)
        else:
            found = await search_sql.query(conn, organization_id, kind, tsquery_literal(filters, among, need), words,
                                           wanted, rank_tsquery=any_word)
        rows += [r for r in found if r["ref_id"] not in seen]
        if len(rows) >= limit:
            break
    if not rows:
        return []
    total = sum(_weight(w, code) for w in words)
    top_rank = max(r["rank"] for r in rows) or 1.0
    joined = " ".join(words)
    hits = []
    for r in rows:
        matched = set(r["matched"])
        why = [w for w in words if w in matched]
        coverage = sum(_weight(w, code) for w in why) / total
        closeness = fuzz.token_set_ratio(joined, _title_terms(r["title"])) / 100.0
        score = W_COVERAGE * coverage + W_RANK * (r["rank"] / top_rank) + W_FUZZ * closeness
        hits.append(
            SearchHit(kind, r["ref_id"], r["title"], round(score, 4), why, _snippet(r["body"], why),
                      r["project_id"], r["visibility"], r["language"])
        )
    hits.sort(key=lambda h: (-h.score, -h.ref_id))
    return hits[:limit]
