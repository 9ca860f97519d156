"""The shared search engine on a real PostgreSQL created with the C locale (as an embedded one may start).

A table of English, Chinese and mixed queries, each with the article it must find first;
scope filters; explanations; re-indexing and removal.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from dedupe.text import query_terms, terms
from server.database import connect
from server.db import tenancy
from server.migrate import migrate
from server.services import search
from tests.server.kb_search_table import ARTICLES, QUERIES
from tests.support import with_database

KEYS = list(ARTICLES)


async def _c_locale_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    finally:
        await conn.close()


async def _setup(url: str) -> tuple[int, int]:
    conn = await connect(url)
    try:
        await migrate(conn)
        assert await conn.fetchval("SELECT datctype FROM pg_database WHERE datname = current_database()") == "C"
        org = await tenancy.ensure_organization(conn, "acme")
        other = await tenancy.ensure_organization(conn, "other")
        docs = [
            search.Document(org, "article", i + 1, title, body, " ".join(tags), project_id=None,
                            visibility="public" if lang == "en" else "internal", language=lang)
            for i, (lang, title, body, tags) in enumerate(ARTICLES.values())
        ]
        # The same texts in another organization must never show up in acme's results.
        docs += [search.Document(other, "article", 1000 + i, d.title, d.body) for i, d in enumerate(docs)]
        # A cluster with an article's words: another kind, not returned by an article search.
        docs.append(search.Document(org, "cluster", 1, "NullPointerException in MainActivity.onCreate", project_id=7))
        await search.index(conn, docs)
        return org, other
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def c_db(pg_admin_url: str) -> Iterator[tuple[str, int, int]]:
    name = f"crashdesk_test_c_{uuid.uuid4().hex[:10]}"
    asyncio.run(_c_locale_database(pg_admin_url, name))
    url = with_database(pg_admin_url, name)
    org, other = asyncio.run(_setup(url))
    yield url, org, other

    async def drop() -> None:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def _search(url: str, org: int, q: str, **kw: object) -> list[search.SearchHit]:
    async def go() -> list[search.SearchHit]:
        conn = await connect(url)
        try:
            return await search.search(conn, org, kw.pop("kind", "article"), q, **kw)  # type: ignore[arg-type]
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_query_finds_its_article_first(c_db: tuple[str, int, int], query: str, expected: str) -> None:
    url, org, _ = c_db
    hits = _search(url, org, query)
    assert hits, f"nothing found for {query!r}"
    assert KEYS[hits[0].ref_id - 1] == expected, [(KEYS[h.ref_id - 1], h.score, h.why) for h in hits[:3]]
    assert hits[0].why and all(h.ref_id < 1000 for h in hits)


def test_hits_say_which_terms_matched(c_db: tuple[str, int, int]) -> None:
    url, org, _ = c_db
    hit = _search(url, org, "支付页面报 IllegalStateException")[0]
    assert "illegalstateexception" in hit.why and "支付" in hit.why
    assert "IllegalStateException" in hit.snippet


def test_filters_scope_the_search(c_db: tuple[str, int, int]) -> None:
    url, org, other = c_db
    assert _search(url, org, "startup", language="zh") == []
    assert {h.language for h in _search(url, org, "NullPointerException", language="en")} == {"en"}
    assert [h.ref_id for h in _search(url, org, "闪退", visibility="internal")][:1] == [KEYS.index("zh-pay-crash") + 1]
    assert _search(url, org, "闪退", visibility="public") == []
    assert [h.kind for h in _search(url, org, "NullPointerException", kind="cluster", project_id=7)] == ["cluster"]
    assert _search(url, org, "NullPointerException", kind="cluster", project_id=8) == []
    assert all(h.ref_id >= 1000 for h in _search(url, other, "NullPointerException"))


def test_nothing_to_search_for_returns_nothing(c_db: tuple[str, int, int]) -> None:
    url, org, _ = c_db
    assert _search(url, org, "   ") == []
    assert _search(url, org, "the of and") == []
    assert _search(url, org, "zebra quantum xylophone") == []


def test_reindex_replaces_and_remove_forgets(c_db: tuple[str, int, int]) -> None:
    url, org, _ = c_db

    async def go() -> None:
        conn = await connect(url)
        try:
            await search.index(conn, [search.Document(org, "ticket", 5, "Printer jams", "paper jam on tray 2")])
            await search.index(conn, [search.Document(org, "ticket", 5, "Scanner is slow", "")])
            assert [h.ref_id for h in await search.search(conn, org, "ticket", "scanner")] == [5]
            assert await search.search(conn, org, "ticket", "printer jam") == []
            await search.remove(conn, org, "ticket", [5])
            assert await search.search(conn, org, "ticket", "scanner") == []
        finally:
            await conn.close()

    asyncio.run(go())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("App crashes on startup", ["app", "crash", "startup"]),
        ("requests.exceptions.ConnectionError", ["requests.exceptions.connectionerror", "request", "except",
                                                 "connectionerror", "connect", "error"]),
        ("on_create failed", ["on_create", "creat", "fail"]),
        ("支付页面闪退", ["支付", "页面", "闪退"]),
        ("Ｃａｆé 崩溃 NullPointerException", ["cafe", "崩溃", "nullpointerexception", "null", "pointer", "except"]),
        ("缓慢MemoryError上传", ["缓慢", "memoryerror", "memori", "error", "上传"]),
        ("ошибка ConnectionError", ["ошибка", "connectionerror", "connect", "error"]),
    ],
)
def test_tokenizer(text: str, expected: list[str]) -> None:
    assert list(query_terms(text)) == expected


def test_tokenizer_keeps_code_names_whole() -> None:
    parsed = terms("see MainActivity.onCreate and SyncConflictError error")
    assert parsed.code == ("mainactivity.oncreate", "syncconflicterror")
    assert "error" not in parsed.parts and {"sync", "conflict", "mainactivity"} <= set(parsed.parts)
