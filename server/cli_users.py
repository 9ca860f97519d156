"""``crashdesk user reset-link``: a password-reset link from the command line, for an admin locked out of the web."""

from __future__ import annotations

import argparse
from typing import Any

from server.db import tenancy
from server.services import accounts
from server.settings import Settings


def cmd_reset_link(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _base_url, _emit, _with_db

    async def go(conn: Any) -> tuple[accounts.LinkOut, str]:
        link = await accounts.reset_link_by_email(conn, args.org, args.email)
        base = settings.public_url or await tenancy.instance_setting(conn, "public_url") or _base_url(settings)
        return link, base.rstrip("/") + link.path

    link, url = _with_db(settings, go)
    shown = {"email": link.email, "organization": args.org, "url": url, "expires_at": link.expires_at.isoformat()}
    _emit(args, shown, f"{url}\n(one use, for {link.email}, until {link.expires_at.isoformat(timespec='minutes')})")


def register(sub: Any) -> None:
    """Add ``user`` and its subcommands to the ``crashdesk`` parser."""
    user = sub.add_parser("user", help="people: password-reset links")
    actions = user.add_subparsers(dest="user_command", required=True)
    p = actions.add_parser("reset-link", help="print a one-time link that sets a new password for a member")
    p.add_argument("email")
    p.add_argument("--org", required=True, help="the organization the person is a member of")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_reset_link)
