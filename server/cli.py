"""The ``crashdesk`` command. Every command takes ``--json`` for scripts."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from server import bootstrap, cli_artifacts, cli_demo, cli_kb, cli_releases, cli_tickets, cli_tokens, cli_users
from server.database import connect, database_url
from server.db import tenancy
from server.errors import CrashdeskError, NotFound
from server.migrate import migrate
from server.services import accounts
from server.settings import Settings


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(msgspec.json.encode(data).decode() if args.json else text, flush=True)


def _with_db(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``fn(conn)`` on the configured database; never creates a data folder (see ``database_url``)."""
    async def run(url: str) -> Any:
        conn = await connect(url)
        try:
            await migrate(conn)
            return await fn(conn)
        finally:
            await conn.close()

    with database_url(settings) as url:
        return asyncio.run(run(url))


def _base_url(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> str:
    if settings.public_url:
        return settings.public_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    async def go(url: str) -> list[str]:
        conn = await connect(url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    with database_url(settings, create=True) as url:
        applied = asyncio.run(go(url))
    _emit(args, {"applied": applied}, f"applied: {', '.join(applied) or 'nothing (up to date)'}")


def cmd_createproject(args: argparse.Namespace, settings: Settings) -> None:
    async def go(conn: Any) -> dict[str, Any]:
        if not args.create_org:
            try:
                await tenancy.organization_id(conn, args.org)
            except NotFound:
                raise CrashdeskError(
                    f"organization {args.org!r} does not exist; check the name, or add --create-org to create it"
                ) from None
        project_id = await tenancy.create_project(conn, args.org, args.project, args.platform)
        key = (await tenancy.project_keys(conn, project_id))[0]
        announced = await tenancy.instance_setting(conn, "public_url")
        base = settings.public_url or announced or _base_url(settings)
        dsn = bootstrap.dsn(base, key, project_id)
        return {"project_id": project_id, "organization": args.org, "project": args.project, "public_key": key, "dsn": dsn}

    out = _with_db(settings, go)
    _emit(args, out, f"project {args.org}/{args.project} (id {out['project_id']})\nDSN: {out['dsn']}")


def cmd_createuser(args: argparse.Namespace, settings: Settings) -> None:
    password = args.password or secrets.token_urlsafe(12)

    async def go(conn: Any) -> int:  # the accounts service: e-mail checked, password rules, argon2id hash
        return await accounts.create_user(conn, args.org, args.email, password, role=args.role)

    user_id = _with_db(settings, go)
    shown = {"user_id": user_id, "email": args.email, "organization": args.org, "role": args.role}
    if not args.password:
        shown["password"] = password
    _emit(args, shown, f"user {args.email} ({args.role} of {args.org})" + ("" if args.password else f", password: {password}"))


def cmd_key(args: argparse.Namespace, settings: Settings) -> None:
    async def go(conn: Any) -> None:
        enabled = {"enable": True, "disable": False}.get(args.action)
        limit = (args.rate_limit or None, args.window) if args.action == "ratelimit" else None
        await tenancy.update_key(conn, args.public_key, enabled=enabled, rate_limit=limit)

    _with_db(settings, go)
    _emit(args, {"public_key": args.public_key, "action": args.action}, f"key {args.public_key}: {args.action}")


def cmd_regroup(args: argparse.Namespace, settings: Settings) -> None:
    from server.regroup import regroup

    with database_url(settings) as url:
        out = asyncio.run(regroup(url, args.org, args.project, settings, show_progress=not args.json))
    _emit(args, out, f"regrouped {out['events']} events of project {out['project_id']} into {out['clusters']} clusters")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from server import cli_serve

    chosen = {"host": args.host, "port": args.port, "workers": args.workers}
    settings = msgspec.structs.replace(settings, **{k: v for k, v in chosen.items() if v is not None})
    if args.no_process:
        settings = msgspec.structs.replace(settings, process_events=False)
    with database_url(settings, create=True) as url:
        settings = msgspec.structs.replace(settings, database_url=url)
        base = _base_url(settings, settings.host, settings.port)
        first = asyncio.run(bootstrap.first_run(url, base))
        if first is not None:
            _announce(args, settings, first, base)
        cli_serve.run(settings, log_level=args.log_level)


def _announce(args: argparse.Namespace, settings: Settings, first: bootstrap.FirstRun, base: str) -> None:
    """First-run banner; the secrets go to a terminal, or else to an owner-only file."""
    shown = msgspec.structs.asdict(first)
    path = None
    if not sys.stdout.isatty():
        path = bootstrap.write_secrets(first, settings.data_dir)
        shown = {k: v for k, v in shown.items() if k not in ("admin_password", "token")} | {"secrets_file": str(path)}
    _emit(args, shown, bootstrap.banner(first, base, secrets_path=path))


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    from server.worker import Processor

    async def run(url: str) -> None:
        conn = await connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        gc.freeze()  # as in serve: keep long-lived start-up objects out of every collection
        await asyncio.gather(*(Processor(url, settings, f"worker-{os.getpid()}-{n}").run() for n in range(args.concurrency)))

    import uvloop  # as serve's loop: asyncpg does less work per round trip on it

    with database_url(settings, create=True) as url:
        uvloop.run(run(url))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crashdesk", description="Crash and bug report tracker (Sentry protocol).")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Callable[..., None], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    p = add("serve", cmd_serve, "run the HTTP service (and event processors)")
    p.add_argument("--host", help="default: CRASHDESK_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, help="default: CRASHDESK_PORT or 8000")
    p.add_argument("--workers", type=int, help="HTTP processes (default: CRASHDESK_WORKERS or 1)")
    p.add_argument("--no-process", action="store_true", help="only accept events; run 'crashdesk worker' elsewhere")
    p.add_argument("--log-level", default="info")
    p = add("worker", cmd_worker, "run event processors only")
    p.add_argument("--concurrency", type=int, default=1)
    add("migrate", cmd_migrate, "apply database migrations")
    p = add("createproject", cmd_createproject, "create a project and print its DSN")
    p.add_argument("org")
    p.add_argument("project")
    p.add_argument("--platform")
    p.add_argument("--create-org", action="store_true", help="create the organization if it does not exist")
    p = add("createuser", cmd_createuser, "create a user in an organization")
    p.add_argument("email")
    p.add_argument("--org", default="default")
    p.add_argument("--role", choices=["admin", "engineer", "agent"], default="admin")
    p.add_argument("--password", help="default: a random one, printed")
    p = add("regroup", cmd_regroup, "apply changed grouping rules to a project's past events")
    p.add_argument("org")
    p.add_argument("project")
    p = add("key", cmd_key, "enable, disable or rate-limit a project key")
    p.add_argument("public_key")
    p.add_argument("action", choices=["enable", "disable", "ratelimit"])
    p.add_argument("--rate-limit", type=int, default=0, help="events per window (0: unlimited)")
    p.add_argument("--window", type=int, default=60, help="window in seconds")
    cli_artifacts.register(sub)
    cli_tokens.register(sub)
    cli_users.register(sub)
    cli_kb.register(sub)
    cli_releases.register(sub)
    cli_tickets.register(sub)
    cli_demo.register(sub)
    return parser


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; settings come from ``environ`` (default ``os.environ``), read and checked first."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(environ)
        args.func(args, settings)
    except CrashdeskError as exc:
        print(f"crashdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
