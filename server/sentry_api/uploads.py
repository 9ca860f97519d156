"""Chunked uploads, artifact bundles, debug files and the older one-request uploads."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile

from server.services import artifacts
from server.api.auth import require_token
from server.db import tenancy
from server.errors import Invalid
from server.sentry_api import scope
from server.services import sentry_uploads as uploads
from server.settings import Settings


async def _files(request: Request[Any, Any, Any]) -> tuple[list[tuple[str, str, bytes]], dict[str, str]]:
    """Multipart file parts as (field, file name, bytes), and the plain fields."""
    form = await request.form()
    files, fields = [], {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append((key, value.filename or "", await value.read()))
        else:
            fields[key] = str(value)
    return files, fields


def _decode(request_body: bytes, type_: Any) -> Any:
    try:
        return msgspec.json.decode(request_body, type=type_)
    except msgspec.DecodeError as exc:
        raise Invalid(f"request body: {exc}") from None


def controller(settings: Settings) -> type[Controller]:
    limit = settings.max_artifact_bytes

    class SentryUploadController(Controller):
        guards = [require_token]
        request_max_body_size = max(uploads.MAX_REQUEST_SIZE, limit) + (1 << 20)

        @get("/api/0/organizations/{org:str}/chunk-upload/")
        async def chunk_options(self, request: Request[Any, Any, Any], org: str) -> uploads.ChunkOptionsOut:
            await scope.organization(request, org)
            url = str(request.base_url).rstrip("/") + f"/api/0/organizations/{org}/chunk-upload/"
            return uploads.options(url, limit)

        @post("/api/0/organizations/{org:str}/chunk-upload/", status_code=200)
        async def chunk_upload(self, request: Request[Any, Any, Any], org: str) -> dict[str, int]:
            o = await scope.organization(request, org)
            files, _ = await _files(request)
            return {"chunks": await uploads.accept_chunks(request.app.state.pool, o.id, files)}

        @post("/api/0/organizations/{org:str}/artifactbundle/assemble/", status_code=200)
        async def assemble_bundle(self, request: Request[Any, Any, Any], org: str) -> uploads.AssembleOut:
            o = await scope.organization(request, org)
            body: uploads.BundleIn = _decode(await request.body(), uploads.BundleIn)
            if not body.projects:
                raise Invalid("name at least one project ('projects': [slug, ...])", "projects")
            projects = await scope.projects(request, org, body.projects)
            return await uploads.assemble_bundle(request.app.state.pool, o.id, projects, body, limit)

        @post("/api/0/organizations/{org:str}/releases/{version:str}/assemble/", status_code=200)
        async def assemble_release_files(self, request: Request[Any, Any, Any], org: str, version: str) -> uploads.AssembleOut:
            """Older sentry-cli's chunked release files: the same zip, the release named by the path."""
            o = await scope.organization(request, org)
            body: uploads.BundleIn = _decode(await request.body(), uploads.BundleIn)
            projects = await scope.projects(request, org, body.projects) if body.projects else \
                await tenancy.projects_of(request.app.state.pool, o.id)
            body = msgspec.structs.replace(body, version=version)
            return await uploads.assemble_bundle(request.app.state.pool, o.id, projects, body, limit)

        @post("/api/0/projects/{org:str}/{project:str}/files/difs/assemble/", status_code=200)
        async def assemble_difs(self, request: Request[Any, Any, Any], org: str, project: str) -> dict[str, uploads.DifAssembleOut]:
            p = await scope.project(request, org, project)
            body: dict[str, uploads.DifIn] = _decode(await request.body(), dict[str, uploads.DifIn])
            return await uploads.assemble_difs(request.app.state.pool, p, body, limit)

        @post("/api/0/projects/{org:str}/{project:str}/files/dsyms/", status_code=200)
        async def upload_dsyms(self, request: Request[Any, Any, Any], org: str, project: str) -> list[uploads.DifOut]:
            """The one-request upload of debug files and ProGuard mappings (older sentry-cli)."""
            p = await scope.project(request, org, project)
            files, _ = await _files(request)
            if not files:
                raise Invalid("no files: send multipart/form-data with a 'file' part", "file")
            prepared = [await asyncio.to_thread(artifacts.prepare, name or field, data, max_bytes=limit, release="")
                        for field, name, data in files]
            async with request.app.state.pool.acquire() as conn:
                stored, _ = await artifacts.store(conn, p.id, "", "", prepared)
            return [uploads.dif_out(a) for a in stored]

        @post("/api/0/projects/{org:str}/{project:str}/releases/{version:str}/files/", status_code=201)
        async def upload_release_file(self, request: Request[Any, Any, Any], org: str, project: str, version: str) -> dict[str, Any]:
            """Legacy release file: one file per request, ``name`` the URL it answers to."""
            p = await scope.project(request, org, project)
            files, fields = await _files(request)
            if len(files) != 1:
                raise Invalid("send exactly one 'file' part (and 'name', optionally 'dist')", "file")
            field, filename, data = files[0]
            name = fields.get("name") or filename or field
            prepared = await asyncio.to_thread(artifacts.prepare, name, data, max_bytes=limit, release=version)
            async with request.app.state.pool.acquire() as conn:
                stored, _ = await artifacts.store(conn, p.id, version, fields.get("dist", ""), [prepared])
            return _release_file(stored[0])

        @get("/api/0/projects/{org:str}/{project:str}/releases/{version:str}/files/")
        async def list_release_files(self, request: Request[Any, Any, Any], org: str, project: str, version: str) -> list[dict[str, Any]]:
            p = await scope.project(request, org, project)
            return [_release_file(a) for a in await artifacts.list_release(request.app.state.pool, p.id, version)]

    return SentryUploadController


def _release_file(a: artifacts.ArtifactOut) -> dict[str, Any]:
    return {"id": str(a.id), "name": a.name, "dist": a.dist, "sha1": a.checksum, "size": a.size,
            "dateCreated": a.created_at.isoformat(), "headers": {}}
