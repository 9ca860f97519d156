"""``/api/0/webhooks/``: the organization's outgoing webhooks and each one's delivery log."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from server.api.auth import organization_of, require_token
from server.services import webhooks
from server.services.webhooks import DeliveryPage, WebhookCreate, WebhookOut, WebhookPage

Req = Request[Any, Any, Any]


class WebhookController(Controller):
    path = "/api/0/webhooks"
    guards = [require_token]

    @post("/", opt={"scope": "admin"})
    async def create(self, request: Req, data: WebhookCreate) -> WebhookOut:
        """The secret is in this answer only; keep it to verify ``Crashdesk-Signature``."""
        allow = request.app.state.settings.webhook_allow_private
        return await webhooks.create(request.app.state.pool, organization_of(request), data, allow_private=allow)

    @get("/")
    async def list_hooks(self, request: Req) -> WebhookPage:
        return await webhooks.list_hooks(request.app.state.pool, organization_of(request))

    @get("/{hook_id:int}")
    async def read(self, request: Req, hook_id: int) -> WebhookOut:
        return await webhooks.get(request.app.state.pool, organization_of(request), hook_id)

    @post("/{hook_id:int}/deactivate", status_code=200, opt={"scope": "admin"})
    async def deactivate(self, request: Req, hook_id: int) -> WebhookOut:
        return await webhooks.deactivate(request.app.state.pool, organization_of(request), hook_id)

    @get("/{hook_id:int}/deliveries")
    async def deliveries(
        self, request: Req, hook_id: int, cursor: str | None = None, limit: int = Parameter(default=50, ge=1, le=500)
    ) -> DeliveryPage:
        return await webhooks.deliveries(request.app.state.pool, organization_of(request), hook_id, cursor, limit)
