"""An organization's front page: its projects, each with its DSN (the first thing a new team needs)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from server.services import projects
from web.render import render
from web.session import member, pool

Request_ = Request[Any, Any, Any]


def base_url(request: Request_) -> str:
    return str(getattr(request.app.state, "public_url", "") or str(request.base_url)).rstrip("/")


@get("/o/{org_slug:str}/")
async def org_home(request: Request_, org_slug: str) -> Response[Any]:
    _, membership = await member(request, org_slug)
    page = await projects.list_projects(pool(request), membership.organization_id, base_url=base_url(request), limit=200)
    return render(request, "org_home.html", projects=page.projects)


ROUTES = [org_home]
