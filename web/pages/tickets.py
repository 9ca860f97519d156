"""Tickets: the organization's list (filter by project, status, customer, version, cluster) and one
ticket's page (its cluster, the fix when there is one, its history, confirm or correct the match)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from server.errors import Invalid, NotFound
from server.services import projects, ticket_view, tickets
from server.services.ticket_model import TicketClusterUpdate
from web.forms import form_of, int_field
from web.i18n import translator
from web.render import locale_of, redirect, render
from web.session import member, pool
from web.ticket_labels import LABELS, ticket_url

Request_ = Request[Any, Any, Any]
PAGE_SIZE = 50


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 1 <= number <= 2**63 - 1 else None


@get("/o/{org_slug:str}/tickets")
async def ticket_list(request: Request_, org_slug: str) -> Response[Any]:
    _, m = await member(request, org_slug, "agent")
    q = request.query_params
    filters = {
        "project": _int(q.get("project")), "cluster": _int(q.get("cluster")),
        "status": q.get("status") if q.get("status") in tickets.STATUSES else None,
        "customer": (q.get("customer") or "").strip()[:200] or None, "version": (q.get("version") or "").strip()[:100] or None,
    }
    found = (await projects.list_projects(pool(request), m.organization_id, base_url="", limit=200)).projects
    names = {p.id: p.name for p in found}
    if filters["project"] not in names:
        filters["project"] = None
    page = await tickets.list_org_page(
        pool(request), m.organization_id, project_id=filters["project"], cluster_id=filters["cluster"],
        status=filters["status"], customer=filters["customer"], version=filters["version"],
        cursor_value=q.get("cursor") or None, limit=PAGE_SIZE)
    return render(request, "tickets/list.html", page=page, filters=filters, projects=found, names=names,
                  statuses=tickets.STATUSES, **LABELS)


@get("/o/{org_slug:str}/projects/{project_id:int}/tickets/{ticket_id:int}")
async def ticket_page(request: Request_, org_slug: str, project_id: int, ticket_id: int) -> Response[Any]:
    _, m = await member(request, org_slug, "agent")
    found = await ticket_view.detail(pool(request), m.organization_id, project_id, ticket_id)
    return render(request, "tickets/ticket.html", d=found, t=found.ticket, c=found.cluster, **LABELS)


@post("/o/{org_slug:str}/projects/{project_id:int}/tickets/{ticket_id:int}/cluster")
async def set_cluster(request: Request_, org_slug: str, project_id: int, ticket_id: int) -> Response[Any]:
    """Confirm the match (the same cluster) or correct it (another), in one post."""
    viewer, m = await member(request, org_slug, "agent")
    form = await form_of(request)
    _ = translator(locale_of(request))
    here = ticket_url(m.slug, project_id, ticket_id)
    try:
        cluster_id = int_field(form, "cluster_id")
        before = await tickets.get(pool(request), m.organization_id, project_id, ticket_id)
        after = await tickets.set_cluster(pool(request), m.organization_id, project_id, ticket_id,
                                          TicketClusterUpdate(cluster_id=cluster_id), actor=viewer.email)
    except Invalid:
        return redirect(request, here, flash=_("Give the number of the cluster this ticket belongs to."))
    except NotFound as exc:
        if exc.kind != "cluster":
            raise
        return redirect(request, here, flash=_("There is no cluster #{cluster} in this project.", cluster=form.get("cluster_id", "")))
    note = (_("Match confirmed: cluster #{cluster}.", cluster=after.cluster_id) if after.cluster_id == before.cluster_id
            else _("Ticket moved to cluster #{cluster}.", cluster=after.cluster_id))
    return redirect(request, here, flash=note)


@post("/o/{org_slug:str}/projects/{project_id:int}/tickets/{ticket_id:int}/article")
async def article_sent(request: Request_, org_slug: str, project_id: int, ticket_id: int) -> Response[Any]:
    """Record the article sent as the answer (it then ranks higher for similar tickets)."""
    viewer, m = await member(request, org_slug, "agent")
    article_id = int_field(await form_of(request), "article_id")
    await tickets.set_cluster(pool(request), m.organization_id, project_id, ticket_id,
                              TicketClusterUpdate(article_id=article_id), actor=viewer.email)
    _ = translator(locale_of(request))
    return redirect(request, ticket_url(m.slug, project_id, ticket_id), flash=_("Recorded as the answer sent."))


ROUTES = [ticket_list, ticket_page, set_cluster, article_sent]
