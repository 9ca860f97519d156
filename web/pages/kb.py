"""Knowledge base pages: the list and search, an article, the editor with its sanitised preview.

Agents and up write articles (the support desk's own knowledge); archiving takes an engineer,
since it removes an answer the support desk and the portal may be sending. A save names the
revision the edit started from; a refused stale save shows both texts, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from server.errors import Conflict, Forbidden, Invalid
from server.services import article_links, articles, kb_usage
from server.services.markdown import render as markdown
from web.forms import form_of
from web.kb_form import STATUSES, VISIBILITIES, Draft, draft_of
from web.kb_view import diff_lines
from web.render import redirect, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
TRANSLATED = ["draft", "published", "archived", "internal", "public", "unresolved", "resolved", "regressed", "ignored"]
PAGE = 50


def _base(org_slug: str) -> str:
    return f"/o/{org_slug}/kb"


@get("/o/{org_slug:str}/kb")
async def kb_list(request: Request_, org_slug: str, q: str = "", status: str = "", visibility: str = "",
                  tag: str = "", language: str = "", cursor: str | None = None) -> Response[Any]:
    _, m = await member(request, org_slug)
    filters = {"status": status if status in STATUSES else "", "visibility": visibility if visibility in VISIBILITIES else "",
               "tag": tag.strip()[:50], "language": language.strip()[:16]}
    hits, page = None, None
    if q.strip():
        found = await kb_usage.search_articles(pool(request), m.organization_id, q[:2000], limit=PAGE,
                                               language=filters["language"] or None,
                                               visibility=filters["visibility"] or None)
        hits = [h for h in found.articles if not filters["status"] or h.status == filters["status"]]
    else:
        page = await articles.list_articles(pool(request), m.organization_id, cursor_=cursor, limit=PAGE,
                                            **{k: v or None for k, v in filters.items()})
    return render(request, "kb/list.html", q=q, filters=filters, hits=hits, page=page, statuses=STATUSES,
                  visibilities=VISIBILITIES)


def _editor(request: Request_, *, draft: Draft, article: Any = None, status: int = 200, preview: str | None = None,
            error: str | None = None, conflict: Any = None, conflict_diff: list[tuple[str, str]] | None = None,
            cluster: Any = None) -> Response[Any]:
    return render(request, "kb/editor.html", status=status, draft=draft, article=article, preview=preview,
                  error=error, conflict=conflict, conflict_diff=conflict_diff, cluster=cluster, statuses=STATUSES,
                  visibilities=VISIBILITIES)


@get("/o/{org_slug:str}/kb/new")
async def new_article(request: Request_, org_slug: str, cluster: int | None = None,
                      project: int | None = None) -> Response[Any]:
    """A blank editor, or (``?cluster=``) one prefilled from the cluster; nothing is saved until Save."""
    _, m = await member(request, org_slug, "agent")
    if cluster is None:
        return _editor(request, draft=Draft())
    prefill = await article_links.draft_for_cluster(pool(request), m.organization_id, cluster)
    if project is not None and project != prefill.project_id:
        raise Invalid("that cluster is not in that project", "project")
    draft = Draft(title=prefill.title, body=prefill.body, cluster_id=prefill.cluster_id,
                  summary=f"drafted from cluster {prefill.cluster_id}")
    return _editor(request, draft=draft, preview=markdown(draft.body), cluster=prefill)


@post("/o/{org_slug:str}/kb/new")
async def create_article(request: Request_, org_slug: str) -> Response[Any]:
    viewer, m = await member(request, org_slug, "agent")
    form = await form_of(request)
    draft = draft_of(form)
    cluster = (await article_links.draft_for_cluster(pool(request), m.organization_id, draft.cluster_id)
               if draft.cluster_id else None)
    if form.get("action") == "preview":
        return _editor(request, draft=draft, preview=markdown(draft.body), cluster=cluster)
    try:
        async with pool(request).acquire() as conn:
            if draft.cluster_id:
                out = await article_links.create_for_cluster(conn, m.organization_id, draft.cluster_id, draft.create(),
                                                             actor=viewer.email)
            else:
                out = await articles.create(conn, m.organization_id, draft.create(), author=viewer.email)
    except Invalid as exc:
        return _editor(request, draft=draft, status=400, error=exc.detail, preview=markdown(draft.body), cluster=cluster)
    return redirect(request, f"{_base(org_slug)}/{out.id}?language={out.language}")


@post("/o/{org_slug:str}/kb/preview")
async def preview(request: Request_, org_slug: str) -> Response[Any]:
    """The body as readers will see it: the same sanitiser as the article page and the portal (htmx partial)."""
    await member(request, org_slug, "agent")
    body = (await form_of(request)).get("body", "")[:250_000]
    return render(request, "kb/_preview.html", preview=markdown(body))


@get("/o/{org_slug:str}/kb/{article_id:int}")
async def article_page(request: Request_, org_slug: str, article_id: int, language: str | None = None) -> Response[Any]:
    _, m = await member(request, org_slug)
    out = await articles.get(pool(request), m.organization_id, article_id, language)
    return article_view(request, m, out)


def article_view(request: Request_, m: Any, out: Any, *, status: int = 200, link_error: str | None = None,
                 link_form: dict[str, str] | None = None) -> Response[Any]:
    blank = {"cluster_id": "", "affected": "", "fixed_in": "", "workaround": ""}
    return render(request, "kb/article.html", status=status, article=out, can_archive=m.allows("engineer"),
                  can_fix=m.allows("engineer"), link_error=link_error, link_form={**blank, **(link_form or {})})


def _loaded(out: Any) -> Draft:
    return Draft(title=out.title, body=out.body, status=out.status, visibility=out.visibility, tags=", ".join(out.tags),
                 language=out.language, base_revision=out.revision)


@get("/o/{org_slug:str}/kb/{article_id:int}/edit")
async def edit_article(request: Request_, org_slug: str, article_id: int, language: str | None = None) -> Response[Any]:
    """The editor on one language version; a language the article lacks starts a new version (revision 0)."""
    _, m = await member(request, org_slug, "agent")
    out = await articles.get(pool(request), m.organization_id, article_id)
    if language and language not in out.languages:
        draft = Draft(status=out.status, visibility=out.visibility, tags=", ".join(out.tags), language=language[:16])
        return _editor(request, draft=draft, article=out)
    if language:
        out = await articles.get(pool(request), m.organization_id, article_id, language)
    return _editor(request, draft=_loaded(out), article=out, preview=out.html)


@post("/o/{org_slug:str}/kb/{article_id:int}/edit")
async def save_article(request: Request_, org_slug: str, article_id: int) -> Response[Any]:
    viewer, m = await member(request, org_slug, "agent")
    form = await form_of(request)
    draft = draft_of(form)
    current = await articles.get(pool(request), m.organization_id, article_id)
    if draft.status == "archived" and current.status != "archived" and not m.allows("engineer"):
        raise Forbidden("archiving an article needs the engineer role")
    if form.get("action") == "preview":
        return _editor(request, draft=draft, article=current, preview=markdown(draft.body))
    try:
        async with pool(request).acquire() as conn:
            out = await articles.update(conn, m.organization_id, article_id, draft.update(), author=viewer.email)
    except Invalid as exc:
        return _editor(request, draft=draft, article=current, status=400, error=exc.detail, preview=markdown(draft.body))
    except Conflict:
        theirs = await articles.get(pool(request), m.organization_id, article_id, draft.language)
        text = articles.text_diff((draft.title, draft.body), (theirs.title, theirs.body),
                                  "yours", f"revision {theirs.revision}")
        mine = msgspec.structs.replace(draft, base_revision=theirs.revision)
        return _editor(request, draft=mine, article=theirs, status=409, conflict=theirs, conflict_diff=diff_lines(text),
                       preview=markdown(draft.body))
    return redirect(request, f"{_base(org_slug)}/{article_id}?language={out.language}")


@post("/o/{org_slug:str}/kb/{article_id:int}/archive")
async def archive_article(request: Request_, org_slug: str, article_id: int) -> Response[Any]:
    _, m = await member(request, org_slug, "engineer")
    async with pool(request).acquire() as conn:
        await articles.archive(conn, m.organization_id, article_id)
    return redirect(request, f"{_base(org_slug)}/{article_id}")


ROUTES = [kb_list, new_article, create_article, preview, article_page, edit_article, save_article, archive_article]
