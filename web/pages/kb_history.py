"""An article's revisions (each diffed against the one before, any one restorable) and its cluster links.

Restoring names the revision the page showed as current, so a restore over someone's newer
save is refused (409) like a stale save. A link with a fixed-in version resolves the cluster,
a cluster action, so it takes an engineer; a plain link is an agent's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from litestar import Request, Response, get, post

from server.errors import Forbidden, Invalid, NotFound
from server.services import article_links, articles
from server.services.kb_models import LinkCreate, RevisionRestore
from web.forms import field, form_of, int_field
from web.kb_view import diff_lines
from web.pages.kb import article_view
from web.render import redirect, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]


@get("/o/{org_slug:str}/kb/{article_id:int}/history")
async def history(request: Request_, org_slug: str, article_id: int, language: str | None = None,
                  cursor: str | None = None) -> Response[Any]:
    _, m = await member(request, org_slug)
    # two reads on two pooled connections at once: the page waits for the slower, not the sum
    out, page = await asyncio.gather(
        articles.get(pool(request), m.organization_id, article_id, language),
        articles.history(pool(request), m.organization_id, article_id, language, cursor, 50),
    )
    return render(request, "kb/history.html", article=out, revisions=page.revisions, next_cursor=page.next_cursor)


@get("/o/{org_slug:str}/kb/{article_id:int}/diff")
async def compare(request: Request_, org_slug: str, article_id: int, a: int, b: int,
                  language: str | None = None) -> Response[Any]:
    _, m = await member(request, org_slug)
    out, found = await asyncio.gather(
        articles.get(pool(request), m.organization_id, article_id, language),
        articles.compare(pool(request), m.organization_id, article_id, a, b, language),
    )
    return render(request, "kb/diff.html", article=out, diff=found, lines=diff_lines(found.diff))


@post("/o/{org_slug:str}/kb/{article_id:int}/restore")
async def restore(request: Request_, org_slug: str, article_id: int) -> Response[Any]:
    viewer, m = await member(request, org_slug, "agent")
    form = await form_of(request)
    number = int_field(form, "number")
    assert number is not None
    base = form.get("base_revision", "").strip()
    language = field(form, "language", required=False, max_length=16) or None
    async with pool(request).acquire() as conn:
        out = await articles.restore(conn, m.organization_id, article_id, number,
                                     RevisionRestore(base_revision=int(base) if base.isdigit() else None),
                                     language=language, author=viewer.email)
    return redirect(request, f"/o/{org_slug}/kb/{article_id}/history?language={out.language}")


@post("/o/{org_slug:str}/kb/{article_id:int}/links")
async def link(request: Request_, org_slug: str, article_id: int) -> Response[Any]:
    viewer, m = await member(request, org_slug, "agent")
    form = await form_of(request)
    fixed_in = field(form, "fixed_in", required=False, max_length=200) or None
    if fixed_in is not None and not m.allows("engineer"):
        raise Forbidden("a fixed-in version resolves the cluster, which needs the engineer role")
    try:
        cluster_id = int_field(form, "cluster_id")
        assert cluster_id is not None
        data = LinkCreate(cluster_id=cluster_id, affected=field(form, "affected", required=False, max_length=200) or None,
                          fixed_in=fixed_in, workaround=field(form, "workaround", required=False, max_length=20_000) or None)
        async with pool(request).acquire() as conn:
            await article_links.link_cluster(conn, m.organization_id, article_id, data, actor=viewer.email,
                                             now=dt.datetime.now(dt.UTC))
    except (Invalid, NotFound) as exc:  # a missing article is a 404 again just below
        out = await articles.get(pool(request), m.organization_id, article_id)
        return article_view(request, m, out, status=400, link_error=exc.detail, link_form=form)
    return redirect(request, f"/o/{org_slug}/kb/{article_id}#links-heading")


ROUTES = [history, compare, restore, link]
