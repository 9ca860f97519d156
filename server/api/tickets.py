"""Ticket routes and the support lookup (thin: the services do the work)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.services import ticket_lookup, tickets, zh_gloss
from server.services.ticket_model import LookupIn, LookupOut, TicketClusterUpdate, TicketCreate, TicketOut, TicketPage

Request_ = Request[Any, Any, Any]
zh_gloss.warm()


class TicketController(Controller):
    path = "/api/0/projects/{project_id:int}"
    guards = [require_token]
    tags = ["tickets"]

    @post("/tickets", status_code=201)
    async def create_ticket(self, request: Request_, project_id: int, data: TicketCreate) -> TicketOut:
        """File a ticket; it is matched before the answer (``match``) or starts its own cluster."""
        return await tickets.create(request.app.state.pool, organization_of(request), project_id, data)

    @get("/tickets")
    async def list_tickets(
        self,
        request: Request_,
        project_id: int,
        cluster_id: int | None = Parameter(default=None, description="only tickets in this cluster"),
        status: str | None = Parameter(default=None, description="open, fix_available or closed"),
        customer: str | None = Parameter(default=None, description="only this customer's tickets"),
        version: str | None = Parameter(default=None, description="only tickets from this version"),
        limit: int = Parameter(default=50, ge=1, le=500),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> TicketPage:
        """A project's tickets, newest first, a page at a time."""
        return await tickets.list_page(request.app.state.pool, organization_of(request), project_id, cluster_id=cluster_id,
                                       status=status, customer=customer, version=version, cursor_value=cursor, limit=limit)

    @get("/tickets/{ticket_id:int}")
    async def get_ticket(self, request: Request_, project_id: int, ticket_id: int) -> TicketOut:
        return await tickets.get(request.app.state.pool, organization_of(request), project_id, ticket_id)

    @put("/tickets/{ticket_id:int}/cluster")
    async def set_ticket_cluster(self, request: Request_, project_id: int, ticket_id: int,
                                 data: TicketClusterUpdate) -> TicketOut:
        """Confirm the match (same cluster), correct it (another cluster), or record the article sent."""
        return await tickets.set_cluster(request.app.state.pool, organization_of(request), project_id, ticket_id, data)

    @post("/lookup", status_code=200)
    async def lookup(self, request: Request_, project_id: int, data: LookupIn) -> LookupOut:
        """Known or new, with up to ``limit`` clusters: fixed in which release, in the customer's version, articles."""
        return await ticket_lookup.lookup(request.app.state.pool, organization_of(request), project_id, data)
