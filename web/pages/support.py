"""The support desk: paste a ticket, a trace or a crash id, see at once whether it is known and fixed.

One screen answers the agent's question with the same service the API's lookup uses; the
result panel is the only thing htmx swaps. Filing the ticket is one more click: into the
cluster the agent picked (the one-action confirm) or matched as the API would.
"""

from __future__ import annotations

import re
import time
from typing import Any

from litestar import Request, Response, get, post

from server.errors import Conflict, Invalid, NotFound
from server.services import projects, ticket_lookup, tickets
from server.services.ticket_model import LookupIn, LookupOut, TicketCreate
from web.forms import field, form_of, int_field
from web.i18n import translator
from web.render import locale_of, redirect, render
from web.session import member, pool
from web.ticket_labels import LABELS, ticket_url

Request_ = Request[Any, Any, Any]
CRASH_ID = re.compile(r"\s*([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})\s*")
MAX_TEXT = 100_000
SUBJECT_CHARS = 120


async def _projects(request: Request_, organization_id: int) -> list[Any]:
    page = await projects.list_projects(pool(request), organization_id, base_url="", limit=200)
    return list(page.projects)


def _desk_form(values: dict[str, str], project_ids: list[int]) -> dict[str, Any]:
    """The desk's fields as typed (an unknown project falls back to the first one)."""
    try:
        project_id = int(values.get("project") or 0)
    except ValueError:
        project_id = 0
    if project_id not in project_ids:
        project_id = project_ids[0] if project_ids else 0
    return {
        "project": project_id,
        "text": values.get("text", "")[:MAX_TEXT],
        "version": values.get("version", "").strip()[:100],
        "customer": values.get("customer", "").strip()[:200],
        "subject": values.get("subject", "").strip()[:500],
    }


def _query(form: dict[str, Any]) -> LookupIn:
    """A lone crash id is looked up as the crash; anything else as the ticket's text."""
    crash = CRASH_ID.fullmatch(form["text"])
    version = form["version"] or None
    if crash:
        return LookupIn(event_id=crash.group(1).replace("-", "").lower(), version=version)
    return LookupIn(text=form["text"], version=version)


async def _look_up(request: Request_, organization_id: int, form: dict[str, Any]) -> tuple[LookupOut | None, str | None, float]:
    """(the answer, or the reason there is none, and how long it took in ms)."""
    if not form["text"].strip():
        return None, None, 0.0
    started = time.perf_counter()
    try:
        answer = await ticket_lookup.lookup(pool(request), organization_id, form["project"], _query(form))
    except (Invalid, NotFound, Conflict) as exc:
        return None, exc.detail, 0.0
    return answer, None, (time.perf_counter() - started) * 1000


def why_groups(answer: LookupOut | None) -> dict[int, list[tuple[str, list[str]]]]:
    """Per candidate, its reasons grouped by kind in first-seen order (ten shared words read as one line)."""
    out: dict[int, list[tuple[str, list[str]]]] = {}
    for c in answer.candidates if answer else []:
        groups: dict[str, list[str]] = {}
        for w in c.why:
            groups.setdefault(w.kind, []).append(w.text)
        out[c.cluster_id] = list(groups.items())
    return out


async def _page(request: Request_, org_slug: str, values: dict[str, str]) -> Response[Any]:
    _, m = await member(request, org_slug, "agent")
    found = await _projects(request, m.organization_id)
    form = _desk_form(values, [p.id for p in found])
    answer, error, ms = await _look_up(request, m.organization_id, form) if form["project"] else (None, None, 0.0)
    context = {"form": form, "answer": answer, "error": error, "ms": round(ms), "why": why_groups(answer), "projects": found, **LABELS}
    if request.headers.get("hx-request"):
        return render(request, "support/_result.html", **context)
    return render(request, "support/desk.html", status=400 if error else 200, **context)


@get("/o/{org_slug:str}/support")
async def desk(request: Request_, org_slug: str) -> Response[Any]:
    """Without JavaScript a lookup is also a GET (``?project=&text=&version=``): a link can share it."""
    return await _page(request, org_slug, dict(request.query_params))


@post("/o/{org_slug:str}/support")
async def desk_lookup(request: Request_, org_slug: str) -> Response[Any]:
    return await _page(request, org_slug, await form_of(request))


def _subject(form: dict[str, Any]) -> str:
    if form["subject"]:
        return str(form["subject"])
    first = next((line.strip() for line in form["text"].splitlines() if line.strip()), "")
    return first[:SUBJECT_CHARS] or "(no subject)"


@post("/o/{org_slug:str}/support/tickets")
async def file_ticket(request: Request_, org_slug: str) -> Response[Any]:
    """File the pasted text as a ticket: into the chosen cluster (``cluster_id``), or matched as the API does."""
    viewer, m = await member(request, org_slug, "agent")
    posted = await form_of(request)
    found = await _projects(request, m.organization_id)
    form = _desk_form(posted, [p.id for p in found])
    try:
        field(posted, "text", max_length=MAX_TEXT)
        chosen = int_field(posted, "cluster_id", required=False)
        data = TicketCreate(subject=_subject(form), body=form["text"], customer=form["customer"] or None,
                            version=form["version"] or None)
        made = await tickets.create(pool(request), m.organization_id, form["project"], data, into=chosen,
                                    actor=viewer.email)
    except (Invalid, NotFound) as exc:  # said beside the form, with what the agent typed kept
        return render(request, "support/desk.html", status=exc.status, form=form, answer=None, error=exc.detail, ms=0,
                      why={}, projects=found, **LABELS)
    _ = translator(locale_of(request))
    note = (_("Ticket #{ticket} filed in cluster #{cluster}, confirmed.", ticket=made.id, cluster=made.cluster_id)
            if chosen is not None else _("Ticket #{ticket} filed.", ticket=made.id))
    return redirect(request, ticket_url(m.slug, form["project"], made.id), flash=note)


ROUTES = [desk, desk_lookup, file_ticket]
