"""The public self-help portal ``/help/{org}/``: no sign-in, its own look, published public articles only.

Customers search in their own words (English or Chinese), read an article, say whether it
helped, and when still stuck send a ticket through a throttled form with a honeypot field.
Errors here render in the portal's own page (``portal/error.html``), never the staff layout.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from server.errors import CrashdeskError, Invalid, TooManyRequests
from server.services import portal
from web.errors import status_and_detail
from web.forms import form_of
from web.render import redirect, render
from web.session import pool

Request_ = Request[Any, Any, Any]
FIELDS = ("subject", "body", "email", "version")
TRANSLATED = [
    "subject must not be empty", "email must be an e-mail address",
    "too many requests from your address; try again later",
    "this form was filled in by a program, not a person; nothing was sent",
]


def _error(request: Request_, org: portal.PortalOrg | None, exc: Exception) -> Response[Any]:
    status, detail, headers = status_and_detail(exc)
    response = render(request, "portal/error.html", status=status, status_code=status, detail=detail, site=org)
    response.headers.update(headers)
    return response


def _address(request: Request_) -> str:
    return request.client.host if request.client else "unknown"


@get("/help/{org_slug:str}/")
async def portal_home(request: Request_, org_slug: str, q: str = "") -> Response[Any]:
    org = None
    try:
        org = await portal.organization(pool(request), org_slug)
        hits = await portal.search(pool(request), org.id, q) if q.strip() else None
        recent = await portal.recent(pool(request), org.id) if hits is None else []
    except CrashdeskError as exc:
        return _error(request, org, exc)
    return render(request, "portal/home.html", site=org, q=q, hits=hits, recent=recent)


@get("/help/{org_slug:str}/articles/{article_id:int}")
async def portal_article(request: Request_, org_slug: str, article_id: int, language: str | None = None,
                         voted: str | None = None) -> Response[Any]:
    org = None
    try:
        org = await portal.organization(pool(request), org_slug)
        article = await portal.article(pool(request), org.id, article_id, language)
    except CrashdeskError as exc:
        return _error(request, org, exc)
    return render(request, "portal/article.html", site=org, article=article,
                  voted=voted if voted in ("yes", "no") else None)


@post("/help/{org_slug:str}/articles/{article_id:int}/feedback")
async def portal_feedback(request: Request_, org_slug: str, article_id: int) -> Response[Any]:
    org = None
    form = await form_of(request)
    helpful = form.get("helpful") == "yes"
    try:
        org = await portal.organization(pool(request), org_slug)
        await portal.feedback(pool(request), org.id, article_id, helpful, address=_address(request))
    except CrashdeskError as exc:
        return _error(request, org, exc)
    if request.headers.get("hx-request"):
        return render(request, "portal/_thanks.html", site=org, helpful=helpful, article_id=article_id)
    return redirect(request, f"/help/{org_slug}/articles/{article_id}?voted={'yes' if helpful else 'no'}#feedback")


@get("/help/{org_slug:str}/contact")
async def contact_page(request: Request_, org_slug: str, article: int | None = None) -> Response[Any]:
    org = None
    try:
        org = await portal.organization(pool(request), org_slug)
    except CrashdeskError as exc:
        return _error(request, org, exc)
    return render(request, "portal/contact.html", site=org, fields=dict.fromkeys(FIELDS, ""), error=None,
                  article=article)


@post("/help/{org_slug:str}/contact")
async def contact(request: Request_, org_slug: str) -> Response[Any]:
    org = None
    form = await form_of(request)
    fields = {k: form.get(k, "")[:20_000] for k in FIELDS}
    article = int(form["article"]) if form.get("article", "").isdigit() and len(form["article"]) < 19 else None
    try:
        org = await portal.organization(pool(request), org_slug)
        sent = await portal.send_ticket(pool(request), org.id, subject=fields["subject"][:500], body=fields["body"],
                                        email=fields["email"][:300].strip(), version=fields["version"][:100],
                                        honeypot=form.get("website", ""), address=_address(request),
                                        read_article=article)
    except Invalid as exc:
        return render(request, "portal/contact.html", status=400, site=org, fields=fields, error=exc.detail,
                      article=article)
    except (TooManyRequests, CrashdeskError) as exc:
        return _error(request, org, exc)
    return render(request, "portal/sent.html", site=org, email=sent.email)


ROUTES = [portal_home, portal_article, portal_feedback, contact_page, contact]
