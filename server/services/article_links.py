"""Articles and clusters: links (affected range, fixed in, workaround), drafts from a cluster,
suggestions both ways, and the stale flag when a linked cluster regresses after its fix."""

from __future__ import annotations

import datetime as dt
import logging

import asyncpg
import msgspec

from dedupe.text import query_terms
from kb_link.articles import check_fixed_in, draft_from_cluster, parse_range, regression_makes_stale, trace_summary
from server.db import kb as kb_sql
from server.db import kb_events
from server.db import kb_links as links_sql
from server.db.search import Conn
from server.errors import Invalid, NotFound
from server.services import articles, search, webhooks
from server.services.kb_models import (
    ArticleCreate,
    ArticleHits,
    ArticleOut,
    ClusterDraft,
    ClusterHit,
    ClusterHits,
    FromCluster,
    LinkCreate,
    LinkOut,
)
from server.services.ticket_text import sync_clusters

log = logging.getLogger(__name__)
QUERY_TERMS = 40  # a suggestion query is built from a whole text; its first terms say enough


async def _cluster(conn: Conn, organization_id: int, cluster_id: int) -> asyncpg.Record:
    row = await links_sql.cluster_in_org(conn, organization_id, cluster_id)
    if row is None:
        raise NotFound("cluster", cluster_id)
    return row


async def link_cluster(conn: asyncpg.Connection, organization_id: int, article_id: int, data: LinkCreate, *,
                       actor: str, now: dt.datetime) -> LinkOut:
    """Link (or re-link) a cluster; a ``fixed_in`` resolves an unresolved cluster in that release."""
    articles.no_nul("link", data.affected, data.fixed_in, data.workaround, data.linked_by)
    try:
        affected = parse_range(data.affected) if data.affected else None
    except ValueError as exc:
        raise Invalid(f"affected: {exc}", "affected") from None
    if data.fixed_in is not None:
        try:
            check_fixed_in(data.fixed_in, affected)
        except ValueError as exc:
            raise Invalid(f"fixed_in: {exc}", "fixed_in") from None
    if data.workaround is not None and len(data.workaround) > 20_000:
        raise Invalid("workaround is longer than 20000 characters", "workaround")
    async with conn.transaction():
        await articles._article(conn, organization_id, article_id, lock=True)
        cluster = await _cluster(conn, organization_id, data.cluster_id)
        await links_sql.upsert_link(conn, article_id, cluster["id"], affected.text if affected else None,
                                    data.fixed_in, data.workaround, data.linked_by or actor)
        if data.fixed_in is not None and cluster["status"] != "resolved":
            await _resolve(conn, organization_id, cluster, data.fixed_in, actor=actor, now=now)
        await articles.reindex(conn, [article_id])
        row = await links_sql.link(conn, article_id, cluster["id"])
    return LinkOut(**dict(row))


async def _resolve(conn: asyncpg.Connection, organization_id: int, cluster: asyncpg.Record, release: str, *,
                   actor: str, now: dt.datetime) -> None:
    """Resolve through the releases workflow, so ``resolved_in`` stays the one source of "fixed in"."""
    from server.services.resolution import ClusterStatusUpdate, change_status

    await change_status(conn, organization_id, cluster["project_id"], cluster["id"],
                        ClusterStatusUpdate(status="resolved", resolved_in=release), actor=actor, now=now)


async def draft_for_cluster(conn: Conn, organization_id: int, cluster_id: int) -> ClusterDraft:
    """The title and body a new article about this cluster starts from (nothing is saved)."""
    cluster = await _cluster(conn, organization_id, cluster_id)
    sample = await links_sql.cluster_sample(conn, cluster["id"])
    releases = await links_sql.cluster_releases(conn, cluster["id"])
    title, body = draft_from_cluster(cluster["title"][:300], cluster["culprit"],
                                     trace_summary(sample["normalized"] if sample else None), releases,
                                     cluster["first_seen"], cluster["last_seen"])
    return ClusterDraft(cluster["id"], cluster["project_id"], cluster["title"], title, body)


async def create_for_cluster(conn: asyncpg.Connection, organization_id: int, cluster_id: int, data: ArticleCreate, *,
                             actor: str) -> ArticleOut:
    """Create an article (as written by the caller) and link it to the cluster, in one transaction."""
    async with conn.transaction():
        cluster = await _cluster(conn, organization_id, cluster_id)
        out = await articles.create(conn, organization_id, data, author=actor)
        await links_sql.upsert_link(conn, out.id, cluster["id"], None, None, None, actor)
        await articles.reindex(conn, [out.id])
    return await articles.get(conn, organization_id, out.id, data.language)


async def from_cluster(conn: asyncpg.Connection, organization_id: int, data: FromCluster, *, actor: str,
                       now: dt.datetime) -> ArticleOut:
    """A draft prefilled from the cluster (title, trace summary, affected releases, first/last seen), linked to it."""
    draft = await draft_for_cluster(conn, organization_id, data.cluster_id)
    return await create_for_cluster(conn, organization_id, draft.cluster_id, ArticleCreate(
        title=draft.title, body=draft.body, language=data.language, owner=data.owner,
        summary=f"drafted from cluster {draft.cluster_id}", author=data.author), actor=actor)


def _query(text: str) -> str:
    return " ".join(query_terms(text)[:QUERY_TERMS])


async def articles_for_cluster(conn: Conn, organization_id: int, cluster_id: int, *, limit: int = 10) -> ArticleHits:
    """Articles that may describe this cluster (its title, culprit, exception and frames), linked ones left out."""
    cluster = await _cluster(conn, organization_id, cluster_id)
    sample = await links_sql.cluster_sample(conn, cluster["id"])
    text = " ".join(x for x in (cluster["title"], cluster["culprit"] or "",
                                trace_summary(sample["normalized"] if sample else None)) if x)
    from server.services.kb_usage import search_articles

    hits = await search_articles(conn, organization_id, _query(text), limit=limit + 10, record=False)
    linked = {r["article_id"] for r in await links_sql.articles_of_cluster(conn, cluster["id"])}
    return ArticleHits([h for h in hits.articles if h.id not in linked][:limit])


class LinkedArticleOut(msgspec.Struct, frozen=True):
    article_id: int
    title: str
    language: str
    status: str
    stale: bool  # the cluster regressed after the fix the article names
    fixed_in: str | None
    workaround: str | None


async def linked_articles(conn: Conn, organization_id: int, cluster_id: int) -> list[LinkedArticleOut]:
    """Articles linked to this cluster (and to clusters merged into it): what the cluster page lists."""
    cluster = await _cluster(conn, organization_id, cluster_id)
    return [LinkedArticleOut(**dict(r)) for r in await links_sql.linked_articles(conn, organization_id, cluster["id"])]


async def clusters_for_article(conn: Conn, organization_id: int, article_id: int, *, limit: int = 10) -> ClusterHits:
    """Clusters this article may cover (from its title, tags and body), linked ones left out."""
    await articles._article(conn, organization_id, article_id)
    for project_id in await kb_events.project_ids(conn, organization_id):
        await sync_clusters(conn, organization_id, project_id)  # clusters made since the last look
    t = await articles._translation(conn, article_id, None)
    a = await kb_sql.article(conn, organization_id, article_id)
    assert a is not None
    hits = await search.search(conn, organization_id, "cluster",
                               _query(f"{t['title']} {' '.join(a['tags'])} {t['body'][:1000]}"), limit=limit + 10)
    linked = {link.cluster_id for link in await articles.links_of(conn, article_id)}
    return ClusterHits([ClusterHit(h.ref_id, h.project_id, h.title, h.score, h.why)
                        for h in hits if h.ref_id not in linked][:limit])


async def on_regression(conn: Conn, cluster_id: int, release: str | None, *, now: dt.datetime) -> list[int]:
    """Flag the articles of a regressed cluster whose fix it came back at or after; tell their owners.

    Called from the regression path (in its transaction); returns the articles flagged now.
    """
    flagged: list[int] = []
    for link in await links_sql.articles_of_cluster(conn, cluster_id):
        reason = regression_makes_stale(link["fixed_in"], release)
        if reason is None or link["stale"]:
            continue
        for article_id in await links_sql.mark_stale(conn, [link["article_id"]], reason):
            flagged.append(article_id)
            await webhooks.emit(conn, link["organization_id"], "article.stale", {
                "article_id": article_id, "cluster_id": cluster_id, "release": release, "reason": reason,
                "owner": link["owner"],
            }, now=now)
    return flagged
