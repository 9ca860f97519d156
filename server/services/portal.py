"""The public self-help portal: an organization's published public articles, anonymous feedback,
and the "still stuck?" ticket form (throttled per address, with a honeypot field).

Nothing here needs a signed-in user, so every read is narrowed to what a customer may see:
published and public articles only, never a cluster, a ticket or an internal article (those
answer ``NotFound``, exactly like an id that does not exist).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.db import kb as kb_sql
from server.db import portal as portal_sql
from server.db.search import Conn
from server.errors import Invalid, NotFound, TooManyRequests, Unavailable
from server.services import kb_usage, tickets
from server.services.markdown import render
from server.services.ticket_model import TicketCreate

TICKETS_PER_WINDOW = 5
WINDOW = dt.timedelta(hours=1)
MAX_EMAIL, MAX_VERSION = 300, 100


class PortalOrg(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str


class PublicArticle(msgspec.Struct, frozen=True):
    """What a customer reads: no owner, no links to clusters, no revision history."""

    id: int
    title: str
    language: str
    languages: list[str]
    html: str
    updated_at: dt.datetime


class PublicHit(msgspec.Struct, frozen=True):
    id: int
    title: str
    language: str
    snippet: str


class TicketSent(msgspec.Struct, frozen=True):
    email: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def organization(conn: Conn, slug: str) -> PortalOrg:
    row = await portal_sql.organization(conn, slug)
    if row is None:
        raise NotFound("organization", slug)
    return PortalOrg(row["id"], row["slug"], row["name"])


async def search(conn: Conn, organization_id: int, q: str, *, limit: int = 20) -> list[PublicHit]:
    """Published public articles for the customer's words (any language); an empty answer is a knowledge gap."""
    hits = await kb_usage.search_articles(conn, organization_id, q[:500], visibility="public", limit=limit,
                                          published_only=True)
    return [PublicHit(h.id, h.title, h.language, h.snippet) for h in hits.articles
            if h.visibility == "public" and h.status == "published"]


async def _public(conn: Conn, organization_id: int, article_id: int) -> Any:
    a = await kb_sql.article(conn, organization_id, article_id)
    if a is None or a["status"] != "published" or a["visibility"] != "public":
        raise NotFound("article", article_id)
    return a


async def article(conn: Conn, organization_id: int, article_id: int, language: str | None = None) -> PublicArticle:
    """One published public article (a view is counted); anything else is ``NotFound``."""
    a = await _public(conn, organization_id, article_id)
    t = await kb_sql.translation(conn, article_id, language) or await kb_sql.translation(conn, article_id, None)
    if t is None:
        raise NotFound("article", article_id)
    await kb_usage.count(conn, [article_id], "views", today=_now().date())
    return PublicArticle(article_id, t["title"], t["language"], list(a["languages"]), render(t["body"]), t["updated_at"])


async def feedback(conn: Conn, organization_id: int, article_id: int, helpful: bool, *, address: str) -> bool:
    """A customer's "did this help?" on a published public article; whether it was counted.

    One answer per article and address per window counts, so a script cannot fill the
    poor-feedback report; a repeat is thanked like the first and left out.
    """
    await _public(conn, organization_id, article_id)
    seen, _ = await portal_sql.record_hit(conn, f"feedback:{article_id}:{address}", WINDOW)
    if seen > 1:
        return False
    await kb_usage.count(conn, [article_id], "helpful" if helpful else "not_helpful", today=_now().date())
    return True


def _check(subject: str, email: str, version: str) -> None:
    if not subject.strip():
        raise Invalid("subject must not be empty", "subject")
    if len(email) > MAX_EMAIL or "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise Invalid("email must be an e-mail address", "email")
    if len(version) > MAX_VERSION:
        raise Invalid(f"version is longer than {MAX_VERSION} characters", "version")


async def send_ticket(pool: Conn, organization_id: int, *, subject: str, body: str, email: str, version: str,
                      honeypot: str, address: str, read_article: int | None = None) -> TicketSent:
    """Open a ticket in the organization's first project from the public form (``read_article``: the
    help article the customer came from, noted in the ticket).

    Every well-formed attempt counts towards ``TICKETS_PER_WINDOW`` per organization and address;
    a filled honeypot (a field people never see) is refused without creating anything.
    """
    _check(subject, email, version)
    seen, since = await portal_sql.record_hit(pool, f"ticket:{organization_id}:{address}", WINDOW)
    if seen == 1:  # a new window for this address: a moment to forget windows that have passed
        await portal_sql.prune(pool, WINDOW)
    if seen > TICKETS_PER_WINDOW:
        wait = int((since + WINDOW - _now()).total_seconds()) + 1
        raise TooManyRequests("too many requests from your address; try again later", max(wait, 1))
    if honeypot.strip():
        raise Invalid("this form was filled in by a program, not a person; nothing was sent", "website")
    project_id = await portal_sql.first_project(pool, organization_id)
    if project_id is None:
        raise Unavailable("this organization does not take requests here yet", 3600)
    if read_article is not None:  # the agent sees which answer the customer tried first
        body = f"{body}\n\n(sent from help article {read_article}, which did not help)"
    await tickets.create(pool, organization_id, project_id, TicketCreate(
        subject=subject, body=body, customer=email.strip(), version=version.strip() or None))
    return TicketSent(email.strip())


async def recent(conn: Conn, organization_id: int, *, limit: int = 20) -> list[PublicHit]:
    """The newest published public articles, for the portal's front page."""
    from server.services import articles

    page = await articles.list_articles(conn, organization_id, status="published", visibility="public", limit=limit)
    return [PublicHit(a.id, a.title, a.language, "") for a in page.articles]
