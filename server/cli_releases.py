"""``crashdesk release``, ``releases`` and ``release-show``: releases from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import msgspec

from server.db import tenancy
from server.errors import Invalid
from server.services import releases as service
from server.settings import Settings


def _date(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"--date {text!r} is not an ISO date (2026-11-28 or 2026-11-28T10:00:00+00:00)", "date") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _line(r: service.ReleaseOut) -> str:
    released = r.released_at.date().isoformat() if r.released_at else "-"
    flag = "" if r.parsed else "  (unparsed: ordered by first sight)"
    return f"{r.version:30} released {released:10}  events {r.event_count:6}  users {r.user_count:5}  clusters {r.cluster_count:5}{flag}"


def cmd_release(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    when = _date(args.date) if args.date else None

    async def go(conn: Any) -> tuple[service.ReleaseOut, bool]:
        project = await tenancy.project_by_slug(conn, args.org, args.project)
        return await service.create_release(conn, project.organization_id, project.id, args.version, when)

    out, created = _with_db(settings, go)
    _emit(args, {**msgspec.to_builtins(out), "created": created}, ("created " if created else "exists  ") + _line(out))


def cmd_releases(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    async def go(conn: Any) -> service.ReleasesPage:
        project = await tenancy.project_by_slug(conn, args.org, args.project)
        return await service.list_releases(conn, project.organization_id, project.id, package=args.package, limit=args.limit)

    page = _with_db(settings, go)
    _emit(args, msgspec.to_builtins(page), "\n".join(_line(r) for r in page.releases) or "no releases")


def cmd_release_show(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    async def go(conn: Any) -> service.ReleaseOut:
        project = await tenancy.project_by_slug(conn, args.org, args.project)
        return await service.get_release(conn, project.organization_id, project.id, args.version)

    out = _with_db(settings, go)
    text = "\n".join(f"{k:14} {v}" for k, v in msgspec.to_builtins(out).items())
    _emit(args, msgspec.to_builtins(out), text)


def register(sub: Any) -> None:
    """Add the release commands to the ``crashdesk`` parser's subcommands."""

    def add(name: str, fn: Any, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("org")
        p.add_argument("project")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    p = add("release", cmd_release, "create a release (or set its released date with --date)")
    p.add_argument("version")
    p.add_argument("--date", help="when it was released (ISO date); default: not released yet")
    p = add("releases", cmd_releases, "list a project's releases, newest version first")
    p.add_argument("--package", help="only this package's releases (web in web@2.0)")
    p.add_argument("--limit", type=int, default=100)
    p = add("release-show", cmd_release_show, "show one release")
    p.add_argument("version")
