"""What the tickets and lookup API take and return (msgspec Structs, shared with the web pages)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from server.services.wire import Id


class WhyOut(msgspec.Struct, frozen=True):
    kind: Literal["frame", "message", "term", "ticket", "confirmed"]
    text: str


class ArticleRef(msgspec.Struct, frozen=True):
    id: int
    title: str


class CandidateOut(msgspec.Struct, frozen=True):
    """A cluster the ticket may be about, with what support needs to answer the customer."""

    cluster_id: int
    score: float
    why: list[WhyOut]
    status: str
    regressed_in: str | None
    fixed_in: str | None
    fix_in_your_version: bool | None
    articles: list[ArticleRef]
    event_count: int
    ticket_count: int
    title: str = ""


class LookupIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: str | None = None
    event_id: str | None = None
    version: str | None = None
    limit: int = 5


class LookupOut(msgspec.Struct, frozen=True):
    verdict: Literal["known", "new"]
    candidates: list[CandidateOut]


class TicketCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    subject: str
    body: str = ""
    customer: str | None = None
    version: str | None = None
    language: str | None = None
    external_ref: str | None = None
    created_at: dt.datetime | None = None


class TicketOut(msgspec.Struct, frozen=True):
    id: int
    cluster_id: int | None
    match: CandidateOut | None
    subject: str
    body: str
    customer: str | None
    version: str | None
    language: str
    external_ref: str | None
    status: str
    match_source: str
    article_id: int | None
    fix_version: str | None
    created_at: dt.datetime


class TicketPage(msgspec.Struct, frozen=True):
    tickets: list[TicketOut]
    next_cursor: str | None


class TicketListed(msgspec.Struct, frozen=True):
    """A ticket in the organization's list: which project it is in and its cluster's title."""

    ticket: TicketOut
    project_id: int
    cluster_title: str | None


class TicketOrgPage(msgspec.Struct, frozen=True):
    tickets: list[TicketListed]
    next_cursor: str | None


class TicketClusterUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An agent's word on a ticket: the right cluster (same one = confirm, another = correct), or the article sent."""

    cluster_id: Id | None = None
    article_id: Id | None = None
