"""``crashdesk import tickets ORG PROJECT FILE``: bulk import from CSV (with a header) or JSONL.

Each row is matched as ``POST /tickets`` would (``server.services.ticket_import``, a
thousand rows per transaction). A bad row (unreadable bytes or syntax: ``server.ticket_file``;
a value the ticket checks refuse) is reported with the line it starts on and skipped;
the rest goes on. Re-running skips rows whose ``external_ref`` is already imported, so an
interrupted import resumes (a batch is committed whole or not at all).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from server.database import create_pool
from server.db import tenancy
from server.db import tickets as tickets_sql
from server.errors import CrashdeskError, Invalid
from server.services import ticket_import, tickets
from server.services.ticket_model import TicketCreate
from server.settings import Settings
from server.ticket_file import read_rows

FIELDS = set(TicketCreate.__struct_fields__)
CHUNK = 1000  # rows per transaction (server.services.ticket_import)


def to_ticket(row: dict[str, Any]) -> TicketCreate:
    known = {k: v for k, v in row.items() if k in FIELDS}
    if "subject" not in known:
        raise Invalid("no subject")
    try:
        data = msgspec.convert(known, TicketCreate, strict=False)
    except msgspec.ValidationError as exc:
        raise Invalid(str(exc)) from None
    if data.external_ref is not None and not isinstance(data.external_ref, str):
        data = msgspec.structs.replace(data, external_ref=str(data.external_ref))
    # the detected language is kept, so the import does not detect it again
    return msgspec.structs.replace(data, language=tickets.validate(data))


async def run_import(url: str, org: str, project: str, path: Path, *, show_progress: bool) -> dict[str, Any]:
    pool = await create_pool(url)
    try:
        proj = await tenancy.project_by_slug(pool, org, project)
        rows = list(read_rows(path))
        counts = {"imported": 0, "skipped_existing": 0, "bad": 0}
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        started = time.monotonic()
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            parsed: list[tuple[int, TicketCreate]] = []
            for line, row in chunk:
                try:
                    if isinstance(row, str):
                        raise Invalid(row)
                    parsed.append((line, to_ticket(row)))
                except CrashdeskError as exc:
                    counts["bad"] += 1
                    errors.append({"line": line, "error": exc.detail})
            refs = [d.external_ref for _, d in parsed if d.external_ref]
            done = await tickets_sql.by_external_refs(pool, proj.id, refs) if refs else {}
            todo = [(n, d) for n, d in parsed if not (d.external_ref and d.external_ref in done)]
            counts["skipped_existing"] += len(parsed) - len(todo)
            # rows repeating an external_ref within the file: the first wins
            unique = []
            for n, d in todo:
                if d.external_ref and d.external_ref in seen:
                    counts["bad"] += 1
                    errors.append({"line": n, "error": f"external_ref {d.external_ref!r} repeats an earlier row"})
                    continue
                if d.external_ref:
                    seen.add(d.external_ref)
                unique.append((n, d))
            imported, failed = await ticket_import.import_batch(pool, proj.organization_id, proj.id, unique)
            counts["imported"] += imported
            counts["bad"] += len(failed)
            errors += failed
            if show_progress:
                _bar(min(start + CHUNK, len(rows)), len(rows), started)
        if show_progress:
            sys.stderr.write("\n")
        seconds = time.monotonic() - started
        errors.sort(key=lambda e: e["line"])
        return {"project_id": proj.id, **counts, "rows": len(rows), "seconds": round(seconds, 2),
                "per_second": round(counts["imported"] / seconds, 1) if seconds else None, "errors": errors}
    finally:
        await pool.close()


def _bar(done: int, total: int, started: float, width: int = 30) -> None:
    share = done / total if total else 1.0
    filled = int(width * share)
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows  {rate:,.0f}/s ")
    sys.stderr.flush()


async def _migrated_import(url: str, args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from server.database import connect
    from server.migrate import migrate

    conn = await connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return await run_import(url, args.org, args.project, path, show_progress=not args.json)


def cmd_import_tickets(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, database_url

    path = Path(args.file)
    if not path.is_file():
        raise Invalid(f"{path}: no such file")
    with database_url(settings) as url:
        out = asyncio.run(_migrated_import(url, args, path))
    lines = [f"line {e['line']}: {e['error']}" for e in out["errors"]]
    lines.append(f"imported {out['imported']} ticket(s), skipped {out['skipped_existing']} already imported,"
                 f" {out['bad']} bad row(s) ({out['per_second']}/s)")
    _emit(args, out, "\n".join(lines))


def register(sub: Any) -> None:
    """Add ``import tickets`` to the ``crashdesk`` parser's subcommands."""
    p = sub.add_parser("import", help="bulk import (tickets)")
    what = p.add_subparsers(dest="what", required=True)
    t = what.add_parser("tickets", help="import tickets from CSV (with a header) or JSONL; resumable by external_ref")
    t.add_argument("org")
    t.add_argument("project")
    t.add_argument("file")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=cmd_import_tickets)
