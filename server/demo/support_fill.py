"""The support side of the demo through the services: articles with revisions and links, and tickets."""

from __future__ import annotations

import datetime as dt

import asyncpg

from server.demo.article_texts import DemoArticle, Revision
from server.demo.plan import DAYS_AGO
from server.demo.ticket_texts import TICKETS
from server.services import article_links, articles, tickets
from server.services.kb_models import ArticleCreate, ArticleUpdate, LinkCreate
from server.services.ticket_model import TicketClusterUpdate, TicketCreate, TicketOut


async def write_article(conn: asyncpg.Connection, organization_id: int, article: DemoArticle, clusters: dict[str, int],
                        *, author: str) -> int:
    """Create it from its first revision, save the others, add translations, link its cluster."""
    first, *rest = article.revisions
    out = await articles.create(conn, organization_id, ArticleCreate(
        title=first.title, body=first.body, status="draft", visibility=article.visibility, tags=list(article.tags),
        language=article.language, owner=author, summary=first.summary), author=author)
    for n, rev in enumerate(rest):
        last = n == len(rest) - 1
        out = await articles.update(conn, organization_id, out.id, ArticleUpdate(
            base_revision=out.revision, title=rev.title, body=rev.body, summary=rev.summary,
            status=article.status if last else None), author=author)
    if not rest and article.status != "draft":
        out = await articles.update(conn, organization_id, out.id, ArticleUpdate(base_revision=out.revision,
                                    status=article.status), author=author)
    for language, rev in article.translations:
        await articles.update(conn, organization_id, out.id, ArticleUpdate(
            base_revision=0, language=language, title=rev.title, body=rev.body, summary=rev.summary), author=author)
    if article.link is not None:
        link = article.link
        await article_links.link_cluster(conn, organization_id, out.id, LinkCreate(
            cluster_id=clusters[link.kind], affected=link.affected, fixed_in=link.fixed_in, workaround=link.workaround),
            actor=author, now=dt.datetime.now(dt.UTC))
    return out.id


async def revise(conn: asyncpg.Connection, organization_id: int, article_id: int, revisions: tuple[Revision, ...],
                 *, author: str, language: str) -> None:
    for rev in revisions:
        head = await articles.get(conn, organization_id, article_id, language)
        await articles.update(conn, organization_id, article_id, ArticleUpdate(
            base_revision=head.revision, title=rev.title, body=rev.body, summary=rev.summary, language=language),
            author=author)


async def file_tickets(pool: asyncpg.Pool, organization_id: int, project_id: int, traces: dict[str, str],
                       clusters: dict[str, int], answers: dict[str, int]) -> tuple[list[TicketOut], int]:
    """Each ticket as a customer sends it (``POST /tickets``'s service): matched to a cluster or a new one;
    then the agent's word where the data has one (the crash's cluster, and its article as the answer).
    Returns the tickets and how many joined a crash's cluster when filed (before any agent)."""
    made, matched, crashes = [], 0, set(clusters.values())
    now = dt.datetime.now(dt.UTC)
    for n, t in enumerate(TICKETS, 1):
        days_ago = sum(DAYS_AGO[t.version]) / 2  # written while the customer's version was current
        body = t.body.replace("{trace}", traces.get(t.trace, "")) if t.trace else t.body
        out = await tickets.create(pool, organization_id, project_id, TicketCreate(
            subject=t.subject, body=body, customer=t.customer, version=t.version, language=t.language,
            external_ref=f"demo-{n}", created_at=now - dt.timedelta(days=days_ago, hours=-n)))
        matched += out.cluster_id in crashes
        if t.agent is not None:
            out = await tickets.set_cluster(pool, organization_id, project_id, out.id, TicketClusterUpdate(
                cluster_id=clusters[t.agent], article_id=answers.get(t.agent)))
        made.append(out)
    return made, matched
