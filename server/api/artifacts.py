"""Artifact routes: upload (multipart), list and delete per release, or by debug id alone.

``/api/0/projects/{id}/releases/{release}/artifacts/`` holds a release's files;
``/api/0/projects/{id}/artifacts/`` holds files found by debug id only (native debug
files, ProGuard mappings, JS files with debug ids), uploaded without a release.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.status_codes import HTTP_201_CREATED

from server.api.auth import caller, require_token
from server.errors import Invalid
from server.services import artifacts, projects
from server.services.artifacts import ArtifactsPage, UploadOut
from server.services.wire import DEFAULT_LIMIT, MAX_LIMIT, Text
from server.settings import Settings

Request_ = Request[Any, Any, Any]


@dataclass
class ArtifactUpload:
    """multipart/form-data: one or more ``file`` parts; ``name`` renames a single file (e.g. ``~/app.min.js``)."""

    file: list[UploadFile]
    dist: Text | None = None
    name: Text | None = None


Upload = Annotated[ArtifactUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


async def _upload(request: Request_, project_id: int, release: str, form: ArtifactUpload, settings: Settings) -> UploadOut:
    if form.name and len(form.file) > 1:
        raise Invalid("'name' names a single file; send one file per request to use it", "name")
    pool, org = caller(request)
    await projects.require(pool, org, project_id)  # before the costly preparation
    prepared = []
    for upload in form.file:
        filename = form.name or upload.filename or "file"
        data = await upload.read()
        prepared.append(
            await asyncio.to_thread(artifacts.prepare, filename, data, max_bytes=settings.max_artifact_bytes, release=release)
        )
    return await artifacts.upload(pool, org, project_id, release, form.dist or "", prepared)


def controller(settings: Settings) -> type[Controller]:
    """The controller, with the request size limit from ``settings`` (one file's limit plus 1 MiB)."""

    class ArtifactController(Controller):
        path = "/api/0/projects/{project_id:int}"
        guards = [require_token]
        request_max_body_size = settings.max_artifact_bytes + (1 << 20)
        tags = ["artifacts"]

        @post("/releases/{release:str}/artifacts/", status_code=HTTP_201_CREATED)
        async def upload_release(self, request: Request_, project_id: int, release: str, data: Upload) -> UploadOut:
            """Upload files of a release (source maps, minified JS, ProGuard mappings, native debug files)."""
            return await _upload(request, project_id, release, data, settings)

        @post("/artifacts/", status_code=HTTP_201_CREATED)
        async def upload_by_debug_id(self, request: Request_, project_id: int, data: Upload) -> UploadOut:
            """Upload files found by their debug id, for any release."""
            return await _upload(request, project_id, "", data, settings)

        @get("/releases/{release:str}/artifacts/")
        async def list_release(
            self,
            request: Request_,
            project_id: int,
            release: str,
            limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
            cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
        ) -> ArtifactsPage:
            """A release's files, by name."""
            pool, org = caller(request)
            return await artifacts.list_page(pool, org, project_id, release, limit=limit, cursor_=cursor)

        @get("/artifacts/")
        async def list_by_debug_id(
            self,
            request: Request_,
            project_id: int,
            limit: int = Parameter(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
            cursor: str | None = Parameter(default=None, description="next_cursor of the previous page"),
        ) -> ArtifactsPage:
            """Files uploaded without a release (found by debug id), by name."""
            pool, org = caller(request)
            return await artifacts.list_page(pool, org, project_id, "", limit=limit, cursor_=cursor)

        @delete("/releases/{release:str}/artifacts/{artifact_id:int}")
        async def delete_release(self, request: Request_, project_id: int, release: str, artifact_id: int) -> None:
            pool, org = caller(request)
            await artifacts.remove(pool, org, project_id, release, artifact_id)

        @delete("/artifacts/{artifact_id:int}")
        async def delete_by_debug_id(self, request: Request_, project_id: int, artifact_id: int) -> None:
            pool, org = caller(request)
            await artifacts.remove(pool, org, project_id, "", artifact_id)

    return ArtifactController
