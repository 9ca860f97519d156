"""Knowledge-base reports: most used, never used, poor feedback, knowledge gaps, stale; each with a small chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get
from markupsafe import Markup

from server.services import kb_usage
from web import svg
from web.i18n import translator
from web.render import locale_of, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
LABELS = {
    "most-used": "Most used", "never-used": "Never used", "poor-feedback": "Poor feedback",
    "knowledge-gaps": "Knowledge gaps", "stale": "Stale",
}
TRANSLATED = ["Most used", "Never used", "Poor feedback", "Knowledge gaps", "Stale", "Views", "Not helpful",
              "Searches without an answer"]
DAYS = (7, 30, 90, 365)


def chart(report: kb_usage.Report, label: str) -> Markup | None:
    """Bars for the report's main figure (escaped by ``web.svg``, so safe to mark)."""
    rows: list[tuple[str, float]]
    if report.report == "most-used":
        rows = [(a.title or f"#{a.id}", float(a.views + a.search_hits)) for a in report.articles[:10]]
    elif report.report == "poor-feedback":
        rows = [(a.title or f"#{a.id}", float(a.not_helpful)) for a in report.articles[:10]]
    elif report.report == "knowledge-gaps":
        rows = [(s.query, float(s.count)) for s in report.searches[:10]]
    else:
        rows = []
    drawn = svg.bars(rows, width=480, label=label)
    return Markup(drawn) if drawn else None


@get("/o/{org_slug:str}/kb/reports")
async def reports(request: Request_, org_slug: str, report: str = "most-used", days: int = 30) -> Response[Any]:
    _, m = await member(request, org_slug)
    name = report if report in kb_usage.REPORTS else "most-used"
    days = days if days in DAYS else 30
    found = await kb_usage.report(pool(request), m.organization_id, name, days=days, limit=50, now=dt.datetime.now(dt.UTC))
    _ = translator(locale_of(request))
    caption = {"most-used": "Views", "poor-feedback": "Not helpful", "knowledge-gaps": "Searches without an answer"}
    drawn = chart(found, _(caption[name])) if name in caption else None
    return render(request, "kb/reports.html", report=found, name=name, days=days, all_days=DAYS, labels=LABELS,
                  chart=drawn)


ROUTES = [reports]
