"""SQL of knowledge-base articles: articles, their language versions, and append-only revisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from server.db.search import Conn

_ARTICLE = (
    "a.id, a.organization_id, a.status, a.visibility, a.tags, a.stale, a.stale_reason, a.stale_at, a.created_at,"
    " a.updated_at, u.email AS owner,"
    " ARRAY(SELECT language FROM kb_translations x WHERE x.article_id = a.id ORDER BY x.id) AS languages"
)
_FROM = " FROM kb_articles a LEFT JOIN users u ON u.id = a.owner_id"


async def member_id(conn: Conn, organization_id: int, email: str) -> int | None:
    return await conn.fetchval(
        "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = $1 AND u.email = $2",
        organization_id, email,
    )


async def insert_article(
    conn: Conn, organization_id: int, owner_id: int | None, status: str, visibility: str, tags: Sequence[str]
) -> int:
    return await conn.fetchval(
        "INSERT INTO kb_articles (organization_id, owner_id, status, visibility, tags) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id",
        organization_id, owner_id, status, visibility, list(tags),
    )


async def update_article(conn: Conn, article_id: int, **columns: Any) -> None:
    if not columns:
        await conn.execute("UPDATE kb_articles SET updated_at = now() WHERE id = $1", article_id)
        return
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
    await conn.execute(f"UPDATE kb_articles SET {sets}, updated_at = now() WHERE id = $1", article_id, *columns.values())


async def article(conn: Conn, organization_id: int, article_id: int, *, lock: bool = False) -> asyncpg.Record | None:
    if lock:
        await conn.execute("SELECT 1 FROM kb_articles WHERE id = $1 AND organization_id = $2 FOR UPDATE", article_id,
                           organization_id)
    return await conn.fetchrow(f"SELECT {_ARTICLE}{_FROM} WHERE a.id = $1 AND a.organization_id = $2", article_id,
                               organization_id)


async def translation(conn: Conn, article_id: int, language: str | None) -> asyncpg.Record | None:
    """The named language version, or (``language`` None) the first one written."""
    return await conn.fetchrow(
        "SELECT id, language, title, body, revision, updated_at FROM kb_translations WHERE article_id = $1"
        " AND ($2::text IS NULL OR language = $2) ORDER BY id LIMIT 1",
        article_id, language,
    )


async def save_revision(
    conn: Conn, article_id: int, language: str, revision: int, title: str, body: str, summary: str, author: str,
    restored_from: int | None = None,
) -> int:
    """Append revision ``revision`` and make it the language version's current text; returns the translation id."""
    await conn.execute(
        "INSERT INTO kb_revisions (article_id, language, revision, title, body, summary, author, restored_from)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        article_id, language, revision, title, body, summary, author, restored_from,
    )
    return await conn.fetchval(
        "INSERT INTO kb_translations (article_id, language, title, body, revision) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (article_id, language) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,"
        " revision = EXCLUDED.revision, updated_at = now() RETURNING id",
        article_id, language, title, body, revision,
    )


async def revisions(conn: Conn, article_id: int, language: str, before: int | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT revision, language, title, summary, author, restored_from, created_at FROM kb_revisions"
        " WHERE article_id = $1 AND language = $2 AND ($3::int IS NULL OR revision < $3)"
        " ORDER BY revision DESC LIMIT $4",
        article_id, language, before, limit,
    )


async def revision(conn: Conn, article_id: int, language: str, number: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT revision, language, title, body, summary, author, restored_from, created_at FROM kb_revisions"
        " WHERE article_id = $1 AND language = $2 AND revision = $3",
        article_id, language, number,
    )


async def list_articles(
    conn: Conn, organization_id: int, *, status: str | None, visibility: str | None, tag: str | None,
    owner: str | None, language: str | None, before: int | None, limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_ARTICLE}, t.title, t.revision, t.language{_FROM}"
        " JOIN LATERAL (SELECT title, revision, language FROM kb_translations x WHERE x.article_id = a.id"
        "   AND ($6::text IS NULL OR x.language = $6) ORDER BY x.id LIMIT 1) t ON true"
        " WHERE a.organization_id = $1 AND ($2::text IS NULL OR a.status = $2)"
        " AND ($3::text IS NULL OR a.visibility = $3) AND ($4::text IS NULL OR a.tags @> ARRAY[$4])"
        " AND ($5::text IS NULL OR u.email = $5) AND ($7::bigint IS NULL OR a.id < $7)"
        " ORDER BY a.id DESC LIMIT $8",
        organization_id, status, visibility, tag, owner, language, before, limit,
    )


async def translations_for_index(conn: Conn, article_ids: Sequence[int]) -> list[asyncpg.Record]:
    """What the search index holds of these articles' language versions: with the linked clusters' words
    (engineers') and the words of the tickets the article answered (customers')."""
    return await conn.fetch(
        "SELECT t.id, t.article_id, t.language, t.title, t.body, a.organization_id, a.visibility, a.status, a.tags,"
        " coalesce((SELECT string_agg(concat_ws(' ', c.title, c.culprit, l.workaround), ' ')"
        "   FROM kb_article_clusters l JOIN clusters c ON c.id = l.cluster_id WHERE l.article_id = a.id), '')"
        " || ' ' || coalesce((SELECT string_agg(k.subject || ' ' || left(k.body, 300), ' ') FROM (SELECT subject, body"
        "   FROM tickets WHERE article_id = a.id ORDER BY id DESC LIMIT 20) k), '') AS linked"
        " FROM kb_translations t JOIN kb_articles a ON a.id = t.article_id WHERE t.article_id = ANY($1::bigint[])",
        list(article_ids),
    )


async def articles_of_translations(conn: Conn, organization_id: int, translation_ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT t.id AS translation_id, a.id, a.status, a.visibility, a.stale, t.language FROM kb_translations t"
        " JOIN kb_articles a ON a.id = t.article_id WHERE a.organization_id = $1 AND t.id = ANY($2::bigint[])",
        organization_id, list(translation_ids),
    )


async def by_import_key(conn: Conn, organization_id: int, key: str) -> int | None:
    return await conn.fetchval("SELECT id FROM kb_articles WHERE organization_id = $1 AND import_key = $2",
                               organization_id, key)


async def export_rows(conn: Conn, organization_id: int) -> list[asyncpg.Record]:
    """Every language version of every article, for ``crashdesk kb export``."""
    return await conn.fetch(
        "SELECT a.id, coalesce(a.import_key, a.id::text) AS key, a.status, a.visibility, a.tags, u.email AS owner,"
        " t.language, t.title, t.body, t.revision, t.updated_at FROM kb_articles a"
        " JOIN kb_translations t ON t.article_id = a.id LEFT JOIN users u ON u.id = a.owner_id"
        " WHERE a.organization_id = $1 ORDER BY a.id, t.id",
        organization_id,
    )
