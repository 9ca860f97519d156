"""A project's page: its DSN with SDK setup, client keys and their rate limits (admins change them),
and the release files used for symbolication (engineers upload them through the API's service)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile

from server.errors import Invalid
from server.services import artifacts, events, projects, releases
from server.services.events import EventFilter
from web.forms import field, form_of, int_field
from web.i18n import translator
from web.pages.org import base_url
from web.render import locale_of, redirect, render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
RECENT_RELEASES = 10
ARTIFACTS_SHOWN = 100
TRANSLATED = ["source_map", "minified_source", "proguard", "native_debug", "enabled", "disabled"]


def project_url(org_slug: str, project_id: int, release: str | None = None) -> str:
    return f"/o/{org_slug}/projects/{project_id}" + (f"?release={quote(release, safe='')}" if release is not None else "")


@get("/o/{org_slug:str}/projects/{project_id:int}")
async def project_page(request: Request_, org_slug: str, project_id: int, release: str | None = None) -> Response[Any]:
    _, m = await member(request, org_slug)
    db = pool(request)
    base = base_url(request)
    project, keys, recent, latest = await asyncio.gather(
        projects.require(db, m.organization_id, project_id),
        projects.list_keys(db, m.organization_id, project_id, base_url=base),
        releases.list_releases(db, m.organization_id, project_id, limit=RECENT_RELEASES),
        events.list_events(db, m.organization_id, project_id, filters=EventFilter(), limit=1),
    )
    shown_release = release if release is not None else (recent.releases[0].version if recent.releases else "")
    files = await artifacts.list_page(db, m.organization_id, project_id, shown_release, limit=ARTIFACTS_SHOWN)
    dsn = next((k.dsn for k in keys if k.enabled), keys[0].dsn if keys else "")
    key = next((k.public_key for k in keys if k.dsn == dsn), "")
    return render(
        request, "projects/project.html",
        project=project, keys=keys, dsn=dsn, releases=recent.releases, latest=latest.events[0] if latest.events else None,
        shown_release=shown_release, artifacts=files.artifacts, more_artifacts=files.next_cursor is not None,
        minidump_url=f"{base}/api/{project_id}/minidump/?sentry_key={key}", base=base,
    )


@post("/o/{org_slug:str}/projects/{project_id:int}/keys/{key_id:int}")
async def change_key(request: Request_, org_slug: str, project_id: int, key_id: int) -> Response[Any]:
    _, m = await member(request, org_slug, "admin")
    form = await form_of(request)
    change = projects.KeyUpdate(
        enabled=form.get("enabled") == "on",
        rate_limit_count=int_field(form, "rate_limit_count", required=False),
        rate_limit_window=int_field(form, "rate_limit_window", required=False) or 60,
    )
    key = await projects.update_key(pool(request), m.organization_id, project_id, key_id, change, base_url=base_url(request))
    _ = translator(locale_of(request))
    return redirect(request, project_url(org_slug, project_id) + "#keys", flash=_("Key {key} saved.", key=key.public_key[:8]))


@post("/o/{org_slug:str}/projects/{project_id:int}/artifacts", request_max_body_size=(100 << 20) + (1 << 20))
async def upload_artifacts(request: Request_, org_slug: str, project_id: int) -> Response[Any]:
    """The API's upload path for a browser form: prepare each file off the loop, then store them together."""
    _, m = await member(request, org_slug, "engineer")
    db = pool(request)
    await projects.require(db, m.organization_id, project_id)  # before the costly preparation
    fields = await form_of(request)
    release = field(fields, "release", required=False, max_length=releases.MAX_VERSION)
    dist = field(fields, "dist", required=False, max_length=64)
    uploads = [u for u in (await request.form()).getall("file") if isinstance(u, UploadFile) and u.filename]
    if not uploads:
        raise Invalid("choose at least one file to upload", "file")
    max_bytes = request.app.state.settings.max_artifact_bytes
    prepared = []
    for upload in uploads:
        data = await upload.read()
        prepared.append(await asyncio.to_thread(artifacts.prepare, upload.filename, data, max_bytes=max_bytes, release=release))
    out = await artifacts.upload(db, m.organization_id, project_id, release, dist, prepared)
    _ = translator(locale_of(request))
    message = _("Uploaded {files} file(s); {events} event(s) sent back to processing.", files=len(out.artifacts),
                events=out.requeued_events)
    return redirect(request, project_url(org_slug, project_id, release) + "#artifacts", flash=message)


ROUTES = [project_page, change_key, upload_artifacts]
