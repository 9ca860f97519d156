"""Who is asking: the session cookie to a ``Viewer``, the page's organization to a membership, CSRF.

Every page handler starts with ``await signed_in(request)`` or ``await member(request, org, role)``;
both raise ``SignInNeeded`` (a redirect to the sign-in page) or a 404/403 the error pages show.
The CSRF check runs before every unsafe request of the web router (``check_csrf``).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from litestar import Request

from server.database import DATABASE_DOWN
from server.errors import CrashdeskError, Forbidden, Unavailable
from server.services import accounts
from server.services.accounts import Membership, Role, Viewer
from web.render import CSRF_COOKIE

SESSION_COOKIE = "crashdesk_session"
SAFE = {"GET", "HEAD", "OPTIONS"}
DATABASE_SECONDS = 5.0

Request_ = Request[Any, Any, Any]


class SignInNeeded(CrashdeskError):
    status = 401
    code = "sign_in"

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to see this page")
        self.next_path = next_path


def pool(request: Request_) -> Any:
    return request.app.state.pool


async def current_viewer(request: Request_) -> Viewer | None:
    """The signed-in viewer or None; looked up once per request."""
    if hasattr(request.state, "viewer"):
        return request.state.viewer  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE, "")
    viewer = None
    if token:
        try:
            async with asyncio.timeout(DATABASE_SECONDS):
                viewer = await accounts.viewer_of(pool(request), token)
        except DATABASE_DOWN as exc:
            raise Unavailable("the database is unavailable; retry shortly") from exc
    request.state.viewer = viewer
    return viewer


async def signed_in(request: Request_) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        raise SignInNeeded(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return viewer


async def member(request: Request_, org_slug: str, needed: Role = "agent") -> tuple[Viewer, Membership]:
    """The viewer and their membership of ``org_slug``: 404 for another organization, 403 below ``needed``."""
    viewer = await signed_in(request)
    membership = viewer.member_of(org_slug)
    request.state.membership = membership
    if not membership.allows(needed):
        raise Forbidden(f"this needs the {needed} role in {membership.slug}; yours is {membership.role}")
    return viewer, membership


async def check_csrf(request: Request_) -> None:
    """Before every unsafe web request: the form's ``_csrf`` (or htmx's header) must match the session's."""
    if request.method in SAFE:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("_csrf")
            sent = value if isinstance(value, str) else None
    viewer = await current_viewer(request)
    expected = viewer.csrf if viewer is not None else request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            "this form's security token is missing or out of date (CSRF check); reload the page and send it again"
        )
