"""The support lookup: is this text (or crash) a known problem, is it fixed, for this customer?

Evidence is gathered here (traces through the crash fingerprints, error lines against
cluster signatures, words through the shared search index) and weighed by the pure
``dedupe.ticket_match``. A lookup writes nothing except the search index of clusters
that did not have one yet.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import msgspec

from dedupe import GroupingConfig, Signature, similarity
from dedupe.fuzzy import THRESHOLD as EVENT_THRESHOLD
from dedupe.text import query_terms
from dedupe.ticket_match import Evidence, Ranked, Why, combine, known, known_threshold, line_score
from dedupe.traces import FoundTrace, find_traces, groupings
from kb_link.resolution import ReleaseRef, fix_in
from kb_link.versions import parse as parse_version
from server.db import clusters as clusters_sql
from server.db import events as events_sql
from server.db import ticket_facts
from server.db import tickets as tickets_sql
from server.db.search import Conn
from server.db.tenancy import project_in_org
from server.errors import Conflict, Invalid, NotFound
from server.services import search
from server.services.ticket_model import ArticleRef, CandidateOut, LookupIn, LookupOut, WhyOut
from server.services.ticket_text import at_once, frequencies, sync_clusters, text_query, word_evidence

MAX_LIMIT = 20
PENDING_WAIT = 3.0
LINE_CANDIDATES = 30
EVENT_ID = re.compile(r"[0-9a-fA-F]{32}")
_decode_sig = msgspec.msgpack.Decoder(Signature)


class Gathered(msgspec.Struct):
    ranked: list[Ranked]
    traces: tuple[FoundTrace, ...] = ()
    grouping_hashes: tuple[str, ...] = ()


async def _config(conn: Conn, project_id: int) -> GroupingConfig | None:
    raw = (await clusters_sql.grouping_configs(conn, [project_id])).get(project_id)
    try:
        return msgspec.convert(raw, GroupingConfig) if raw else None
    except msgspec.ValidationError:
        return None


def _sig(blob: bytes | None) -> Signature:
    try:
        return _decode_sig.decode(blob) if blob else Signature()
    except msgspec.DecodeError:
        return Signature()


async def _trace_evidence(conn: Conn, project_id: int, trace: FoundTrace, config: GroupingConfig | None) -> list[Evidence]:
    gs = groupings(trace, config)
    hashes = [h for g in gs for h in g.hashes]
    known = await clusters_sql.lookup_hashes(conn, project_id, hashes)
    for h in hashes:
        if h in known:
            g = next(g for g in gs if h in g.hashes)
            return [Evidence(known[h][1], "trace", 1.0, (Why("frame", f"same crash site: {g.culprit or g.title}"),))]
    main = gs[0]
    out = []
    for cid, blob in await clusters_sql.candidates(conn, project_id, main.candidate_keys, 20):
        value, reason = similarity(main.signature, _sig(blob))
        if value <= 0:
            continue
        # an event would join at EVENT_THRESHOLD: map that onto the ticket join line
        score = 0.75 + 0.25 * (value - EVENT_THRESHOLD) / (1 - EVENT_THRESHOLD) if value >= EVENT_THRESHOLD \
            else 0.6 * value / EVENT_THRESHOLD
        out.append(Evidence(cid, "trace", round(score, 4), (Why("frame", reason),)))
    return out


async def _line_evidence(conn: Conn, organization_id: int, project_id: int, exc_type: str | None,
                         value: str | None) -> list[Evidence]:
    q = f"{exc_type or ''} {value or ''}".strip()
    if not q:
        return []
    df, n, _ = await frequencies(conn, organization_id, project_id, "cluster", query_terms(q))
    hits = await search.search(conn, organization_id, "cluster", q, project_id=project_id, limit=LINE_CANDIDATES,
                               frequencies=df, documents=n)
    out = []
    for r in await tickets_sql.clusters_by_ids(conn, project_id, [h.ref_id for h in hits]):
        score = line_score(exc_type, value, _sig(r["signature"]))
        if score > 0:
            out.append(Evidence(r["id"], "line", score, (Why("message", r["title"]),)))
    return out


async def gather(conn: Conn, organization_id: int, project_id: int, text: str, *,
                 event_cluster: int | None = None, exclude_ticket: int | None = None,
                 pool: asyncpg.Pool | None = None) -> Gathered:
    """All evidence for ``text`` (and a crash's cluster), ranked. A ``pool`` (given by a lookup, which
    writes no more than the cluster index it commits first) lets independent searches run at once."""
    evidence, traces, hashes = await _collect(conn, organization_id, project_id, text, event_cluster, exclude_ticket,
                                              pool)
    return Gathered(combine(evidence), traces, tuple(hashes))


async def evidence(conn: Conn, organization_id: int, project_id: int, text: str, *,
                   pool: asyncpg.Pool | None = None) -> list[Evidence]:
    """The evidence for ``text`` before it is weighed, in its order (``bench/tickets_calibrate.py`` tunes on it)."""
    return (await _collect(conn, organization_id, project_id, text, None, None, pool))[0]


async def _collect(conn: Conn, organization_id: int, project_id: int, text: str, event_cluster: int | None,
                   exclude_ticket: int | None, pool: asyncpg.Pool | None) -> tuple[list[Evidence], tuple[FoundTrace, ...], list[str]]:
    """Evidence in a fixed order (the crash, its traces and error lines, cluster words, ticket words).

    Given a ``pool``, the three (traces and error lines, cluster words, ticket words) are searched at
    once on connections free at once (``at_once``): all are reads, independent of each other.
    """
    await sync_clusters(conn, organization_id, project_id)
    evidence: list[Evidence] = []
    if event_cluster is not None:
        evidence.append(Evidence(event_cluster, "trace", 1.0, (Why("frame", "the crash itself is in this cluster"),)))
    traces = find_traces(text) if text else ()
    query = text_query(text) if text else None
    hashes: list[str] = []

    async def crash(c: Conn) -> list[Evidence]:
        found, got = await _crash_evidence(c, organization_id, project_id, traces)
        hashes.extend(got)
        return found

    jobs = [crash] if traces else []
    if query is not None:
        jobs += [lambda c: word_evidence(c, organization_id, project_id, "cluster", query, exclude_ticket),
                 lambda c: word_evidence(c, organization_id, project_id, "ticket", query, exclude_ticket)]
    for found in await at_once(conn, pool, jobs):
        evidence += found
    return evidence, traces, hashes


async def _crash_evidence(conn: Conn, organization_id: int, project_id: int, traces: tuple[FoundTrace, ...]
                          ) -> tuple[list[Evidence], list[str]]:
    """Evidence of the first three pasted traces and error lines, with the traces' grouping hashes."""
    config = await _config(conn, project_id) if traces else None
    evidence: list[Evidence] = []
    hashes: list[str] = []
    for trace in traces[:3]:
        found: list[Evidence] = []
        if trace.kind == "trace":
            found = await _trace_evidence(conn, project_id, trace, config)
            hashes += groupings(trace, config)[0].hashes
        if not any(e.score >= 1.0 for e in found):
            found += await _line_evidence(conn, organization_id, project_id, trace.last.type, trace.last.value)
        evidence += found
    return evidence, hashes


async def _event_cluster(conn: Conn, project_id: int, event_id: str) -> int:
    """The cluster of a crash by id; waits briefly for a pending one, then 409."""
    if not EVENT_ID.fullmatch(event_id):
        raise Invalid(f"event_id {event_id!r} is not an event id (32 hex digits)", "event_id")
    waited = 0.0
    while True:
        row = await events_sql.get_event(conn, project_id, event_id)
        if row is None:
            raise NotFound("event", event_id)
        if row["status"] != "pending":
            break
        if waited >= PENDING_WAIT:
            raise Conflict(f"event {event_id} is still being processed; retry in a few seconds")
        await asyncio.sleep(0.2)
        waited += 0.2
    cluster = await conn.fetchval("SELECT COALESCE(c.merged_into, c.id) FROM events e JOIN clusters c ON c.id = e.cluster_id"
                                  " WHERE e.project_id = $1 AND e.event_id = $2::uuid", project_id, event_id)
    if cluster is None:
        raise Conflict(f"event {event_id} could not be grouped (processing failed)")
    return int(cluster)


async def describe(conn: Conn, project_id: int, ranked: list[Ranked], version: str | None) -> list[CandidateOut]:
    """Candidates as the API shows them, in ``ranked`` order."""
    ids = [r.cluster_id for r in ranked]
    rows, counts, fixed, arts = await _facts(conn, project_id, ids)
    packages = await ticket_facts.project_packages(conn, project_id) if version and fixed else None
    out = []
    for r in ranked:
        row = rows.get(r.cluster_id)
        if row is None:
            continue
        fix = fixed.get(r.cluster_id)
        yours = None
        if version and fix:
            yours = fix_in(version, ReleaseRef(parse_version(fix[0]), fix[1]), packages)
        out.append(CandidateOut(
            cluster_id=r.cluster_id, score=r.score, why=[WhyOut(w.kind, w.text) for w in r.why],  # type: ignore[arg-type]
            status=row["status"], regressed_in=row["regressed_in_release"], fixed_in=fix[0] if fix else None,
            fix_in_your_version=yours, articles=[ArticleRef(i, t) for i, t in arts.get(r.cluster_id, [])],
            event_count=int(row["event_count"]), ticket_count=counts.get(r.cluster_id, 0), title=row["title"],
        ))
    return out


Facts = tuple[dict[int, Any], dict[int, int], dict[int, tuple[str, int]], dict[int, list[tuple[int, str]]]]


async def _facts(conn: Conn, project_id: int, ids: list[int]) -> Facts:
    """(cluster rows, ticket counts, fixed in, articles) of the clusters ``describe`` shows: the first three
    read at once (``ticket_facts.candidate_facts``: four round trips were a tenth of a lookup), else apart."""
    found = await ticket_facts.candidate_facts(conn, project_id, ids)
    if found is None:
        return await _facts_apart(conn, project_id, ids)
    fixed = {r["id"]: (r["version"], r["release_id"]) for r in found if r["release_id"] is not None}
    return ({r["id"]: r for r in found}, {r["id"]: int(r["tickets"]) for r in found}, fixed,
            await ticket_facts.articles(conn, ids))


async def _facts_apart(conn: Conn, project_id: int, ids: list[int]) -> Facts:
    rows = {r["id"]: r for r in await tickets_sql.clusters_by_ids(conn, project_id, ids)}
    return (rows, await tickets_sql.ticket_counts(conn, ids), await ticket_facts.fixed_in(conn, ids),
            await ticket_facts.articles(conn, ids))


async def lookup(pool: Conn, organization_id: int, project_id: int, data: LookupIn) -> LookupOut:
    if not (data.text or "").strip() and not data.event_id:
        raise Invalid("send text, event_id or both", "text")
    if not 1 <= data.limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}", "limit")
    async with pool.acquire() as conn:  # type: ignore[union-attr]
        # on the lookup's own connection: through the pool it cost one more reset round trip
        await project_in_org(conn, organization_id, project_id)
        event_cluster = await _event_cluster(conn, project_id, data.event_id.replace("-", "")) if data.event_id else None
        got = await gather(conn, organization_id, project_id, data.text or "", event_cluster=event_cluster,
                           pool=pool)  # type: ignore[arg-type]
        if not known(got.ranked, known_threshold(data.text or "")):
            return LookupOut("new", [])
        return LookupOut("known", await describe(conn, project_id, got.ranked[: data.limit], data.version))
