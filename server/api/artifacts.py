"""Artifact API: upload (multipart), list and delete per release, or by debug id alone.

``/api/0/projects/{id}/releases/{release}/artifacts/`` holds a release's files;
``/api/0/projects/{id}/artifacts/`` holds files found by debug id only (native debug
files, ProGuard mappings, JS files with debug ids), uploaded without a release.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, NotFoundException
from litestar.status_codes import HTTP_201_CREATED

from server import artifacts
from server.api.auth import require_token
from server.api.routes import project_of
from server.settings import Settings


class UploadOut(msgspec.Struct, frozen=True):
    artifacts: list[artifacts.ArtifactOut]
    requeued_events: int  # events that lacked one of these files, sent back to processing


async def _upload(request: Request[Any, Any, Any], project_id: int, release: str, settings: Settings) -> UploadOut:
    await project_of(request, project_id)
    form = await request.form()
    files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
    if not files:
        raise HTTPException(status_code=400, detail="no files: send multipart/form-data with one or more 'file' parts")
    dist = str(form.get("dist") or "")
    name = form.get("name")
    if name and len(files) > 1:
        raise HTTPException(status_code=400, detail="'name' names a single file; send one file per request to use it")
    prepared = []
    for field, upload in files:
        filename = str(name) if name else (upload.filename or field)
        data = await upload.read()
        try:
            prepared.append(await asyncio.to_thread(
                artifacts.prepare, filename, data, max_bytes=settings.max_artifact_bytes, release=release
            ))
        except artifacts.ArtifactRejected as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc), extra={"file": exc.filename, "reason": exc.reason}) from None
    async with request.app.state.pool.acquire() as conn:
        stored, requeued = await artifacts.store(conn, project_id, release, dist, prepared)
    return UploadOut(stored, requeued)


async def _delete(request: Request[Any, Any, Any], project_id: int, release: str, artifact_id: int) -> None:
    await project_of(request, project_id)
    if not await artifacts.delete(request.app.state.pool, project_id, release, artifact_id):
        where = f"release {release}" if release else "the release-less artifacts"
        raise NotFoundException(f"artifact {artifact_id} not found in {where} of project {project_id}")


def controller(settings: Settings) -> type[Controller]:
    """The controller, with the request size limit from ``settings`` (one file's limit plus 1 MiB)."""

    class ArtifactController(Controller):
        path = "/api/0/projects/{project_id:int}"
        guards = [require_token]
        request_max_body_size = settings.max_artifact_bytes + (1 << 20)

        @post("/releases/{release:str}/artifacts/", status_code=HTTP_201_CREATED)
        async def upload_release(self, request: Request[Any, Any, Any], project_id: int, release: str) -> UploadOut:
            """Upload files of a release (multipart: 'file' parts, optional 'dist' and 'name')."""
            return await _upload(request, project_id, release, settings)

        @post("/artifacts/", status_code=HTTP_201_CREATED)
        async def upload_by_debug_id(self, request: Request[Any, Any, Any], project_id: int) -> UploadOut:
            """Upload files found by their debug id, for any release."""
            return await _upload(request, project_id, "", settings)

        @get("/releases/{release:str}/artifacts/")
        async def list_release(self, request: Request[Any, Any, Any], project_id: int, release: str) -> list[artifacts.ArtifactOut]:
            await project_of(request, project_id)
            return await artifacts.list_release(request.app.state.pool, project_id, release)

        @get("/artifacts/")
        async def list_by_debug_id(self, request: Request[Any, Any, Any], project_id: int) -> list[artifacts.ArtifactOut]:
            await project_of(request, project_id)
            return await artifacts.list_release(request.app.state.pool, project_id, "")

        @delete("/releases/{release:str}/artifacts/{artifact_id:int}")
        async def delete_release(self, request: Request[Any, Any, Any], project_id: int, release: str, artifact_id: int) -> None:
            await _delete(request, project_id, release, artifact_id)

        @delete("/artifacts/{artifact_id:int}")
        async def delete_by_debug_id(self, request: Request[Any, Any, Any], project_id: int, artifact_id: int) -> None:
            await _delete(request, project_id, "", artifact_id)

    return ArtifactController
