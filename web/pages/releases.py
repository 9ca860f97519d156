"""Releases: a project's releases newest version first, and one release's page (what it brought:
new, regressed and resolved clusters; its crash-free rates from SDK sessions).

A version can hold ``/``, ``+`` and ``@`` (``shop@1.2.0+build/7``), so it travels in the query
string (``?version=``), never in the path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get

from server.services import projects, release_view, releases
from web.pages.org import base_url
from web.render import redirect, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
PAGE = 50
CLUSTERS_SHOWN = 25
KINDS = ("new", "regressed", "resolved")
TRANSLATED = ["unresolved", "resolved", "regressed", "ignored", "semver", "pep440", "calver", "unparsed"]


def release_url(org_slug: str, project_id: int, version: str) -> str:
    return f"/o/{org_slug}/projects/{project_id}/releases?version={quote(version, safe='')}"


@get("/o/{org_slug:str}/releases")
async def releases_page(
    request: Request_, org_slug: str, project: int | None = None, cursor: str | None = None
) -> Response[Any]:
    _, m = await member(request, org_slug)
    db = pool(request)
    listed = await projects.list_projects(db, m.organization_id, base_url=base_url(request), limit=200)
    chosen = next((p for p in listed.projects if p.id == project), None) if project else None
    if chosen is None and project is None and listed.projects:
        chosen = listed.projects[0]
    if chosen is None and project is not None:
        await projects.require(db, m.organization_id, project)  # 404 for another organization's project
    page = (
        await releases.list_releases(db, m.organization_id, chosen.id, limit=PAGE, cursor_=cursor) if chosen else None
    )
    return render(
        request, "releases/list.html", projects=listed.projects, chosen=chosen,
        releases=page.releases if page else [], next_cursor=page.next_cursor if page else None,
        release_url=release_url,
    )


@get("/o/{org_slug:str}/projects/{project_id:int}/releases")
async def release_page(
    request: Request_, org_slug: str, project_id: int, version: str | None = None, environment: str | None = None
) -> Response[Any]:
    _, m = await member(request, org_slug)
    if not version:
        return redirect(request, f"/o/{org_slug}/releases?project={project_id}")
    view = await release_view.release_overview(
        pool(request), m.organization_id, project_id, version, environment or None, limit=CLUSTERS_SHOWN
    )
    lists = (view.new, view.regressed, view.resolved)
    return render(
        request, "releases/release.html", project=view.project, release=view.release, environment=environment or "",
        groups=[(kind, page.clusters, page.next_cursor is not None) for kind, page in zip(KINDS, lists, strict=True)],
    )


ROUTES = [releases_page, release_page]
