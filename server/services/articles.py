"""Articles: create, read (a language version, rendered), save with conflict check, history, diff, restore.

Every save appends a revision; a save names the revision it started from and is refused
with ``Conflict`` when that version has moved on. Each language version is indexed in
the shared search engine (kind ``article``, ref id = the version's id).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from kb_link.articles import diff
from server.db import kb as kb_sql
from server.db import kb_links as links_sql
from server.db.search import Conn
from server.errors import Conflict, Invalid, NotFound
from server.services import cursor, search
from server.services.kb_models import (
    ArticleCreate,
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    ArticleUpdate,
    DiffOut,
    LinkOut,
    RevisionOut,
    RevisionPage,
    RevisionRestore,
)
from server.services.markdown import render

MAX_TITLE, MAX_BODY, MAX_TAGS = 300, 200_000, 30


def no_nul(field: str, *values: str | None) -> None:
    """PostgreSQL text cannot hold NUL; say so instead of failing in the database."""
    if any(v is not None and "\x00" in v for v in values):
        raise Invalid(f"{field} must not contain NUL characters", field)


def _check_text(title: str | None, body: str | None, language: str | None, tags: Sequence[str] | None) -> None:
    no_nul("title", title)
    no_nul("body", body)
    no_nul("tags", *(tags or ()))
    if title is not None and not title.strip():
        raise Invalid("title must not be empty", "title")
    if title is not None and len(title) > MAX_TITLE:
        raise Invalid(f"title is longer than {MAX_TITLE} characters", "title")
    if body is not None and len(body) > MAX_BODY:
        raise Invalid(f"body is longer than {MAX_BODY} characters", "body")
    if language is not None and not (2 <= len(language) <= 16 and language.replace("-", "").isalnum()):
        raise Invalid("language must be a language tag such as en, zh or zh-Hant", "language")
    if tags is not None and (len(tags) > MAX_TAGS or any(not t.strip() or len(t) > 50 for t in tags)):
        raise Invalid(f"tags: at most {MAX_TAGS}, each 1-50 characters", "tags")


async def _owner_id(conn: Conn, organization_id: int, owner: str | None) -> int | None:
    no_nul("owner", owner)
    if owner is None:
        return None
    found = await kb_sql.member_id(conn, organization_id, owner)
    if found is None:
        raise Invalid(f"owner {owner} is not a member of this organization", "owner")
    return found


async def reindex(conn: Conn, article_ids: Sequence[int]) -> None:
    """Refresh the search documents of these articles (archived ones leave the index)."""
    rows = await kb_sql.translations_for_index(conn, article_ids)
    live = [r for r in rows if r["status"] != "archived"]
    gone = [r["id"] for r in rows if r["status"] == "archived"]
    await search.index(conn, [
        search.Document(r["organization_id"], "article", r["id"], r["title"], r["body"],
                        " ".join(r["tags"]) + " " + r["linked"], visibility=r["visibility"], language=r["language"])
        for r in live
    ])
    for org in {r["organization_id"] for r in rows if r["id"] in gone}:
        await search.remove(conn, org, "article", gone)


async def create(conn: asyncpg.Connection, organization_id: int, data: ArticleCreate, *, author: str) -> ArticleOut:
    _check_text(data.title, data.body, data.language, data.tags)
    no_nul("summary", data.summary, data.author)
    async with conn.transaction():
        owner_id = await _owner_id(conn, organization_id, data.owner)
        article_id = await kb_sql.insert_article(conn, organization_id, owner_id, data.status, data.visibility,
                                                 sorted(set(data.tags)))
        await kb_sql.save_revision(conn, article_id, data.language, 1, data.title, data.body, data.summary,
                                   data.author or author)
        await reindex(conn, [article_id])
    return await get(conn, organization_id, article_id, data.language)


async def _article(conn: Conn, organization_id: int, article_id: int, lock: bool = False) -> asyncpg.Record:
    row = await kb_sql.article(conn, organization_id, article_id, lock=lock)
    if row is None:
        raise NotFound("article", article_id)
    return row


async def _translation(conn: Conn, article_id: int, language: str | None) -> asyncpg.Record:
    row = await kb_sql.translation(conn, article_id, language)
    if row is None:
        raise NotFound("article language version", f"{article_id}/{language}")
    return row


def _summary_fields(a: asyncpg.Record, title: str, language: str, revision: int) -> dict[str, object]:
    return dict(
        id=a["id"], title=title, language=language, languages=list(a["languages"]), revision=revision,
        status=a["status"], visibility=a["visibility"], tags=list(a["tags"]), owner=a["owner"], stale=a["stale"],
        created_at=a["created_at"], updated_at=a["updated_at"],
    )


async def links_of(conn: Conn, article_id: int) -> list[LinkOut]:
    return [LinkOut(**dict(r)) for r in await links_sql.links_of_article(conn, article_id)]


async def get(conn: Conn, organization_id: int, article_id: int, language: str | None = None) -> ArticleOut:
    a = await _article(conn, organization_id, article_id)
    t = await _translation(conn, article_id, language)
    return ArticleOut(
        **_summary_fields(a, t["title"], t["language"], t["revision"]),  # type: ignore[arg-type]
        body=t["body"], html=render(t["body"]), stale_reason=a["stale_reason"], links=await links_of(conn, article_id),
    )


async def update(conn: asyncpg.Connection, organization_id: int, article_id: int, data: ArticleUpdate, *,
                 author: str) -> ArticleOut:
    """Save one language version (a new one when ``language`` is new and ``base_revision`` is 0)."""
    _check_text(data.title, data.body, data.language, data.tags)
    no_nul("summary", data.summary, data.author)
    async with conn.transaction():
        a = await _article(conn, organization_id, article_id, lock=True)
        current = await kb_sql.translation(conn, article_id, data.language)
        if current is None and data.language is None:
            raise NotFound("article language version", article_id)
        language = data.language or current["language"]
        head = current["revision"] if current is not None else 0
        if data.base_revision != head:
            raise Conflict(f"article {article_id} ({language}) is at revision {head}, not {data.base_revision}:"
                           " reload it, merge your change and save again")
        if current is None and data.title is None:
            raise Invalid("a new language version needs a title", "title")
        title = data.title if data.title is not None else current["title"]
        body = data.body if data.body is not None else (current["body"] if current is not None else "")
        columns: dict[str, object] = {
            k: v for k, v in (("status", data.status), ("visibility", data.visibility)) if v is not None
        }
        if data.tags is not None:
            columns["tags"] = sorted(set(data.tags))
        if data.owner is not None:
            columns["owner_id"] = await _owner_id(conn, organization_id, data.owner)
        if data.verified:
            columns.update(stale=False, stale_reason=None, stale_at=None)
        await kb_sql.update_article(conn, article_id, **columns)
        if current is None or (title, body) != (current["title"], current["body"]):
            await kb_sql.save_revision(conn, article_id, language, head + 1, title, body, data.summary,
                                       data.author or author)
        await reindex(conn, [a["id"]])
    return await get(conn, organization_id, article_id, language)


async def archive(conn: asyncpg.Connection, organization_id: int, article_id: int) -> ArticleOut:
    async with conn.transaction():
        await _article(conn, organization_id, article_id, lock=True)
        await kb_sql.update_article(conn, article_id, status="archived")
        await reindex(conn, [article_id])
    return await get(conn, organization_id, article_id)


async def list_articles(
    conn: Conn, organization_id: int, *, status: str | None = None, visibility: str | None = None,
    tag: str | None = None, owner: str | None = None, language: str | None = None, cursor_: str | None = None,
    limit: int = 50,
) -> ArticlePage:
    key = cursor.decode(cursor_, 1)
    rows = await kb_sql.list_articles(conn, organization_id, status=status, visibility=visibility, tag=tag, owner=owner,
                                      language=language, before=key[0] if key else None, limit=limit)
    items = [ArticleSummary(**_summary_fields(r, r["title"], r["language"], r["revision"])) for r in rows]  # type: ignore[arg-type]
    return ArticlePage(items, cursor.encode(rows[-1]["id"]) if len(rows) == limit else None)


async def history(conn: Conn, organization_id: int, article_id: int, language: str | None = None,
                  cursor_: str | None = None, limit: int = 50) -> RevisionPage:
    await _article(conn, organization_id, article_id)
    t = await _translation(conn, article_id, language)
    key = cursor.decode(cursor_, 1)
    rows = await kb_sql.revisions(conn, article_id, t["language"], key[0] if key else None, limit)
    return RevisionPage([RevisionOut(**dict(r)) for r in rows],
                        cursor.encode(rows[-1]["revision"]) if len(rows) == limit else None)


async def _revision(conn: Conn, article_id: int, language: str, number: int) -> asyncpg.Record:
    row = await kb_sql.revision(conn, article_id, language, number)
    if row is None:
        raise NotFound("revision", f"{article_id}/{language}/{number}")
    return row


async def compare(conn: Conn, organization_id: int, article_id: int, a: int, b: int,
                  language: str | None = None) -> DiffOut:
    await _article(conn, organization_id, article_id)
    lang = (await _translation(conn, article_id, language))["language"]
    ra, rb = await _revision(conn, article_id, lang, a), await _revision(conn, article_id, lang, b)
    text = diff(f"# {ra['title']}\n\n{ra['body']}\n", f"# {rb['title']}\n\n{rb['body']}\n", f"revision {a}",
                f"revision {b}")
    return DiffOut(article_id, lang, a, b, ra["title"], rb["title"], text)


async def restore(conn: asyncpg.Connection, organization_id: int, article_id: int, number: int,
                  data: RevisionRestore, *, language: str | None, author: str) -> ArticleOut:
    """Make an old revision's text current again, as a new revision (history is never rewritten)."""
    no_nul("summary", data.summary, data.author)
    async with conn.transaction():
        await _article(conn, organization_id, article_id, lock=True)
        t = await _translation(conn, article_id, language)
        if data.base_revision is not None and data.base_revision != t["revision"]:
            raise Conflict(f"article {article_id} ({t['language']}) is at revision {t['revision']},"
                           f" not {data.base_revision}")
        old = await _revision(conn, article_id, t["language"], number)
        await kb_sql.save_revision(conn, article_id, t["language"], t["revision"] + 1, old["title"], old["body"],
                                   data.summary or f"restored revision {number}", data.author or author, number)
        await kb_sql.update_article(conn, article_id)
        await reindex(conn, [article_id])
    return await get(conn, organization_id, article_id, t["language"])


def text_diff(mine: tuple[str, str], theirs: tuple[str, str], mine_label: str, theirs_label: str) -> str:
    """A unified diff of two (title, body) texts, as revisions are compared: for a refused stale save."""
    return diff(f"# {theirs[0]}\n\n{theirs[1]}\n", f"# {mine[0]}\n\n{mine[1]}\n", theirs_label, mine_label)
