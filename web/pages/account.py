"""Sign in and out, the signed-in person's password, one-time invite and reset links, the locale."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from server.errors import Invalid, TooManyRequests, Unauthorized
from server.services import accounts
from web import i18n
from web.forms import field, form_of
from web.render import redirect, render, safe_next, secure_cookies
from web.session import SESSION_COOKIE, current_viewer, pool, signed_in

Request_ = Request[Any, Any, Any]
# Strings that reach _() as values: roles and the sign-in service's refusals.
TRANSLATED = [
    "admin", "engineer", "agent",
    "wrong e-mail or password", "too many failed sign-ins; wait 15 minutes and try again",
]


def _with_session(request: Request_, response: Response[Any], session: accounts.Session) -> Response[Any]:
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    return response


def _home(viewer: accounts.Viewer) -> str:
    return f"/o/{viewer.memberships[0].slug}/" if viewer.memberships else "/account"


@get("/", name="home")
async def home(request: Request_) -> Response[Any]:
    viewer = await current_viewer(request)
    return redirect(request, _home(viewer) if viewer else "/login")


@get("/login")
async def login_page(request: Request_, next: str | None = None) -> Response[Any]:  # noqa: A002 - the query name
    viewer = await current_viewer(request)
    if viewer is not None:
        return redirect(request, safe_next(next, _home(viewer)))
    return render(request, "login.html", next=safe_next(next, ""), email="", error=None)


@post("/login")
async def login(request: Request_) -> Response[Any]:
    form = await form_of(request)
    email = form.get("email", "").strip()[:300]
    target = form.get("next", "")
    try:
        session = await accounts.sign_in(
            pool(request), email, form.get("password", "")[:2000], address=request.client.host if request.client else "?"
        )
    except (Unauthorized, TooManyRequests) as exc:
        request.state.viewer = None
        response = render(request, "login.html", status=exc.status, next=safe_next(target, ""), email=email, error=exc.detail)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    request.state.viewer = session.viewer
    return _with_session(request, redirect(request, safe_next(target, _home(session.viewer))), session)


@post("/logout")
async def logout(request: Request_) -> Response[Any]:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        await accounts.sign_out(pool(request), token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/account")
async def account_page(request: Request_) -> Response[Any]:
    viewer = await signed_in(request)
    return render(request, "account.html", me=viewer, error=None)


@post("/account/password")
async def change_password(request: Request_) -> Response[Any]:
    viewer = await signed_in(request)
    form = await form_of(request)
    try:
        await accounts.change_password(
            pool(request), viewer, form.get("current", ""), form.get("password", ""), token=request.cookies.get(SESSION_COOKIE, "")
        )
    except Invalid as exc:
        return render(request, "account.html", status=400, me=viewer, error=exc.detail)
    _ = i18n.translator(i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")))
    return redirect(request, "/account", flash=_("Password changed; your other sessions were signed out."))


@get("/account/{kind:str}/{token:str}")
async def link_page(request: Request_, kind: str, token: str) -> Response[Any]:
    if kind not in ("invite", "reset"):
        raise NotFoundException()
    info = await accounts.link_info(pool(request), kind, token)
    return render(request, "account_link.html", info=info, kind=kind, token=token, error=None)


@post("/account/{kind:str}/{token:str}")
async def use_link(request: Request_, kind: str, token: str) -> Response[Any]:
    if kind not in ("invite", "reset"):
        raise NotFoundException()
    form = await form_of(request)
    try:
        session = await accounts.use_link(
            pool(request), kind, token, form.get("password", ""), field(form, "name", required=False, max_length=200)
        )
    except Invalid as exc:
        info = await accounts.link_info(pool(request), kind, token)
        return render(request, "account_link.html", status=400, info=info, kind=kind, token=token, error=exc.detail)
    request.state.viewer = session.viewer
    return _with_session(request, redirect(request, _home(session.viewer)), session)


@get("/locale/{code:str}")
async def set_locale(request: Request_, code: str, next: str | None = None) -> Response[Any]:  # noqa: A002
    """A plain link (works without JavaScript); the choice is a cookie, so it holds before sign-in too."""
    if code not in i18n.LOCALES:
        raise NotFoundException()
    response = redirect(request, safe_next(next, "/"))
    response.set_cookie(
        i18n.COOKIE, code, httponly=True, samesite="lax", secure=secure_cookies(request), path="/", max_age=365 * 86400
    )
    return response


ROUTES = [home, login_page, login, logout, account_page, change_password, link_page, use_link, set_locale]
