"""Helpers of the knowledge-base and portal browser tests: articles and clusters made by the real services."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from server.services import articles
from server.services.kb_models import ArticleCreate
from tests.support import cli
from tests.web.support import Site, run

TRACEBACK = """Traceback (most recent call last):
  File "/srv/shop/checkout.py", line 88, in apply_coupon
    discount = coupons[code].percent
KeyError: '{code}'
"""




def project(site: Site, org: str, slug: str) -> int:
    """A project made by the CLI (the organization too, when it is new)."""
    return int(cli(site.database_url, "createproject", org, slug, "--create-org")["project_id"])


async def _org_id(conn: Any, slug: str) -> int:
    return int(await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", slug))


def cluster_from_ticket(site: Site, org: str, project_id: int, subject: str, code: str) -> int:
    """A cluster made the way a support tool makes one: a ticket with a pasted traceback, posted to the tickets API."""
    token = cli(site.database_url, "token", "create", org, "--scope", "write", "--label", "kb tests")["token"]
    answer = httpx.post(site.url(f"/api/0/projects/{project_id}/tickets"), headers={"Authorization": f"Bearer {token}"},
                        json={"subject": subject, "body": TRACEBACK.format(code=code), "language": "en"}, timeout=30)
    assert answer.status_code == 201, answer.text
    cluster_id = answer.json()["cluster_id"]
    assert cluster_id is not None
    return int(cluster_id)


def article(site: Site, org: str, title: str, body: str, *, status: str = "published", visibility: str = "public",
            language: str = "en", tags: list[str] | None = None) -> int:
    """An article saved through the articles service (as the API does)."""

    async def go() -> int:
        conn = await asyncpg.connect(site.database_url)
        try:
            out = await articles.create(conn, await _org_id(conn, org), ArticleCreate(
                title=title, body=body, status=status, visibility=visibility, language=language,  # type: ignore[arg-type]
                tags=tags or []), author="test")
            return out.id
        finally:
            await conn.close()

    return int(run(go()))


def query(site: Site, sql: str, *args: Any) -> Any:
    """One value read straight from the database, to check what a page did (never to set up state)."""

    async def go() -> Any:
        conn = await asyncpg.connect(site.database_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    return run(go())
