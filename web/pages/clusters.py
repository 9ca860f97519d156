"""The cluster list (filters, sorts, sparklines, pages) and one cluster's page (its latest crash,
why it grouped, where it happens, what is linked, what was done); actions are in cluster_actions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from litestar import Request, Response, get

from server.errors import NotFound
from server.services import accounts, article_links, clusters, events, projects, releases, resolution, tickets
from web.cluster_views import (
    SORTS,
    STATUSES,
    bar_chart,
    exceptions_of,
    filters_of,
    grouping_lines,
    method_sentence,
    pretty_json,
    spark,
    when,
)
from web.i18n import translator
from web.pages.org import base_url
from web.render import locale_of, redirect, render
from web.session import member, pool
from web.ticket_labels import TICKET_STATUS

Request_ = Request[Any, Any, Any]
PAGE_SIZE = 25
# What each activity kind says in the log (services.resolution writes the kinds).
KINDS = {
    "status": "changed the status", "regression": "it came back (regression)",
    "resolved_in_next_release": "the next release arrived; resolved in it", "unignored": "it came back from ignored",
}
SORT_LABELS = {
    "last_seen": "Last seen", "first_seen": "New (first seen)", "count": "Events", "users": "Users", "trending": "Trending",
}
# Values shown through _() (web.catalogue reads this list, so it holds the literals of the two maps above).
TRANSLATED = [
    "unresolved", "regressed", "resolved", "ignored", "new", "exact", "fuzzy",
    "changed the status", "it came back (regression)", "the next release arrived; resolved in it",
    "it came back from ignored",
    "Last seen", "New (first seen)", "Events", "Users", "Trending",
]


def _partial(request: Request_) -> bool:
    """An htmx swap of the results (not a history restore, which needs the whole page)."""
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")


@get("/o/{org_slug:str}/clusters")
async def cluster_list(
    request: Request_, org_slug: str, project: str | None = None, status: str | None = None,
    release: str | None = None, environment: str | None = None, q: str | None = None, sort: str | None = None,
    owner: str | None = None, cursor: str | None = None, limit: int = PAGE_SIZE,
) -> Response[Any]:
    viewer, m = await member(request, org_slug)
    limit = min(max(limit, 1), 100)
    db, org = pool(request), m.organization_id
    f = filters_of(project, status, release, environment, q, sort, owner)
    listed = (await projects.list_projects(db, org, base_url=base_url(request), limit=200)).projects
    if not listed:
        return render(request, "clusters/list.html", filters=f, projects=[], current=None, rows=[], page=None,
                      release_names=[], statuses=STATUSES, sorts=SORTS)
    current = next((p for p in listed if p.id == f.project), None) if f.project else listed[0]
    if current is None:
        raise NotFound("project", f.project or 0)
    now = dt.datetime.now(dt.UTC)
    page = await clusters.list_clusters(
        db, org, current.id, status=f.status, release=f.release, environment=f.environment,  # type: ignore[arg-type]
        query=f.q, sort=f.sort, limit=limit, cursor_=cursor or None, now=now,  # type: ignore[arg-type]
        owner=viewer.email if f.owner == "me" else f.owner,
    )
    daily = await clusters.daily_counts(db, org, current.id, [c.id for c in page.clusters], now=now)
    _ = translator(locale_of(request))
    rows = [
        {"c": c, "first_seen": when(c.first_seen), "last_seen": when(c.last_seen),
         "spark": spark(daily.counts[c.id], _("Events per day over 14 days: {total} in all", total=sum(daily.counts[c.id])))}
        for c in page.clusters
    ]
    context = {"filters": f.params(project=current.id, limit=limit if limit != PAGE_SIZE else None), "f": f, "current": current, "rows": rows, "page": page,
               "first_page": bool(cursor), "statuses": STATUSES, "sorts": SORTS, "sort_labels": SORT_LABELS}
    if _partial(request):
        return render(request, "clusters/_results.html", **context)
    names = [r.version for r in (await releases.list_releases(db, org, current.id, limit=100)).releases]
    people = [p.email for p in await accounts.list_members(db, org) if not p.disabled]
    return render(request, "clusters/list.html", projects=listed, release_names=names, owners=people, **context)


async def _none() -> None:
    return None


@get("/o/{org_slug:str}/projects/{project_id:int}/clusters/{cluster_id:int}")
async def cluster_detail(request: Request_, org_slug: str, project_id: int, cluster_id: int) -> Response[Any]:
    _viewer, m = await member(request, org_slug)
    db, org = pool(request), m.organization_id
    cluster = await clusters.get_cluster(db, org, project_id, cluster_id)
    if cluster.merged_into is not None:  # its events live in the cluster it was merged into
        return redirect(request, f"/o/{org_slug}/projects/{project_id}/clusters/{cluster.merged_into}")
    # independent reads, each on its own pooled connection: the page waits for the slowest, not the sum
    latest, state, linked_tickets, articles, log, people = await asyncio.gather(
        events.get_event(db, org, project_id, cluster.latest_events[0].event_id) if cluster.latest_events else _none(),
        resolution.get_resolution(db, org, project_id, cluster_id) if cluster.status == "ignored" else _none(),
        tickets.list_page(db, org, project_id, cluster_id=cluster_id, status=None, customer=None, version=None,
                          cursor_value=None, limit=10),
        article_links.linked_articles(db, org, cluster_id),
        resolution.activity(db, org, project_id, cluster_id, limit=20),
        accounts.list_members(db, org) if m.allows("engineer") else _none(),
    )
    _ = translator(locale_of(request))
    grouping = latest.grouping if latest else None
    return render(
        request, "clusters/detail.html",
        c=cluster, state=state, latest=latest, chain=exceptions_of(latest),
        tags=sorted(((latest.normalized or {}).get("tags") or {}).items()) if latest else [],
        payload=pretty_json(latest.payload) if latest and latest.payload is not None else None,
        grouping=grouping, grouping_sentence=method_sentence(grouping, _),
        grouping_lines=grouping_lines((grouping or {}).get("components")),
        release_chart=bar_chart([(r.release, r.count) for r in cluster.releases[-12:]], _("Events per release")),
        environment_chart=bar_chart([(e.environment, e.count) for e in cluster.environments[:12]],
                                    _("Events per environment")),
        tickets=linked_tickets.tickets, articles=articles, activity=log.activity, when=when,
        can_act=m.allows("engineer"), kinds=KINDS,
        owners=[p.email for p in people or () if not p.disabled or p.email == cluster.owner],
        ticket_status=TICKET_STATUS, base=f"/o/{org_slug}/projects/{project_id}",
    )


ROUTES = [cluster_list, cluster_detail]
