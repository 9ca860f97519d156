"""The article editor's form: what was typed, read back from a post, so a refused save loses nothing."""

from __future__ import annotations

from typing import cast

import msgspec

from server.errors import Invalid
from server.services.kb_models import ArticleCreate, ArticleUpdate, Status, Visibility

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """The editor's fields as typed (or as loaded from the article)."""

    title: str = ""
    body: str = ""
    status: str = "draft"
    visibility: str = "internal"
    tags: str = ""  # comma separated, as typed
    language: str = "en"
    base_revision: int = 0
    summary: str = ""
    cluster_id: int | None = None  # a new article about this cluster is linked to it on save

    def tag_list(self) -> list[str]:
        return sorted({t.strip() for t in self.tags.split(",") if t.strip()})

    def create(self) -> ArticleCreate:
        return ArticleCreate(title=self.title, body=self.body, status=self._status(), visibility=self._visibility(),
                             tags=self.tag_list(), language=self.language, summary=self.summary or "created")

    def update(self) -> ArticleUpdate:
        return ArticleUpdate(base_revision=self.base_revision, title=self.title, body=self.body, status=self._status(),
                             visibility=self._visibility(), tags=self.tag_list(), language=self.language,
                             summary=self.summary)

    def _status(self) -> Status:
        if self.status not in STATUSES:
            raise Invalid("status must be draft, published or archived", "status")
        return cast(Status, self.status)

    def _visibility(self) -> Visibility:
        if self.visibility not in VISIBILITIES:
            raise Invalid("visibility must be internal or public", "visibility")
        return cast(Visibility, self.visibility)


def _int(value: str, name: str) -> int:
    try:
        number = int(value or "0")
    except ValueError:
        raise Invalid(f"field {name!r} must be a whole number", name) from None
    if not 0 <= number <= 2**31 - 1:
        raise Invalid(f"field {name!r} is out of range", name)
    return number


def draft_of(form: dict[str, str]) -> Draft:
    """The posted editor fields (kept whole, also when they are about to be refused)."""
    cluster = form.get("cluster_id", "").strip()
    return Draft(
        title=form.get("title", "")[:1000], body=form.get("body", "")[:250_000].replace("\r\n", "\n"),
        status=form.get("status", "draft"), visibility=form.get("visibility", "internal"),
        tags=form.get("tags", "")[:2000], language=(form.get("language", "").strip() or "en")[:16],
        base_revision=_int(form.get("base_revision", "0"), "base_revision"), summary=form.get("summary", "")[:500],
        cluster_id=_int(cluster, "cluster_id") or None if cluster else None,
    )
