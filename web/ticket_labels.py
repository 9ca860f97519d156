"""Words the support pages show for the tickets service's codes (statuses, match sources, why kinds).

The service speaks in codes (``fix_available``, ``corrected``, ``frame``); these maps give the
English text that goes through ``_()``; every value is listed in ``TRANSLATED`` for the catalogue.
"""

from __future__ import annotations

TICKET_STATUS = {"open": "Open", "fix_available": "Fix available", "closed": "Closed"}
CLUSTER_STATUS = {
    "unresolved": "Not fixed yet", "resolved": "Fixed", "regressed": "Came back (regressed)", "ignored": "Ignored by engineering",
}
MATCH_SOURCE = {
    "auto": "Matched automatically", "new": "Started its own cluster",
    "confirmed": "Confirmed by an agent", "corrected": "Corrected by an agent",
}
HISTORY = {
    "auto": "Filed; matched to cluster #{cluster} automatically",
    "new": "Filed; nothing matched, so it started cluster #{cluster}",
    "confirmed": "Cluster #{cluster} confirmed",
    "corrected": "Moved to cluster #{cluster}",
    "article": "Article sent: {article}",
    "fix_available": "Fix available: upgrade to {version}",
}
WHY_KIND = {
    "frame": "Stack frames", "message": "Error message", "term": "Words",
    "ticket": "Earlier ticket", "confirmed": "Agent's confirmation",
}

TRANSLATED = [
    "Open", "Fix available", "Closed",
    "Not fixed yet", "Fixed", "Came back (regressed)", "Ignored by engineering",
    "Matched automatically", "Started its own cluster", "Confirmed by an agent", "Corrected by an agent",
    "Filed; matched to cluster #{cluster} automatically", "Filed; nothing matched, so it started cluster #{cluster}",
    "Cluster #{cluster} confirmed", "Moved to cluster #{cluster}", "Article sent: {article}",
    "Fix available: upgrade to {version}",
    "Stack frames", "Error message", "Words", "Earlier ticket", "Agent's confirmation",
]

# Where other areas' pages live (the knowledge base and the cluster pages are built beside these).
def cluster_url(org: str, project_id: int, cluster_id: int) -> str:
    return f"/o/{org}/projects/{project_id}/clusters/{cluster_id}"


def article_url(org: str, article_id: int) -> str:
    return f"/o/{org}/kb/{article_id}"


def ticket_url(org: str, project_id: int, ticket_id: int) -> str:
    return f"/o/{org}/projects/{project_id}/tickets/{ticket_id}"


LABELS = {
    "ticket_status": TICKET_STATUS, "cluster_status": CLUSTER_STATUS, "match_source": MATCH_SOURCE,
    "history": HISTORY, "why_kind": WHY_KIND,
    "cluster_url": cluster_url, "article_url": article_url, "ticket_url": ticket_url,
}
