"""``crashdesk upload`` and ``crashdesk artifacts``: symbolication files from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import msgspec

from server.services import artifacts
from server.db import tenancy
from server.errors import CrashdeskError
from server.settings import Settings


def cmd_upload(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    release = args.release or ""
    prepared = []
    for path in map(Path, args.files):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise artifacts.ArtifactRejected(str(path), f"cannot read: {exc.strerror}") from None
        prepared.append(artifacts.prepare(args.url_prefix + path.name, data, max_bytes=settings.max_artifact_bytes, release=release))

    async def go(conn: Any) -> tuple[int, list[artifacts.ArtifactOut], int]:
        project = await tenancy.project_by_slug(conn, args.org, args.project)
        stored, requeued = await artifacts.store(conn, project.id, release, args.dist or "", prepared)
        return project.id, stored, requeued

    project_id, stored, requeued = _with_db(settings, go)
    lines = [f"{a.kind:16} {','.join(a.debug_ids) or '-':40} {a.checksum} {a.name}{'' if a.stored else ' (unchanged)'}" for a in stored]
    lines.append(f"{len(stored)} file(s) for {args.org}/{args.project}" + (f" release {release}" if release else " (by debug id)")
                 + (f"; {requeued} event(s) sent back to symbolication" if requeued else ""))
    out = {"project_id": project_id, "release": release or None, "dist": args.dist, "requeued_events": requeued,
           "artifacts": msgspec.to_builtins(stored)}
    _emit(args, out, "\n".join(lines))


def cmd_artifacts(args: argparse.Namespace, settings: Settings) -> None:
    from server.cli import _emit, _with_db

    release = args.release or ""

    async def go(conn: Any) -> list[artifacts.ArtifactOut]:
        project = await tenancy.project_by_slug(conn, args.org, args.project)
        if args.delete is not None and not await artifacts.delete(conn, project.id, release, args.delete):
            raise CrashdeskError(f"artifact {args.delete} not found in {'release ' + release if release else 'the release-less artifacts'}")
        return await artifacts.list_release(conn, project.id, release)

    listed = _with_db(settings, go)
    text = "\n".join(f"{a.id:6} {a.kind:16} {a.size:10} {a.checksum} {a.name}" for a in listed) or "no artifacts"
    _emit(args, {"release": release or None, "artifacts": msgspec.to_builtins(listed), "deleted": args.delete}, text)


def register(sub: Any) -> None:
    """Add the artifact commands to the ``crashdesk`` parser's subcommands."""
    p = sub.add_parser("upload", help="upload source maps, minified JS, ProGuard mappings or native debug files")
    p.add_argument("org")
    p.add_argument("project")
    p.add_argument("files", nargs="+", metavar="FILE", help="kind is detected from the content")
    p.add_argument("--release", help="release the files belong to; without it files are found by debug id only")
    p.add_argument("--dist", default="", help="distribution within the release")
    p.add_argument("--url-prefix", default="", help="stored name = prefix + file name, e.g. '~/static/js/'")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_upload)
    p = sub.add_parser("artifacts", help="list (or delete) a release's artifacts")
    p.add_argument("org")
    p.add_argument("project")
    p.add_argument("--release", help="without it: the artifacts uploaded by debug id")
    p.add_argument("--delete", type=int, metavar="ID", help="delete this artifact first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_artifacts)
