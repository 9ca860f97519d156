"""Tickets: post one (matched before the answer), read, list, and an agent's confirm/correct.

A posted ticket joins the best cluster only when the match clears the stricter join
line; otherwise it starts its own cluster (with its trace's fingerprints when it has
one), so the next duplicate ticket or the crash itself finds it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec

from dedupe import CONFIG_ID, Signature, parameterize
from dedupe.ticket_match import detect_language, join_target
from dedupe.traces import groupings
from server.db import clusters as clusters_sql
from server.db import ticket_history
from server.db import tickets as tickets_sql
from server.db.search import Conn
from server.db.tenancy import project_in_org
from server.errors import Invalid, NotFound
from server.services import cursor
from server.services.ticket_fixes import fix_already_out
from server.services.ticket_lookup import _config, describe, gather
from server.services.ticket_model import (
    CandidateOut,
    TicketClusterUpdate,
    TicketCreate,
    TicketListed,
    TicketOrgPage,
    TicketOut,
    TicketPage,
)
from server.services.ticket_text import index_ticket
from server.services.wire import reject_nul

LANGUAGES = ("en", "zh")
STATUSES = ("open", "fix_available", "closed")
MAX_SUBJECT, MAX_BODY = 500, 100_000
MAX_LABEL = 200  # customer, version, external_ref: names to filter and match on, not text
_encode_sig = msgspec.msgpack.Encoder()


def _out(row: Any) -> TicketOut:
    match = msgspec.convert(row["match"], CandidateOut) if row["match"] else None
    return TicketOut(
        id=row["id"], cluster_id=row["cluster_id"], match=match, subject=row["subject"], body=row["body"],
        customer=row["customer"], version=row["version"], language=row["language"], external_ref=row["external_ref"],
        status=row["status"], match_source=row["match_source"], article_id=row["article_id"],
        fix_version=row["fix_version"], created_at=row["created_at"],
    )


def validate(data: TicketCreate) -> str:
    """The ticket's language, after checking what a client can get wrong."""
    if not data.subject.strip():
        raise Invalid("subject must not be empty", "subject")
    if len(data.subject) > MAX_SUBJECT:
        raise Invalid(f"subject is longer than {MAX_SUBJECT} characters", "subject")
    if len(data.body) > MAX_BODY:
        raise Invalid(f"body is longer than {MAX_BODY} characters", "body")
    for field in ("customer", "version", "external_ref"):
        value = getattr(data, field)
        if value is not None and len(value) > MAX_LABEL:
            raise Invalid(f"{field} is longer than {MAX_LABEL} characters", field)
    # PostgreSQL text refuses NUL; said here, so the answer names the field instead of quoting the database
    for field in ("subject", "body", "customer", "version", "external_ref"):
        reject_nul(getattr(data, field), field)
    if data.language is not None and data.language not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)} (or left out to detect it)", "language")
    return data.language or detect_language(f"{data.subject}\n{data.body}")


async def create(pool: Conn, organization_id: int, project_id: int, data: TicketCreate, *, into: int | None = None,
                 actor: str | None = None) -> TicketOut:
    """File a ticket; ``into`` is the cluster an agent chose for it (the desk's one-action confirm),
    stored as confirmed when it is the lookup's best candidate and as corrected otherwise."""
    language = validate(data)
    await project_in_org(pool, organization_id, project_id)
    async with pool.acquire() as conn, conn.transaction():  # type: ignore[union-attr]
        ticket_id = await create_in(conn, organization_id, project_id, data, language, into=into, actor=actor)
        row = await tickets_sql.get_ticket(conn, project_id, ticket_id)
    return _out(row)


async def create_in(conn: asyncpg.Connection, organization_id: int, project_id: int, data: TicketCreate,
                    language: str, *, into: int | None = None, actor: str | None = None) -> int:
    """Match and store one validated ticket inside the caller's transaction; its id."""
    text = f"{data.subject}\n\n{data.body}"
    got = await gather(conn, organization_id, project_id, text)
    target = join_target(got.ranked) if into is None else None
    match: CandidateOut | None = None
    if target is not None:
        match = (await describe(conn, project_id, [target], data.version) or [None])[0]
        if match is not None and "trace" not in target.kinds and match.event_count == 0:
            # an error line joins a crash's cluster, not another ticket's: on real reports the same
            # message quoted from different pages is often a different problem
            match = None
    if into is not None:
        cluster_id, source, match = await _chosen(conn, project_id, into, got.ranked, data.version)
    elif match is not None:
        cluster_id, source = match.cluster_id, "auto"
    else:
        cluster_id, source = await _new_cluster(conn, project_id, data, got.traces), "new"
    trace_kind = got.traces[0].kind if got.traces else None
    try:
        ticket_id = await tickets_sql.insert_ticket(conn, {
            "organization_id": organization_id, "project_id": project_id, "external_ref": data.external_ref,
            "subject": data.subject, "body": data.body, "customer": data.customer, "version": data.version,
            "language": language, "cluster_id": cluster_id, "match": msgspec.to_builtins(match) if match else None,
            "match_source": source, "trace_kind": trace_kind, "created_at": data.created_at,
        })
    except asyncpg.UniqueViolationError:
        raise Invalid(f"a ticket with external_ref {data.external_ref!r} exists in this project", "external_ref") from None
    await index_ticket(conn, organization_id, project_id, ticket_id, data.subject, data.body, language)
    await ticket_history.add(conn, ticket_id, source, cluster_id=cluster_id, actor=actor, at=data.created_at)
    if source != "new":
        await fix_already_out(conn, organization_id, project_id, cluster_id, now=dt.datetime.now(dt.UTC))
    return ticket_id


async def _chosen(conn: asyncpg.Connection, project_id: int, chosen: int, ranked: list[Any], version: str | None
                  ) -> tuple[int, str, CandidateOut | None]:
    """The agent's cluster for a new ticket: (cluster, confirmed or corrected, the match as stored)."""
    target = await tickets_sql.cluster_in_project(conn, project_id, chosen)
    if target is None:
        raise NotFound("cluster", chosen)
    source = "confirmed" if ranked and ranked[0].cluster_id == target else "corrected"
    match = (await describe(conn, project_id, [_agent_rank(target)], version) or [None])[0]
    return target, source, match


async def _new_cluster(conn: asyncpg.Connection, project_id: int, data: TicketCreate, traces: tuple[Any, ...]) -> int:
    """A cluster for a ticket nothing matched; a pasted trace gives it the crash's fingerprints."""
    when = data.created_at or dt.datetime.now(dt.UTC)
    trace = next((t for t in traces if t.kind == "trace"), None)
    if trace is None and traces:
        # an error line alone: the cluster carries it, so the next ticket quoting it joins
        last = traces[0].last
        sig = Signature(types=(last.type or "",), message=parameterize(last.value or ""))
        title = f"{last.type}: {last.value}" if last.value else (last.type or data.subject)
        return await clusters_sql.create_cluster(conn, project_id, title=title[:200], culprit=None, level="error",
                                                 platform="other", seen=when, config_id=CONFIG_ID,
                                                 signature=_encode_sig.encode(sig))
    if trace is None:
        return await tickets_sql.create_ticket_cluster(conn, project_id, data.subject, when, _encode_sig.encode(Signature()),
                                                       CONFIG_ID)
    g = groupings(trace, await _config(conn, project_id))[0]
    await clusters_sql.lock_hashes(conn, project_id, g.hashes)
    known = await clusters_sql.lookup_hashes(conn, project_id, list(g.hashes))
    if known:  # another ticket or the crash got there first
        return next(iter(known.values()))[1]
    cid = await clusters_sql.create_cluster(
        conn, project_id, title=g.title, culprit=g.culprit, level=g.level, platform=g.platform, seen=when,
        config_id=g.config_id, signature=_encode_sig.encode(g.signature))
    await clusters_sql.add_fingerprints(conn, [(project_id, h, cid, g.config_id, "new", None) for h in g.hashes])
    await clusters_sql.add_candidate_keys(conn, [(project_id, k, cid) for k in g.candidate_keys])
    return cid


async def get(pool: Conn, organization_id: int, project_id: int, ticket_id: int) -> TicketOut:
    await project_in_org(pool, organization_id, project_id)
    row = await tickets_sql.get_ticket(pool, project_id, ticket_id)
    if row is None:
        raise NotFound("ticket", ticket_id)
    return _out(row)


async def list_page(pool: Conn, organization_id: int, project_id: int, *, cluster_id: int | None, status: str | None, customer: str | None,
                    version: str | None, cursor_value: str | None, limit: int) -> TicketPage:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    await project_in_org(pool, organization_id, project_id)
    key = cursor.decode(cursor_value, 1)
    before = int(key[0]) if key else None
    rows = await tickets_sql.list_tickets(pool, project_id, cluster_id=cluster_id, status=status, customer=customer,
                                          version=version, before_id=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketPage([_out(r) for r in rows], cursor.encode(rows[-1]["id"]) if more and rows else None)


async def set_cluster(pool: Conn, organization_id: int, project_id: int, ticket_id: int, data: TicketClusterUpdate,
                      *, actor: str | None = None) -> TicketOut:
    """Confirm (same cluster) or correct (another) a ticket's match; link the article sent as the answer."""
    await project_in_org(pool, organization_id, project_id)
    if data.cluster_id is None and data.article_id is None:
        raise Invalid("send cluster_id (to confirm or correct the match), article_id, or both", "cluster_id")
    async with pool.acquire() as conn, conn.transaction():  # type: ignore[union-attr]
        row = await tickets_sql.get_ticket(conn, project_id, ticket_id)
        if row is None:
            raise NotFound("ticket", ticket_id)
        if data.cluster_id is not None:
            target = await tickets_sql.cluster_in_project(conn, project_id, data.cluster_id)
            if target is None:
                raise NotFound("cluster", data.cluster_id)
            source = "confirmed" if target == row["cluster_id"] else "corrected"
            match = (await describe(conn, project_id, [_agent_rank(target)], row["version"]) or [None])[0]
            await tickets_sql.set_cluster(conn, project_id, ticket_id, target, source,
                                          msgspec.to_builtins(match) if match else None)
            await ticket_history.add(conn, ticket_id, source, cluster_id=target, actor=actor)
        if data.article_id is not None:
            from server.services import articles

            await articles.get(conn, organization_id, data.article_id)  # 404 unless this organization's
            await tickets_sql.set_article(conn, project_id, ticket_id, data.article_id)
            await ticket_history.add(conn, ticket_id, "article", article_id=data.article_id, actor=actor)
            await articles.reindex(conn, [data.article_id])  # the customer's words now find the article
        row = await tickets_sql.get_ticket(conn, project_id, ticket_id)
    return _out(row)


async def list_org_page(pool: Conn, organization_id: int, *, project_id: int | None, cluster_id: int | None,
                        status: str | None, customer: str | None, version: str | None, cursor_value: str | None,
                        limit: int) -> TicketOrgPage:
    """The organization's tickets across its projects (or one), newest first, with their clusters' titles."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    if project_id is not None:
        await project_in_org(pool, organization_id, project_id)
    key = cursor.decode(cursor_value, 1)
    before = int(key[0]) if key else None
    rows = await tickets_sql.list_org_tickets(pool, organization_id, project_id=project_id, cluster_id=cluster_id,
                                              status=status, customer=customer, version=version, before_id=before,
                                              limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketOrgPage([TicketListed(_out(r), r["project_id"], r["cluster_title"]) for r in rows],
                         cursor.encode(rows[-1]["id"]) if more and rows else None)


def _agent_rank(cluster_id: int) -> Any:
    from dedupe.ticket_match import Ranked, Why

    return Ranked(cluster_id, 1.0, (Why("confirmed", "set by an agent"),), ("agent",))
