"""``crashdesk token create|list|revoke``: the organization's API tokens from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import msgspec

from server.db import tenancy
from server.errors import Invalid
from server.services import tokens
from server.settings import Settings


def _run(args: argparse.Namespace, settings: Settings, action: Any) -> Any:
    from server.cli import _with_db

    async def go(conn: Any) -> Any:
        return await action(conn, await tenancy.organization_id(conn, args.org))

    return _with_db(settings, go)


def _line(t: tokens.TokenOut) -> str:
    state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
    expires = t.expires_at.isoformat(timespec="minutes") if t.expires_at else "never"
    used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
    return f"{t.id:5} {state:8} {','.join(t.scopes):16} expires {expires:25} last used {used:25} {t.label}"


def cmd_create(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit

    expires = tokens.parse_expiry(args.expires, dt.datetime.now(dt.UTC)) if args.expires else None
    new = tokens.TokenCreate(scopes=args.scope or ["read", "write", "admin"], label=args.label, expires_at=expires)
    made: tokens.TokenCreated = _run(args, settings, lambda conn, org: tokens.create(conn, org, new))
    _emit(args, {**msgspec.to_builtins(made), "organization": args.org}, made.token)


def cmd_list(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit

    async def every(conn: Any, org: int) -> list[tokens.TokenOut]:
        out: list[tokens.TokenOut] = []
        cursor = None
        while True:
            page = await tokens.list_tokens(conn, org, limit=500, cursor_=cursor)
            out += page.tokens
            if (cursor := page.next_cursor) is None:
                return out

    listed: list[tokens.TokenOut] = _run(args, settings, every)
    _emit(args, {"tokens": msgspec.to_builtins(listed)}, "\n".join(map(_line, listed)) or "no tokens")


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit

    done: tokens.TokenOut = _run(args, settings, lambda conn, org: tokens.revoke(conn, org, _token_id(args.token_id)))
    _emit(args, msgspec.to_builtins(done), f"token {done.id} revoked")


def _token_id(text: str) -> int:
    """Checked after the database is found, so a wrong data folder is reported first."""
    if not text.isdigit() or int(text) >= 2**63:
        raise Invalid(f"token id {text!r} is not a number (see 'crashdesk token list ORG')", "token_id")
    return int(text)


def register(sub: Any) -> None:
    """Add ``token`` and its subcommands to the ``crashdesk`` parser."""
    token = sub.add_parser("token", help="create, list or revoke API tokens of an organization")
    actions = token.add_subparsers(dest="token_command", required=True)

    def add(name: str, fn: Any, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text)
        p.add_argument("org")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    p = add("create", cmd_create, "create a token (printed once)")
    p.add_argument("--scope", action="append", choices=["read", "write", "admin"],
                   help="repeatable; read < write < admin, each includes the ones before (default: admin)")
    p.add_argument("--expires", help="a duration (30d, 12h, 45m, 2w) or a date (2027-01-31); default: never")
    p.add_argument("--label", default="")
    add("list", cmd_list, "list tokens with scopes, expiry and last use")
    p = add("revoke", cmd_revoke, "revoke a token at once")
    p.add_argument("token_id", help="the id 'crashdesk token list' shows")
