"""``/api/0/articles/``: the token's organization's knowledge base (thin: services do the work)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.services import article_links, articles, kb_usage
from server.services.kb_models import (
    ArticleCreate,
    ArticleHits,
    ArticleOut,
    ArticlePage,
    ArticleUpdate,
    ClusterHits,
    DiffOut,
    Feedback,
    FromCluster,
    LinkCreate,
    LinkOut,
    RevisionPage,
    RevisionRestore,
    Status,
    Visibility,
)
from server.services.kb_usage import Report, ReportName

Req = Request[Any, Any, Any]


def actor(request: Req) -> str:
    """Who acts: the API token (its id when the auth layer records one)."""
    caller = getattr(request.state, "caller", None)
    token_id = getattr(caller, "token_id", None) or getattr(caller, "id", None)
    return f"token:{token_id}" if token_id is not None else "token"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ArticleController(Controller):
    path = "/api/0/articles"
    guards = [require_token]

    @post("/")
    async def create(self, request: Req, data: ArticleCreate) -> ArticleOut:
        async with request.app.state.pool.acquire() as conn:
            return await articles.create(conn, organization_of(request), data, author=actor(request))

    @get("/")
    async def list_articles(
        self, request: Req, status: Status | None = None, visibility: Visibility | None = None, tag: str | None = None,
        owner: str | None = None, language: str | None = None, cursor: str | None = None,
        limit: int = Parameter(default=50, ge=1, le=200),
    ) -> ArticlePage:
        return await articles.list_articles(
            request.app.state.pool, organization_of(request), status=status, visibility=visibility, tag=tag,
            owner=owner, language=language, cursor_=cursor, limit=limit,
        )

    @get("/search")
    async def search(
        self, request: Req, q: str = Parameter(min_length=1, max_length=2000), language: str | None = None,
        visibility: Visibility | None = None, limit: int = Parameter(default=20, ge=1, le=100),
    ) -> ArticleHits:
        return await kb_usage.search_articles(request.app.state.pool, organization_of(request), q, language=language,
                                              visibility=visibility, limit=limit)

    @post("/from-cluster", status_code=201)
    async def from_cluster(self, request: Req, data: FromCluster) -> ArticleOut:
        async with request.app.state.pool.acquire() as conn:
            return await article_links.from_cluster(conn, organization_of(request), data, actor=actor(request),
                                                    now=_now())

    @get("/suggested")
    async def suggested_for_cluster(
        self, request: Req, cluster_id: int, limit: int = Parameter(default=10, ge=1, le=50)
    ) -> ArticleHits:
        return await article_links.articles_for_cluster(request.app.state.pool, organization_of(request), cluster_id,
                                                        limit=limit)

    @get("/reports/{name:str}")
    async def report(
        self, request: Req, name: ReportName, days: int = Parameter(default=30, ge=1, le=3650),
        limit: int = Parameter(default=50, ge=1, le=500),
    ) -> Report:
        return await kb_usage.report(request.app.state.pool, organization_of(request), name, days=days, limit=limit,
                                     now=_now())

    @get("/{article_id:int}")
    async def read(self, request: Req, article_id: int, language: str | None = None) -> ArticleOut:
        pool = request.app.state.pool
        out = await articles.get(pool, organization_of(request), article_id, language)
        await kb_usage.count(pool, [article_id], "views", today=_now().date())
        return out

    @put("/{article_id:int}")
    async def save(self, request: Req, article_id: int, data: ArticleUpdate) -> ArticleOut:
        async with request.app.state.pool.acquire() as conn:
            return await articles.update(conn, organization_of(request), article_id, data, author=actor(request))

    @post("/{article_id:int}/archive", status_code=200)
    async def archive(self, request: Req, article_id: int) -> ArticleOut:
        async with request.app.state.pool.acquire() as conn:
            return await articles.archive(conn, organization_of(request), article_id)

    @get("/{article_id:int}/revisions")
    async def revisions(
        self, request: Req, article_id: int, language: str | None = None, cursor: str | None = None,
        limit: int = Parameter(default=50, ge=1, le=200),
    ) -> RevisionPage:
        return await articles.history(request.app.state.pool, organization_of(request), article_id, language, cursor,
                                      limit)

    @get("/{article_id:int}/revisions/{a:int}/diff/{b:int}")
    async def diff(self, request: Req, article_id: int, a: int, b: int, language: str | None = None) -> DiffOut:
        return await articles.compare(request.app.state.pool, organization_of(request), article_id, a, b, language)

    @post("/{article_id:int}/revisions/{number:int}/restore", status_code=200)
    async def restore(
        self, request: Req, article_id: int, number: int, data: RevisionRestore, language: str | None = None
    ) -> ArticleOut:
        async with request.app.state.pool.acquire() as conn:
            return await articles.restore(conn, organization_of(request), article_id, number, data, language=language,
                                          author=actor(request))

    @post("/{article_id:int}/links", status_code=200)
    async def link(self, request: Req, article_id: int, data: LinkCreate) -> LinkOut:
        async with request.app.state.pool.acquire() as conn:
            return await article_links.link_cluster(conn, organization_of(request), article_id, data,
                                                    actor=actor(request), now=_now())

    @get("/{article_id:int}/suggested-clusters")
    async def suggested_clusters(
        self, request: Req, article_id: int, limit: int = Parameter(default=10, ge=1, le=50)
    ) -> ClusterHits:
        return await article_links.clusters_for_article(request.app.state.pool, organization_of(request), article_id,
                                                        limit=limit)

    @post("/{article_id:int}/feedback", status_code=200)
    async def feedback(self, request: Req, article_id: int, data: Feedback) -> ArticleOut:
        pool = request.app.state.pool
        out = await articles.get(pool, organization_of(request), article_id)
        await kb_usage.count(pool, [article_id], "helpful" if data.helpful else "not_helpful", today=_now().date())
        return out
