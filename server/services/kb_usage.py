"""Article search as users see it (one hit per article, usage counted, empty searches kept as
knowledge gaps) and the reports that show where the knowledge base is weak."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from dedupe.text import fold
from server.db import kb as kb_sql
from server.db import kb_usage as usage_sql
from server.db.search import Conn
from server.services import search
from server.services.kb_models import ArticleHit, ArticleHits

ReportName = Literal["most-used", "never-used", "poor-feedback", "knowledge-gaps", "stale"]
REPORTS: tuple[str, ...] = ("most-used", "never-used", "poor-feedback", "knowledge-gaps", "stale")


class ArticleUsage(msgspec.Struct, frozen=True):
    id: int
    title: str | None
    status: str
    owner: str | None
    views: int
    search_hits: int
    helpful: int
    not_helpful: int
    links: int
    stale: bool
    stale_reason: str | None


class SearchGap(msgspec.Struct, frozen=True):
    query: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


class UncoveredCluster(msgspec.Struct, frozen=True):
    id: int
    project_id: int
    title: str
    status: str
    event_count: int
    user_count: int
    last_seen: dt.datetime


class Report(msgspec.Struct, frozen=True):
    report: str
    days: int
    articles: list[ArticleUsage] = []
    searches: list[SearchGap] = []
    clusters: list[UncoveredCluster] = []


async def count(conn: Conn, article_ids: Sequence[int], counter: str, *, today: dt.date) -> None:
    if article_ids:
        await usage_sql.count(conn, article_ids, counter, today)


async def search_articles(
    conn: Conn, organization_id: int, q: str, *, language: str | None = None, visibility: str | None = None,
    limit: int = 20, record: bool = True, today: dt.date | None = None, published_only: bool = False,
) -> ArticleHits:
    """Best language version of each matching article, best first; records hits or the gap.

    ``published_only`` (the public portal) leaves drafts out before anything is counted.
    """
    hits = await search.search(conn, organization_id, "article", q, visibility=visibility, language=language,
                               limit=limit + 10)
    rows = {r["translation_id"]: r for r in await kb_sql.articles_of_translations(conn, organization_id,
                                                                                   [h.ref_id for h in hits])}
    out: list[ArticleHit] = []
    seen: set[int] = set()
    for h in hits:
        row = rows.get(h.ref_id)
        if row is None or row["id"] in seen or row["status"] == "archived":
            continue
        if published_only and row["status"] != "published":
            continue
        seen.add(row["id"])
        out.append(ArticleHit(row["id"], h.title, row["language"], row["status"], row["visibility"], row["stale"],
                              h.score, h.why, h.snippet))
        if len(out) == limit:
            break
    if record:
        day = today or dt.datetime.now(dt.UTC).date()
        if out:
            await usage_sql.count(conn, [a.id for a in out], "search_hits", day)
        elif fold(q).strip():
            await usage_sql.record_gap(conn, organization_id, " ".join(fold(q).lower().split())[:500])
    return ArticleHits(out)


def _usage(rows: Sequence[Any]) -> list[ArticleUsage]:
    return [ArticleUsage(**{f: r[f] for f in ArticleUsage.__struct_fields__}) for r in rows]


async def report(conn: Conn, organization_id: int, name: str, *, days: int, limit: int, now: dt.datetime) -> Report:
    since = (now - dt.timedelta(days=days)).date()
    if name == "most-used":
        return Report(name, days, articles=_usage(await usage_sql.most_used(conn, organization_id, since, limit)))
    if name == "never-used":
        return Report(name, days, articles=_usage(await usage_sql.never_used(conn, organization_id, since, limit)))
    if name == "poor-feedback":
        return Report(name, days, articles=_usage(await usage_sql.poor_feedback(conn, organization_id, since, limit)))
    if name == "stale":
        return Report(name, days, articles=_usage(await usage_sql.stale(conn, organization_id, since, limit)))
    gaps = await usage_sql.search_gaps(conn, organization_id, since, limit)
    clusters = await usage_sql.uncovered_clusters(conn, organization_id, limit)
    return Report(name, days, searches=[SearchGap(**dict(r)) for r in gaps],
                  clusters=[UncoveredCluster(**dict(r)) for r in clusters])
