"""Wire structs of the knowledge base (articles, revisions, links, usage, reports)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Status = Literal["draft", "published", "archived"]
Visibility = Literal["internal", "public"]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Revision = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class ArticleCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: str
    body: str = ""
    status: Status = "draft"
    visibility: Visibility = "internal"
    tags: list[str] = []
    language: str = "en"
    owner: str | None = None  # a member's email
    summary: str = "created"
    author: str | None = None


class ArticleUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A save of one language version; ``base_revision`` is the revision the edit started from (0: new language)."""

    base_revision: Revision
    title: str | None = None
    body: str | None = None
    status: Status | None = None
    visibility: Visibility | None = None
    tags: list[str] | None = None
    owner: str | None = None
    language: str | None = None
    summary: str = ""
    author: str | None = None
    verified: bool = False  # true: re-verified after a stale flag, which it clears


class RevisionRestore(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    base_revision: Revision | None = None
    summary: str | None = None
    author: str | None = None


class ArticleSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    title: str
    language: str
    languages: list[str]
    revision: int
    status: str
    visibility: str
    tags: list[str]
    owner: str | None
    stale: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class LinkOut(msgspec.Struct, frozen=True):
    article_id: int
    cluster_id: int
    project_id: int
    cluster_title: str
    affected: str | None
    fixed_in: str | None
    workaround: str | None
    linked_by: str
    linked_at: dt.datetime
    cluster_status: str
    resolved_in: str | None


class ArticleOut(ArticleSummary, frozen=True, kw_only=True):
    body: str
    html: str
    stale_reason: str | None
    links: list[LinkOut]


class ArticlePage(msgspec.Struct, frozen=True):
    articles: list[ArticleSummary]
    next_cursor: str | None


class RevisionOut(msgspec.Struct, frozen=True):
    revision: int
    language: str
    title: str
    summary: str
    author: str
    restored_from: int | None
    created_at: dt.datetime


class RevisionPage(msgspec.Struct, frozen=True):
    revisions: list[RevisionOut]
    next_cursor: str | None


class DiffOut(msgspec.Struct, frozen=True):
    article_id: int
    language: str
    a: int
    b: int
    title_a: str
    title_b: str
    diff: str


class ArticleHit(msgspec.Struct, frozen=True):
    id: int
    title: str
    language: str
    status: str
    visibility: str
    stale: bool
    score: float
    why: list[str]
    snippet: str


class ArticleHits(msgspec.Struct, frozen=True):
    articles: list[ArticleHit]
    next_cursor: str | None = None


class LinkCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cluster_id: Id
    affected: str | None = None
    fixed_in: str | None = None
    workaround: str | None = None
    linked_by: str | None = None


class FromCluster(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cluster_id: Id
    language: str = "en"
    owner: str | None = None
    author: str | None = None


class ClusterDraft(msgspec.Struct, frozen=True):
    """What a new article about a cluster starts from: its prefilled title and body."""

    cluster_id: int
    project_id: int
    cluster_title: str
    title: str
    body: str


class Feedback(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    helpful: bool


class ClusterHit(msgspec.Struct, frozen=True):
    cluster_id: int
    project_id: int | None
    title: str
    score: float
    why: list[str]


class ClusterHits(msgspec.Struct, frozen=True):
    clusters: list[ClusterHit]
    next_cursor: str | None = None
