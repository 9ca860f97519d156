"""Tickets and clusters in the shared search index, and the word evidence of a lookup.

Clusters are indexed lazily: each lookup first indexes the project's clusters created
since the last one (a watermark), so the grouping worker's hot path stays untouched.
Candidates come from the shared engine (``server.services.search``); they are re-scored
with BM25 (``dedupe.ticket_match``) using document frequencies read from the same index.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
import msgspec

from dedupe import Signature
from dedupe.text import query_terms, terms
from dedupe.ticket_match import RECENT_WINDOW, Evidence, TextDoc, bm25_text
from server.db import search as search_sql
from server.db import tickets as tickets_sql
from server.db.search import Conn
from server.services import search, zh_gloss

SYNC_BATCH = 5000
CANDIDATES = 100
SURE_ROWS = 50  # documents holding the query's rarest words, candidates whatever their rank (see ``_candidates``)
RARE_TERMS = 24  # tuned on SeaMonkey: the duplicate is among the candidates for 93% of lookups (50 and 12: 89%)
QUERY_CHARS = 4000
SUBJECT_CHARS = 200  # the first line of a lookup's text is the ticket's subject (its summary) when short
STATE_EVERY = dt.timedelta(seconds=5)
SPARE_WAIT = 0.005  # seconds a lookup waits for a second connection before searching on its own
RELEASE_WAIT = 30.0  # seconds the spare connection's reset may take when handed back
_decode_sig = msgspec.msgpack.Decoder(Signature)
T = TypeVar("T")


class _Lru(OrderedDict):  # type: ignore[type-arg]
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: object, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


_doc_terms = _Lru(50_000)


def cluster_text(title: str, culprit: str | None, signature: bytes | None, samples: Sequence[Any] = ()) -> tuple[str, str]:
    """(title, extra) of a cluster document: title; culprit, frames, message, and its events' routes and jobs."""
    extra = [culprit or ""]
    if signature:
        try:
            sig = _decode_sig.decode(signature)
        except msgspec.DecodeError:
            sig = Signature()
        extra += [*sig.types, *sig.frames, *(m for m in sig.modules if m), sig.message, sig.context]
    for sample in samples:
        extra += _sample_words(sample)
    return title, " ".join(dict.fromkeys(x for x in extra if x))


def _sample_words(sample: Any) -> list[str]:
    """What an event says about where it happened: transaction (route, job, command), messages, in-app frames."""
    if isinstance(sample, str):
        sample = msgspec.json.decode(sample)
    if not isinstance(sample, dict):
        return []
    words = [str(sample.get("transaction") or "")]
    for exc in sample.get("exceptions") or ():
        words += [str(exc.get("type") or ""), str(exc.get("value") or "")[:300]]
        words += [str(f.get("function") or "") for f in exc.get("frames") or () if f.get("in_app")]
    return words


async def sync_clusters(conn: Conn, organization_id: int, project_id: int) -> int:
    """Index clusters created since the last call, and rewrite those whose event count doubled."""
    mark, since, now, newest, seen = await tickets_sql.search_state(conn, project_id)
    start, done = mark, 0
    # ``clusters_to_index`` looks only at clusters after the watermark and those seen since the last sync
    pending = newest > mark or seen
    while pending:
        rows = await tickets_sql.clusters_to_index(conn, project_id, mark, since, SYNC_BATCH)
        if not rows:
            break
        docs, marks = [], []
        for r in rows:
            title, extra = cluster_text(r["title"], r["culprit"], r["signature"], r["samples"])
            docs.append(search.Document(organization_id, "cluster", r["id"], title, extra=extra, project_id=project_id))
            marks.append((r["id"], r["event_count"], extra))
        await search.index(conn, docs)
        await tickets_sql.mark_indexed(conn, marks)
        mark = max(mark, rows[-1]["id"])
        done += len(docs)
        if len(rows) < SYNC_BATCH:
            break
    # every cluster up to ``newest`` was looked at: the ones not indexed (a ticket's own, merged) must
    # not be walked again by every later lookup
    mark = max(mark, newest)
    if done or mark != start or now - since > STATE_EVERY:
        # a lookup that indexed nothing writes nothing (a write per lookup cost a commit each): an older
        # ``since`` only widens the next look for clusters whose event count doubled
        await tickets_sql.set_search_state(conn, project_id, mark, now)
    return done


async def index_ticket(conn: Conn, organization_id: int, project_id: int, ticket_id: int, subject: str, body: str,
                       language: str) -> None:
    await search.index(conn, [search.Document(organization_id, "ticket", ticket_id, subject, body=body,
                                              project_id=project_id, language=language)])


def _tokens(key: object, title: str, body: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    hit = _doc_terms.get(key)
    if hit is None:
        hit = (terms(title).terms, terms(body[: search.BODY_INDEXED]).terms)
        _doc_terms.put(key, hit)
    return hit  # type: ignore[no-any-return]


async def frequencies(conn: Conn, organization_id: int, project_id: int, kind: str, words: Sequence[str]
                       ) -> tuple[dict[str, int], int, float]:
    """Document frequencies of ``words``, the number of documents and their mean length, as of now.

    Read by key every time (one round trip), never cached: a cache that expires on a clock made the
    same lookup rank differently from run to run.
    """
    return await search_sql.term_statistics(conn, organization_id, kind, project_id, words)


class TextQuery(msgspec.Struct, frozen=True):
    """A lookup's text as word evidence asks it: its terms (Chinese also glossed in English) and those of
    its first line, the ticket's subject."""

    words: tuple[str, ...]
    subject: frozenset[str]


def text_query(text: str) -> TextQuery | None:
    """``text`` as a word query; None when it holds no words."""
    q = text[:QUERY_CHARS]
    q = f"{q}\n{zh_gloss.english(q)}"  # Chinese words also in English: crash text is English
    words = query_terms(q)
    if not words:
        return None
    first = next((line for line in text.splitlines() if line.strip()), "")[:SUBJECT_CHARS]
    return TextQuery(tuple(words), frozenset(query_terms(f"{first}\n{zh_gloss.english(first)}")))


async def text_evidence(conn: Conn, organization_id: int, project_id: int, text: str,
                        exclude_ticket: int | None = None, pool: asyncpg.Pool | None = None) -> list[Evidence]:
    """Word evidence from cluster documents and earlier tickets (mapped to their clusters).

    Candidates are the documents holding the query's rarest words (``RARE_TERMS``, by document
    frequency): a chatty ticket's common words would otherwise choose them, and its duplicate,
    which shares the telling words, would not be among them. Given a ``pool`` (a lookup, which
    writes nothing), tickets are searched on a second connection while clusters are on ``conn``
    (``at_once``).
    """
    query = text_query(text)
    if query is None:
        return []
    clusters, found = await at_once(conn, pool, [
        lambda c: word_evidence(c, organization_id, project_id, "cluster", query, exclude_ticket),
        lambda c: word_evidence(c, organization_id, project_id, "ticket", query, exclude_ticket)])
    return clusters + found


async def at_once(conn: Conn, pool: asyncpg.Pool | None, jobs: Sequence[Callable[[Conn], Awaitable[T]]]) -> list[T]:
    """The results of independent reads, in order: the first job on ``conn``, each later one at the same
    time on a connection of its own when ``pool`` has one free at once (``_spare``), the rest after the
    first on ``conn``. Waiting on one database query after the other was most of a lookup. A spare
    connection goes back as soon as its job is done; all jobs run to their end before an error is raised."""
    spares: list[asyncpg.Connection] = []
    while pool is not None and len(spares) < len(jobs) - 1 and (got := await _spare(pool)) is not None:
        spares.append(got)
    own = len(jobs) - len(spares)

    async def on_conn() -> list[T]:
        return [await job(conn) for job in jobs[:own]]

    side = [_then_release(pool, spare, job) for spare, job in zip(spares, jobs[own:], strict=True)]  # type: ignore[arg-type]
    done = await asyncio.gather(on_conn(), *side, return_exceptions=True)
    for x in done:
        if isinstance(x, BaseException):
            raise x
    return [*done[0], *done[1:]]  # type: ignore[misc, list-item]


async def _then_release(pool: asyncpg.Pool, conn: asyncpg.Connection, job: Callable[[Conn], Awaitable[T]]) -> T:
    try:
        return await job(conn)
    finally:
        # asyncpg would bound the release's reset by the acquire's short timeout: give it the usual time
        await pool.release(conn, timeout=RELEASE_WAIT)


async def _spare(pool: asyncpg.Pool) -> asyncpg.Connection | None:
    """A second connection if one is free at once, else None (the caller goes on with its own): a
    lookup holding one connection must never wait for another, or a full pool would wait on itself."""
    try:
        return await pool.acquire(timeout=SPARE_WAIT)  # type: ignore[no-any-return]
    except TimeoutError:
        return None


async def word_evidence(conn: Conn, organization_id: int, project_id: int, kind: str, query: TextQuery,
                        exclude_ticket: int | None) -> list[Evidence]:
    """BM25 evidence from the documents of one ``kind`` (cluster or ticket) holding the query's rarest words."""
    words, subject = query.words, query.subject
    df, n, avg = await frequencies(conn, organization_id, project_id, kind, words)
    # terms no document had go in too: the next ticket may hold them
    rare = [w for w in words if not df.get(w)][:RARE_TERMS]
    rare += sorted((w for w in words if df.get(w)), key=lambda w: df[w])[:RARE_TERMS]
    # in a large index, only as many of them as match a bounded number of documents (the rarest
    # first), so the cost of a lookup does not grow with the index
    rare = search.retrievable(rare, df, n)
    found = await _candidates(conn, organization_id, project_id, kind, rare, df)
    if kind == "ticket":
        found.pop(exclude_ticket, None)  # type: ignore[arg-type]
    if not found:
        return []
    docs = await (_cluster_docs(conn, project_id, found) if kind == "cluster" else _ticket_docs(conn, project_id, found))
    return bm25_text(words, docs, df, n, avg, subject)


Tokens = tuple[tuple[str, ...], tuple[str, ...]]


async def _candidates(conn: Conn, organization_id: int, project_id: int, kind: str, rare: Sequence[str],
                      df: dict[str, int]) -> dict[int, Tokens | None]:
    """Documents of ``kind`` holding any of the ``rare`` terms (already tokenised), with their terms as
    indexed (None for a document indexed before they were stored).

    The ``CANDIDATES`` best by ``ts_rank``, which knows no word's rarity: a short ticket's two telling
    words ("sequoia", "15.1") lose to documents full of its common ones. So every document holding the
    rarest words, up to ``SURE_ROWS`` by their counts, is a candidate too (on SeaMonkey three duplicates
    were outside the ranked hundred).
    """
    scope = [f"$o{organization_id}", f"$p{project_id}"]
    sure = search.rarest([w for w in rare if df.get(w)], df, SURE_ROWS)  # a word no document has matches none
    # matched on the words alone (the scope from the columns), ranked as ever: scope terms and words; the
    # documents holding the rarest words in the same round trip
    rows = await search_sql.candidates(conn, organization_id, kind, project_id, search.tsquery_literal([], rare, 1),
                                       search.tsquery_literal(scope, rare, 1), rare, CANDIDATES,
                                       search.tsquery_literal([], sure, 1) if sure else None, SURE_ROWS)
    found: dict[int, Tokens | None] = {}
    for r in [r for r in rows if not r["sure"]] + [r for r in rows if r["sure"]]:  # the ranked ones first
        # a cluster no longer in the project has no document (``_cluster_docs`` reads one without tokens)
        if r["present"] or not r["tokens"]:
            found.setdefault(int(r["ref_id"]), search.stored_tokens(r["tokens"]))
    return found


async def _cluster_docs(conn: Conn, project_id: int, found: dict[int, Tokens | None]) -> list[TextDoc]:
    """Cluster documents by id (the order they were read in by primary key); only those indexed without
    their tokens are read from the clusters, to tokenise their text."""
    missing = [cid for cid, tokens in found.items() if tokens is None]
    rows = {r["id"]: r for r in await tickets_sql.clusters_by_ids(conn, project_id, missing)} if missing else {}
    docs = []
    for cid in sorted(found):
        tokens = found[cid]
        if tokens is None:
            if cid not in rows:
                continue
            tokens = _cluster_tokens(rows[cid])
        docs.append(TextDoc(cid, cid, *tokens))
    return docs


def _cluster_tokens(r: Any) -> Tokens:
    """A cluster document's terms from its text, when the index has none stored (cached by cluster;
    dropped when re-indexed)."""
    key = ("c", r["id"], r["indexed_events"])
    hit = _doc_terms.get(key)
    if hit is None:
        hit = (terms(r["title"]).terms, terms(r["extra"]).terms)
        _doc_terms.put(key, hit)
    return hit  # type: ignore[no-any-return]


async def _ticket_docs(conn: Conn, project_id: int, found: dict[int, Tokens | None]) -> list[TextDoc]:
    docs = []
    for r in await tickets_sql.tickets_by_ids(conn, project_id, list(found), RECENT_WINDOW):
        if r["cluster_id"] is None:
            continue
        t, b = found.get(r["id"]) or _tokens(("t", r["id"]), r["subject"], r["body"])
        confirmed = r["match_source"] in ("confirmed", "corrected")
        docs.append(TextDoc(r["id"], r["cluster_id"], t, b, source="ticket", confirmed=confirmed,
                            label=f"ticket {r['id']}: {r['subject'][:80]}", newer=r["newer"]))
    return docs
