"""Articles as markdown files with YAML front matter, the shape help-centre exports take.

One file per language version. Front matter: ``title`` (required), ``id`` (the export's
article id: files sharing it are language versions of one article, and a re-import
updates that article instead of adding another), ``language`` (or ``locale``),
``status``, ``visibility``, ``tags``, ``owner``. Without ``id`` the file name without
its language suffix (``reset-password.zh.md`` -> ``reset-password``) is the id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import frontmatter
import msgspec
import yaml

from server.errors import Invalid

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")
_STATUS_ALIASES = {"current": "published", "wip": "draft", "work in progress": "draft", "validated": "published"}
_LANG_SUFFIX = re.compile(r"^(?P<stem>.+?)\.(?P<lang>[a-z]{2}(?:-[A-Za-z]{2,4})?)$")


class ArticleFile(msgspec.Struct, frozen=True):
    key: str
    title: str
    body: str
    language: str
    status: str
    visibility: str
    tags: list[str]
    owner: str | None


def parse(text: str, filename: str) -> ArticleFile:
    """The article a file holds; ``Invalid`` says what is wrong with it."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise Invalid(f"front matter is not valid YAML: {str(exc).splitlines()[0]}", "front matter") from None
    meta: dict[str, Any] = dict(post.metadata)
    stem = filename.rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".markdown")
    m = _LANG_SUFFIX.match(stem)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Invalid("front matter has no title", "title")
    language = str(meta.get("language") or meta.get("locale") or (m.group("lang") if m else "en"))
    status = str(meta.get("status", "published")).lower()
    status = _STATUS_ALIASES.get(status, status)
    if status not in STATUSES:
        raise Invalid(f"status {status!r} is not one of {', '.join(STATUSES)}", "status")
    visibility = str(meta.get("visibility", "internal")).lower()
    if visibility not in VISIBILITIES:
        raise Invalid(f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}", "visibility")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) for t in tags):
        raise Invalid("tags must be a list of words", "tags")
    key = str(meta.get("id") or (m.group("stem") if m else stem))
    owner = meta.get("owner")
    return ArticleFile(key, title.strip(), post.content, language, status, visibility, [str(t) for t in tags],
                       str(owner) if owner else None)


def render(
    *, key: str, title: str, body: str, language: str, status: str, visibility: str, tags: Sequence[str],
    owner: str | None, revision: int, updated_at: dt.datetime,
) -> str:
    """A file that ``parse`` reads back to the same article."""
    meta = {"id": key, "title": title, "language": language, "status": status, "visibility": visibility,
            "tags": list(tags), "revision": revision, "updated_at": updated_at.isoformat()}
    if owner:
        meta["owner"] = owner
    return frontmatter.dumps(frontmatter.Post(body, **meta), sort_keys=False) + "\n"


async def import_one(conn: Any, organization_id: int, item: ArticleFile) -> tuple[int, str]:
    """Create the article, add a language version, or save a changed one; (article id, what happened)."""
    from server.db import kb as kb_sql
    from server.services import articles
    from server.services.kb_models import ArticleCreate, ArticleUpdate

    async with conn.transaction():
        article_id = await kb_sql.by_import_key(conn, organization_id, item.key)
        if article_id is None:
            made = await articles.create(conn, organization_id, ArticleCreate(
                title=item.title, body=item.body, status=item.status, visibility=item.visibility,  # type: ignore[arg-type]
                tags=item.tags, language=item.language, owner=item.owner, summary="imported"), author="import")
            await kb_sql.update_article(conn, made.id, import_key=item.key)
            return made.id, "created"
        current = await kb_sql.translation(conn, article_id, item.language)
        if current is not None and (current["title"], current["body"]) == (item.title, item.body):
            return article_id, "unchanged"
        await articles.update(conn, organization_id, article_id, ArticleUpdate(
            base_revision=current["revision"] if current is not None else 0, title=item.title, body=item.body,
            status=item.status, visibility=item.visibility, tags=item.tags, owner=item.owner,  # type: ignore[arg-type]
            language=item.language, summary="imported"), author="import")
        return article_id, "updated" if current is not None else "language added"
