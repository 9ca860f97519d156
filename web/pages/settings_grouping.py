"""Settings, grouping rules tab (admin only): a project's fingerprint and in-app rules as the JSON the API takes.

The text is parsed and checked by the grouping service; a refusal is shown beside the text as
it was typed, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from server.errors import Invalid
from server.services import grouping, projects
from web.forms import form_of
from web.pages.org import base_url
from web.pages.settings import admin, translate
from web.render import redirect, render
from web.session import pool

Request_ = Request[Any, Any, Any]
EXAMPLE = """{
  "fingerprint_rules": [
    {"type": "TimeoutError", "function": "fetch_*", "fingerprint": ["network-timeouts"]},
    {"message": "*connection reset*", "fingerprint": ["{{ default }}", "reset"]}
  ],
  "in_app_include": ["shop"],
  "in_app_exclude": ["shop.vendor"]
}"""


@get("/o/{org_slug:str}/settings/grouping")
async def grouping_projects(request: Request_, org_slug: str) -> Response[Any]:
    _, m = await admin(request, org_slug)
    page = await projects.list_projects(pool(request), m.organization_id, base_url=base_url(request), limit=200)
    return render(request, "settings/grouping_projects.html", tab="grouping", error=None, projects=page.projects)


async def _editor(request: Request_, org_id: int, project_id: int, text: str | None, *, status: int = 200,
                  error: str | None = None) -> Response[Any]:
    project = await projects.require(pool(request), org_id, project_id)  # 404 for another organization's
    config = await grouping.get_config(pool(request), org_id, project_id)
    return render(request, "settings/grouping.html", status=status, tab="grouping", error=None, problem=error, project=project,
                  text=grouping.format_config(config) if text is None else text, example=EXAMPLE)


@get("/o/{org_slug:str}/settings/grouping/{project_id:int}")
async def grouping_page(request: Request_, org_slug: str, project_id: int) -> Response[Any]:
    _, m = await admin(request, org_slug)
    return await _editor(request, m.organization_id, project_id, None)


@post("/o/{org_slug:str}/settings/grouping/{project_id:int}")
async def save_grouping(request: Request_, org_slug: str, project_id: int) -> Response[Any]:
    _, m = await admin(request, org_slug)
    text = (await form_of(request)).get("config", "")[:200_000]
    try:
        await grouping.put_config(pool(request), m.organization_id, project_id, grouping.parse_config(text))
    except Invalid as exc:
        return await _editor(request, m.organization_id, project_id, text, status=400, error=exc.detail)
    _ = translate(request)
    return redirect(request, f"/o/{m.slug}/settings/grouping/{project_id}",
                    flash=_("Grouping rules saved. New events use them; run crashdesk regroup to apply them to past events."))


ROUTES = [grouping_projects, grouping_page, save_grouping]
