"""What a ticket's page shows: the ticket, its cluster as support sees it, the fix and the history.

The cluster is described by the lookup's own ``describe`` (status, fixed-in release, whether the
ticket's version has the fix, articles), so the page and the desk never disagree.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from dedupe.ticket_match import Ranked
from server.db import ticket_history
from server.db.search import Conn
from server.services import tickets
from server.services.ticket_lookup import describe
from server.services.ticket_model import CandidateOut, TicketOut


class HistoryStep(msgspec.Struct, frozen=True):
    at: dt.datetime
    kind: str  # auto | new | confirmed | corrected | article | fix_available
    cluster_id: int | None
    article_id: int | None
    article_title: str | None
    version: str | None
    actor: str | None


class TicketDetail(msgspec.Struct, frozen=True):
    ticket: TicketOut
    project_id: int
    cluster: CandidateOut | None
    upgrade_to: str | None  # the version with the fix, when the ticket's version lacks it
    history: list[HistoryStep]


def upgrade_to(ticket: TicketOut, cluster: CandidateOut | None) -> str | None:
    """The fix is available when the ticket was told so, or its cluster is resolved in a version newer
    than the ticket's (the lookup's ``fix_in_your_version`` is false)."""
    if ticket.status == "fix_available" and ticket.fix_version:
        return ticket.fix_version
    if cluster is not None and cluster.fixed_in and cluster.fix_in_your_version is False:
        return cluster.fixed_in
    return None


async def detail(pool: Conn, organization_id: int, project_id: int, ticket_id: int) -> TicketDetail:
    ticket = await tickets.get(pool, organization_id, project_id, ticket_id)  # 404 outside the organization
    cluster = None
    if ticket.cluster_id is not None:
        found = await describe(pool, project_id, [Ranked(ticket.cluster_id, 1.0, (), ("agent",))], ticket.version)
        cluster = found[0] if found else None
    steps = [HistoryStep(r["at"], r["kind"], r["cluster_id"], r["article_id"], r["article_title"], r["version"], r["actor"])
             for r in await ticket_history.of_ticket(pool, ticket_id)]
    if not steps:  # filed before histories were kept: what the ticket itself says
        steps = [HistoryStep(ticket.created_at, ticket.match_source, ticket.cluster_id, None, None, None, None)]
    return TicketDetail(ticket, project_id, cluster, upgrade_to(ticket, cluster), steps)
