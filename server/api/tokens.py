"""Token routes (``admin`` scope): list, create, revoke the organization's API tokens."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.params import Parameter

from server.api.auth import caller, require_token
from server.services import tokens
from server.services.tokens import TokenCreate, TokenCreated, TokenOut, TokensPage
from server.services.wire import DEFAULT_LIMIT, MAX_LIMIT

Request_ = Request[Any, Any, Any]


class TokenController(Controller):
    path = "/api/0/tokens"
    guards = [require_token]
    opt = {"scope": "admin"}
    tags = ["tokens"]

    @get("/")
    async def list_tokens(
        self,
        request: Request_,
        limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
    ) -> TokensPage:
        """The organization's tokens, oldest first (secrets are never shown again)."""
        pool, org = caller(request)
        return await tokens.list_tokens(pool, org, limit=limit, cursor_=cursor)

    @post("/")
    async def create_token(self, request: Request_, data: TokenCreate) -> TokenCreated:
        """A new token for this organization; ``token`` is the secret, shown only in this answer."""
        pool, org = caller(request)
        return await tokens.create(pool, org, data)

    @delete("/{token_id:int}", status_code=200)
    async def revoke_token(self, request: Request_, token_id: int) -> TokenOut:
        """Revoke a token at once (it stays listed, ``active: false``)."""
        pool, org = caller(request)
        return await tokens.revoke(pool, org, token_id)
