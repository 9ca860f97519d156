"""``crashdesk kb ...``: import and export articles as markdown files, reports, and re-indexing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import msgspec
from tqdm import tqdm

from server.db import kb as kb_sql
from server.db import kb_events, tenancy
from server.errors import CrashdeskError, NotFound
from server.services import articles, kb_files, kb_usage
from server.services.ticket_text import sync_clusters
from server.settings import Settings


def _progress(items: list[Any], args: argparse.Namespace, what: str) -> Any:
    return tqdm(items, desc=what, unit="file", file=sys.stderr, disable=args.no_progress or None)


def cmd_import(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    folder = Path(args.dir)
    files: list[Path] = []

    async def go(conn: Any) -> dict[str, Any]:
        if not folder.is_dir():
            raise CrashdeskError(f"{folder} is not a folder")
        files.extend(sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".markdown") and p.is_file()))
        if args.create_org:
            org = await tenancy.ensure_organization(conn, args.org)
        else:
            try:
                org = await tenancy.organization_id(conn, args.org)
            except NotFound:
                raise CrashdeskError(f"organization {args.org!r} does not exist; check the name,"
                                     " or add --create-org to create it") from None
        done: dict[str, int] = {}
        bad: list[dict[str, str]] = []
        for path in _progress(files, args, "importing"):
            name = str(path.relative_to(folder))
            try:
                item = kb_files.parse(path.read_text(encoding="utf-8"), name)
                _, outcome = await kb_files.import_one(conn, org, item)
                done[outcome] = done.get(outcome, 0) + 1
            except UnicodeDecodeError:
                bad.append({"file": name, "error": "not UTF-8 text"})
            except (CrashdeskError, OSError) as exc:  # one bad file never stops the rest
                field = getattr(exc, "field", None)
                bad.append({"file": name, "error": f"{field}: {exc}" if field else str(exc)})
        return {"organization": args.org, "files": len(files), **done, "bad": bad}

    out = _with_db(settings, go)
    lines = [f"{len(files)} file(s): " + ", ".join(f"{v} {k}" for k, v in out.items()
                                                  if k not in ("organization", "files", "bad")) or "nothing"]
    lines += [f"  bad: {b['file']}: {b['error']}" for b in out["bad"]]
    _emit(args, out, "\n".join(lines))


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    folder = Path(args.dir)

    async def go(conn: Any) -> list[Any]:
        return await kb_sql.export_rows(conn, await tenancy.organization_id(conn, args.org))

    rows = _with_db(settings, go)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CrashdeskError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    written = []
    for r in _progress(rows, args, "exporting"):
        safe_key = "".join(c if c.isalnum() or c in "-_" else "-" for c in r["key"])[:80]
        path = folder / f"{safe_key}.{r['language']}.md"
        path.write_text(kb_files.render(
            key=r["key"], title=r["title"], body=r["body"], language=r["language"], status=r["status"],
            visibility=r["visibility"], tags=r["tags"], owner=r["owner"], revision=r["revision"],
            updated_at=r["updated_at"]), encoding="utf-8")
        written.append(path.name)
    _emit(args, {"organization": args.org, "dir": str(folder), "files": written},
          f"wrote {len(written)} file(s) to {folder}")


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    async def go(conn: Any) -> kb_usage.Report:
        org = await tenancy.organization_id(conn, args.org)
        return await kb_usage.report(conn, org, args.name, days=args.days, limit=args.limit, now=dt.datetime.now(dt.UTC))

    report = _with_db(settings, go)
    lines = [f"{args.name} (last {args.days} days)"]
    lines += [f"  #{a.id:<6} {a.views:>6} views {a.search_hits:>6} hits {a.links:>3} links"
              f" +{a.helpful}/-{a.not_helpful}  {a.title}" + (f"  [stale: {a.stale_reason}]" if a.stale else "")
              for a in report.articles]
    lines += [f"  search {g.count:>5}x  {g.query}" for g in report.searches]
    lines += [f"  cluster #{c.id:<6} {c.event_count:>7} events {c.user_count:>5} users  {c.title}" for c in report.clusters]
    _emit(args, msgspec.to_builtins(report), "\n".join(lines))


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> None:
    """Rebuild the search index of an organization's articles; index clusters not indexed yet."""
    from server.cli import _emit, _with_db

    async def go(conn: Any) -> dict[str, int]:
        org = await tenancy.organization_id(conn, args.org)
        ids = sorted({r["id"] for r in await kb_sql.export_rows(conn, org)})
        for start in range(0, len(ids), 500):
            await articles.reindex(conn, ids[start:start + 500])
        clusters = 0
        for project_id in await kb_events.project_ids(conn, org):
            clusters += await sync_clusters(conn, org, project_id)
        return {"articles": len(ids), "clusters": clusters}

    out = _with_db(settings, go)
    _emit(args, {"organization": args.org, **out}, f"indexed {out['articles']} article(s), {out['clusters']} cluster(s)")


def register(sub: Any) -> None:
    """Add ``crashdesk kb`` and its subcommands to the ``crashdesk`` parser."""
    kb = sub.add_parser("kb", help="knowledge base: import, export, reports, re-index").add_subparsers(
        dest="kb_command", required=True)

    def add(name: str, fn: Any, help_text: str) -> argparse.ArgumentParser:
        p = kb.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    p = add("import", cmd_import, "import a folder of markdown files with front matter (bad files are reported)")
    p.add_argument("org")
    p.add_argument("dir")
    p.add_argument("--create-org", action="store_true", help="create the organization if it does not exist")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = add("export", cmd_export, "write every article language version as a markdown file with front matter")
    p.add_argument("org")
    p.add_argument("dir")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = add("report", cmd_report, "usage reports: " + ", ".join(kb_usage.REPORTS))
    p.add_argument("org")
    p.add_argument("name", choices=kb_usage.REPORTS)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--limit", type=int, default=50)
    p = add("reindex", cmd_reindex, "rebuild the search index of an organization's articles and clusters")
    p.add_argument("org")
