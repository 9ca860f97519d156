"""Settings, members tab: roles, removal, invite links and admin-made reset links (admin only).

Every handler asks for the admin role itself, so a hidden button is never the only guard. A
one-time link is shown in the answer to the POST that made it and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post

from server.errors import Conflict, Invalid
from server.services import accounts
from server.services.accounts import LinkOut, Membership, Viewer
from web import i18n
from web.forms import field, form_of
from web.pages.org import base_url
from web.render import redirect, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
ROLES = ("admin", "engineer", "agent")
# Strings that reach _() as values: the accounts service's fixed refusals.
TRANSLATED = [
    "the last admin cannot step down; make another member admin first",
    "the last admin cannot be removed",
    "give a valid e-mail address",
]


def when(moment: dt.datetime | None) -> str:
    """A time as people read it in a table (UTC, to the minute); empty for never."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def translate(request: Request_) -> Any:
    return i18n.translator(i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")))


async def admin(request: Request_, org_slug: str) -> tuple[Viewer, Membership]:
    """The viewer and their admin membership; 404 for another organization, 403 below admin."""
    return await member(request, org_slug, "admin")


async def _members_page(
    request: Request_, m: Membership, viewer: Viewer, *, status: int = 200, error: str | None = None,
    link: LinkOut | None = None, email: str = "", role: str = "engineer",
) -> Response[Any]:
    people = await accounts.list_members(pool(request), m.organization_id)
    invites = await accounts.list_invites(pool(request), m.organization_id)
    shown = {"url": base_url(request) + link.path, "kind": link.kind, "email": link.email,
             "expires": when(link.expires_at)} if link else None
    return render(
        request, "settings/members.html", status=status, tab="members", error=error, link=shown, roles=ROLES,
        members=[{"id": p.id, "email": p.email, "name": p.name, "role": p.role, "disabled": p.disabled,
                  "last_seen": when(p.last_seen_at), "me": p.id == viewer.user_id} for p in people],
        invites=[{"email": i.email, "role": i.role, "expires": when(i.expires_at)} for i in invites],
        email=email, role=role,
    )


@get("/o/{org_slug:str}/settings")
async def members_page(request: Request_, org_slug: str) -> Response[Any]:
    viewer, m = await admin(request, org_slug)
    return await _members_page(request, m, viewer)


@post("/o/{org_slug:str}/settings/members/{user_id:int}/role")
async def change_role(request: Request_, org_slug: str, user_id: int) -> Response[Any]:
    viewer, m = await admin(request, org_slug)
    form = await form_of(request)
    try:
        await accounts.set_role(pool(request), m, user_id, field(form, "role", max_length=20))  # type: ignore[arg-type]
    except (Conflict, Invalid) as exc:
        return await _members_page(request, m, viewer, status=exc.status, error=exc.detail)
    _ = translate(request)
    target = f"/o/{m.slug}/settings" if user_id != viewer.user_id or form.get("role") == "admin" else f"/o/{m.slug}/"
    return redirect(request, target, flash=_("Role changed."))


@post("/o/{org_slug:str}/settings/members/{user_id:int}/remove")
async def remove_member(request: Request_, org_slug: str, user_id: int) -> Response[Any]:
    viewer, m = await admin(request, org_slug)
    try:
        await accounts.remove_member(pool(request), m, user_id)
    except Conflict as exc:
        return await _members_page(request, m, viewer, status=exc.status, error=exc.detail)
    _ = translate(request)
    return redirect(request, "/" if user_id == viewer.user_id else f"/o/{m.slug}/settings", flash=_("Member removed."))


@post("/o/{org_slug:str}/settings/members/{user_id:int}/reset-link")
async def reset_link(request: Request_, org_slug: str, user_id: int) -> Response[Any]:
    viewer, m = await admin(request, org_slug)
    link = await accounts.reset_link(pool(request), m, viewer.user_id, user_id)
    return await _members_page(request, m, viewer, link=link)


@post("/o/{org_slug:str}/settings/invites")
async def invite(request: Request_, org_slug: str) -> Response[Any]:
    viewer, m = await admin(request, org_slug)
    form = await form_of(request)
    email, role = form.get("email", "").strip()[:300], form.get("role", "engineer")
    try:
        link = await accounts.invite(pool(request), m, viewer.user_id, email, role)  # type: ignore[arg-type]
    except (Conflict, Invalid) as exc:
        return await _members_page(request, m, viewer, status=exc.status, error=exc.detail, email=email, role=role)
    return await _members_page(request, m, viewer, link=link)


ROUTES = [members_page, change_role, remove_member, reset_link, invite]
