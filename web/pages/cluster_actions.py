"""What an engineer does to a cluster from its page: resolve (now, in a release, in the next one),
ignore (for good or until a count, a number of users or a date), reopen, merge and unmerge, and
give it an owner (or none).

Each is a POST form (CSRF-checked before the handler runs); the role is checked here, so a lower
role posting directly gets 403 whatever the page showed. The actor logged is ``user:<e-mail>``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from litestar import Request, Response, post

from server.errors import Invalid
from server.services import clusters
from server.services.clusters import ClusterMerge, ClusterUpdate
from server.services.resolution import ClusterStatusUpdate, IgnoreUntilIn
from web.forms import field, form_of, int_field
from web.i18n import translator
from web.render import locale_of, redirect
from web.session import member, pool

Request_ = Request[Any, Any, Any]
ACTIONS = ("resolve", "resolve_in", "resolve_next", "ignore", "reopen")
IGNORE_KINDS = ("forever", "events", "users", "date")
TRANSLATED = [
    "Resolved.", "Resolved in {release}.", "Resolved in the next release.", "Ignored.", "Reopened.",
]


def _page(org_slug: str, project_id: int, cluster_id: int) -> str:
    return f"/o/{org_slug}/projects/{project_id}/clusters/{cluster_id}"


def status_change(form: dict[str, str]) -> tuple[ClusterStatusUpdate, str]:
    """The form's action as the API's status update, and the message shown after it."""
    action = field(form, "action", max_length=20)
    if action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}", "action")
    if action == "resolve":
        return ClusterStatusUpdate("resolved"), "Resolved."
    if action == "resolve_in":
        return ClusterStatusUpdate("resolved", resolved_in=field(form, "release", max_length=250)), "Resolved in {release}."
    if action == "resolve_next":
        return ClusterStatusUpdate("resolved", resolved_in_next=True), "Resolved in the next release."
    if action == "reopen":
        return ClusterStatusUpdate("unresolved"), "Reopened."
    kind = field(form, "until", required=False, max_length=20) or "forever"
    if kind not in IGNORE_KINDS:
        raise Invalid(f"until must be one of {', '.join(IGNORE_KINDS)}", "until")
    if kind == "forever":
        return ClusterStatusUpdate("ignored"), "Ignored."
    if kind == "date":
        text = field(form, "date", max_length=10)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise Invalid("date must be a day like 2026-12-31", "date") from None
        until = IgnoreUntilIn(date=dt.datetime.combine(day, dt.time(), dt.UTC))
    else:
        until = IgnoreUntilIn(**{kind: int_field(form, "count")})
    return ClusterStatusUpdate("ignored", ignore_until=until), "Ignored."


def cluster_ids(text: str) -> list[int]:
    """"12, 15 #17" -> [12, 15, 17]: the ids as people paste them."""
    ids = [int(n) for n in re.findall(r"\d+", text) if len(n) < 19]
    if not ids:
        raise Invalid("give the ids of the clusters to merge, e.g. 12, 15", "cluster_ids")
    return ids[:50]


@post("/o/{org_slug:str}/projects/{project_id:int}/clusters/{cluster_id:int}/status")
async def change_status(request: Request_, org_slug: str, project_id: int, cluster_id: int) -> Response[Any]:
    viewer, m = await member(request, org_slug, "engineer")
    _ = translator(locale_of(request))
    form = await form_of(request)
    try:
        change, message = status_change(form)
        await clusters.update_cluster(pool(request), m.organization_id, project_id, cluster_id, change,
                                      actor=f"user:{viewer.email}")
    except Invalid as exc:
        await clusters.get_cluster(pool(request), m.organization_id, project_id, cluster_id)  # 404 beats 400
        return redirect(request, _page(org_slug, project_id, cluster_id), flash=_("Not done: {reason}", reason=exc.detail))
    return redirect(request, _page(org_slug, project_id, cluster_id), flash=_(message, release=change.resolved_in or ""))


@post("/o/{org_slug:str}/projects/{project_id:int}/clusters/{cluster_id:int}/merge")
async def merge(request: Request_, org_slug: str, project_id: int, cluster_id: int) -> Response[Any]:
    _viewer, m = await member(request, org_slug, "engineer")
    _ = translator(locale_of(request))
    form = await form_of(request)
    try:
        ids = cluster_ids(field(form, "cluster_ids", max_length=1000))
    except Invalid as exc:
        return redirect(request, _page(org_slug, project_id, cluster_id), flash=_("Not done: {reason}", reason=exc.detail))
    done = await clusters.merge(pool(request), m.organization_id, project_id, cluster_id, ClusterMerge(ids))
    message = (_("Merged {ids} into this cluster.", ids=", ".join(f"#{i}" for i in done.cluster_ids)) if done.cluster_ids
               else _("Nothing merged: no other cluster of this project has those ids."))
    return redirect(request, _page(org_slug, project_id, cluster_id), flash=message)


@post("/o/{org_slug:str}/projects/{project_id:int}/clusters/{cluster_id:int}/unmerge")
async def unmerge(request: Request_, org_slug: str, project_id: int, cluster_id: int) -> Response[Any]:
    _viewer, m = await member(request, org_slug, "engineer")
    _ = translator(locale_of(request))
    form = await form_of(request)
    source = int_field(form, "cluster_id")
    assert source is not None  # required
    done = await clusters.unmerge(pool(request), m.organization_id, project_id, cluster_id, ClusterMerge([source]))
    message = (_("Split #{id} back out of this cluster.", id=source) if done.cluster_ids
               else _("Nothing split: #{id} is not merged into this cluster.", id=source))
    return redirect(request, _page(org_slug, project_id, cluster_id), flash=message)


@post("/o/{org_slug:str}/projects/{project_id:int}/clusters/{cluster_id:int}/owner")
async def change_owner(request: Request_, org_slug: str, project_id: int, cluster_id: int) -> Response[Any]:
    viewer, m = await member(request, org_slug, "engineer")
    _ = translator(locale_of(request))
    owner = field(await form_of(request), "owner", required=False, max_length=254) or None  # blank: nobody
    try:
        await clusters.update_cluster(pool(request), m.organization_id, project_id, cluster_id, ClusterUpdate(owner=owner),
                                      actor=f"user:{viewer.email}")
    except Invalid as exc:
        await clusters.get_cluster(pool(request), m.organization_id, project_id, cluster_id)  # 404 beats 400
        return redirect(request, _page(org_slug, project_id, cluster_id), flash=_("Not done: {reason}", reason=exc.detail))
    message = _("{owner} owns this cluster now.", owner=owner) if owner else _("Nobody owns this cluster now.")
    return redirect(request, _page(org_slug, project_id, cluster_id), flash=message)


ROUTES = [change_status, merge, unmerge, change_owner]
