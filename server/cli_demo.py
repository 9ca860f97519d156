"""``crashdesk demo``: fill a new organization with crashes, sessions, tickets and articles, by the real paths.

Refuses an organization that exists (a second run never mixes into the first); ``--org`` picks
another. Works on the embedded PostgreSQL (creating the data folder, as ``serve`` would) or on
``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import msgspec

from server.database import database_url
from server.settings import Settings

DEFAULT_ORG = "demo"


def _text(out: Any) -> str:
    return (
        f"\n  Demo organization {out.organization!r} is filled ({out.seconds}s):\n"
        f"    {out.events} crash events and {out.sessions} sessions from the real sentry-sdk in releases"
        f" {', '.join(out.releases)};\n"
        f"    {out.clusters} clusters (cluster {out.regressed_cluster_id} was resolved in 1.1.0 and regressed in 1.2.0);\n"
        f"    {out.tickets} tickets in English and Chinese ({out.tickets_matched} matched to a crash cluster when filed,"
        f" {out.tickets_answered} confirmed or corrected by an agent);\n"
        f"    {out.articles} knowledge-base articles with revisions and cluster links.\n\n"
        f"  Organization: {out.organization}   (web pages: /o/{out.organization}/...)\n"
        f"  Project:      {out.project} (id {out.project_id})\n"
        f"  DSN:          {out.dsn}\n"
        f"  Admin login:  {out.admin_email} / {out.admin_password}\n"
        f"  API token:    {out.token}\n\n"
        f"  Start the service with `crashdesk serve` and sign in at {out.url}/ with the admin login, or use the API:\n"
        f'    curl -H "Authorization: Bearer {out.token}" {out.url}/api/0/projects/{out.project_id}/clusters/\n'
    )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _base_url, _emit
    from server.demo.runner import run

    default_base = _base_url(settings)
    with database_url(settings, create=True) as url:
        out = asyncio.run(run(url, settings, args.org, default_base))
    _emit(args, msgspec.to_builtins(out), _text(out))


def register(sub: Any) -> None:
    """Add ``crashdesk demo`` to the ``crashdesk`` parser."""
    p = sub.add_parser("demo", help="fill a new organization with demo crashes, sessions, tickets and articles")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--org", default=DEFAULT_ORG, help=f"organization to create and fill (default: {DEFAULT_ORG});"
                                                      " an existing one is refused")
    p.set_defaults(func=cmd_demo)
