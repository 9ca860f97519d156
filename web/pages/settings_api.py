"""Settings, API tokens and webhooks tabs (admin only): create, list, revoke or deactivate, delivery log.

A token's or hook's secret is in the answer to the POST that made it and nowhere else (only its
hash, or the hook row, is kept); reloading the list never shows it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post

from server.errors import Invalid
from server.services import tokens, webhooks
from web.forms import field, form_of
from web.pages.settings import admin, translate, when
from web.render import redirect, render
from web.session import pool

Request_ = Request[Any, Any, Any]
SCOPES = ("read", "write", "admin")
EXPIRIES = ("", "1d", "30d", "90d", "365d")  # "" is never
TRANSLATED = [
    "read", "write", "active", "revoked", "expired", "inactive", "pending", "delivered", "failed",
    "never", "1 day", "30 days", "90 days", "365 days",
    "choose a scope: read, write or admin", "choose an expiry from the list",
]
EXPIRY_NAMES = {"": "never", "1d": "1 day", "30d": "30 days", "90d": "90 days", "365d": "365 days"}


def _token_row(t: tokens.TokenOut) -> dict[str, Any]:
    state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
    return {"id": t.id, "label": t.label, "scopes": t.scopes, "state": state, "created": when(t.created_at),
            "expires": when(t.expires_at), "last_used": when(t.last_used_at)}


async def _tokens_page(request: Request_, org_id: int, *, cursor: str | None = None, status: int = 200,
                       error: str | None = None, made: tokens.TokenCreated | None = None) -> Response[Any]:
    page = await tokens.list_tokens(pool(request), org_id, limit=100, cursor_=cursor)
    return render(request, "settings/tokens.html", status=status, tab="tokens", error=error, scopes=SCOPES,
                  expiries=EXPIRY_NAMES, made=made, tokens=[_token_row(t) for t in page.tokens],
                  next_cursor=page.next_cursor)


@get("/o/{org_slug:str}/settings/tokens")
async def tokens_page(request: Request_, org_slug: str, cursor: str | None = None) -> Response[Any]:
    _, m = await admin(request, org_slug)
    return await _tokens_page(request, m.organization_id, cursor=cursor)


@post("/o/{org_slug:str}/settings/tokens")
async def create_token(request: Request_, org_slug: str) -> Response[Any]:
    _, m = await admin(request, org_slug)
    form = await form_of(request)
    scope, expiry = form.get("scope", ""), form.get("expires", "")
    try:
        if scope not in SCOPES:
            raise Invalid("choose a scope: read, write or admin", "scope")
        if expiry not in EXPIRY_NAMES:
            raise Invalid("choose an expiry from the list", "expires")
        expires_at = tokens.parse_expiry(expiry, dt.datetime.now(dt.UTC)) if expiry else None
        label = field(form, "label", required=False, max_length=200)
        new = tokens.TokenCreate(scopes=[scope], label=label, expires_at=expires_at)  # type: ignore[list-item]
        made = await tokens.create(pool(request), m.organization_id, new)
    except Invalid as exc:
        return await _tokens_page(request, m.organization_id, status=400, error=exc.detail)
    return await _tokens_page(request, m.organization_id, made=made)


@post("/o/{org_slug:str}/settings/tokens/{token_id:int}/revoke")
async def revoke_token(request: Request_, org_slug: str, token_id: int) -> Response[Any]:
    _, m = await admin(request, org_slug)
    await tokens.revoke(pool(request), m.organization_id, token_id)
    _ = translate(request)
    return redirect(request, f"/o/{m.slug}/settings/tokens", flash=_("Token revoked; it no longer works."))


async def _hooks_page(request: Request_, org_id: int, *, status: int = 200, error: str | None = None,
                      made: webhooks.WebhookOut | None = None, url: str = "", chosen: tuple[str, ...] = ()) -> Response[Any]:
    page = await webhooks.list_hooks(pool(request), org_id)
    hooks = [{"id": h.id, "url": h.url, "events": h.events, "active": h.active, "created": when(h.created_at)}
             for h in page.webhooks]
    return render(request, "settings/webhooks.html", status=status, tab="webhooks", error=error, made=made,
                  hooks=hooks, event_types=webhooks.EVENT_TYPES, url=url, chosen=chosen)


@get("/o/{org_slug:str}/settings/webhooks")
async def hooks_page(request: Request_, org_slug: str) -> Response[Any]:
    _, m = await admin(request, org_slug)
    return await _hooks_page(request, m.organization_id)


@post("/o/{org_slug:str}/settings/webhooks")
async def create_hook(request: Request_, org_slug: str) -> Response[Any]:
    _, m = await admin(request, org_slug)
    form = await form_of(request)
    url = form.get("url", "").strip()[:2100]
    chosen = tuple(e for e in webhooks.EVENT_TYPES if form.get(f"event:{e}"))
    allow = bool(request.app.state.settings.webhook_allow_private)
    try:
        made = await webhooks.create(pool(request), m.organization_id, webhooks.WebhookCreate(url, list(chosen)),
                                     allow_private=allow)
    except Invalid as exc:
        return await _hooks_page(request, m.organization_id, status=400, error=exc.detail, url=url, chosen=chosen)
    return await _hooks_page(request, m.organization_id, made=made)


@get("/o/{org_slug:str}/settings/webhooks/{hook_id:int}")
async def hook_page(request: Request_, org_slug: str, hook_id: int, cursor: str | None = None) -> Response[Any]:
    _, m = await admin(request, org_slug)
    hook = await webhooks.get(pool(request), m.organization_id, hook_id)
    page = await webhooks.deliveries(pool(request), m.organization_id, hook_id, cursor, 50)
    rows = [{"at": when(d.at), "event_type": d.event_type, "attempt": d.attempt, "status_code": d.status_code,
             "error": d.error, "duration_ms": d.duration_ms, "status": d.status} for d in page.deliveries]
    return render(request, "settings/webhook.html", tab="webhooks", error=None, hook=hook, deliveries=rows,
                  next_cursor=page.next_cursor)


@post("/o/{org_slug:str}/settings/webhooks/{hook_id:int}/deactivate")
async def deactivate_hook(request: Request_, org_slug: str, hook_id: int) -> Response[Any]:
    _, m = await admin(request, org_slug)
    await webhooks.deactivate(pool(request), m.organization_id, hook_id)
    _ = translate(request)
    return redirect(request, f"/o/{m.slug}/settings/webhooks", flash=_("Webhook deactivated; nothing more is sent to it."))


ROUTES = [tokens_page, create_token, revoke_token, hooks_page, create_hook, hook_page, deactivate_hook]
