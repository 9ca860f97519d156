"""Releases as sentry-cli manages them: ``releases new / finalize / list / info``, ``deploys new / list``.

Sentry's releases belong to the organization and list their projects; Crashdesk's
belong to one project each (``server.services.releases``). An organization-level
release is therefore the same version in each project named: created in each,
finalized and deployed in each that has it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.status_codes import HTTP_201_CREATED

from server.api.auth import require_token
from server.db import tenancy
from server.errors import Invalid, NotFound
from server.sentry_api import scope
from server.services import releases


class ReleaseIn(msgspec.Struct, frozen=True, rename="camel"):
    version: str
    projects: list[str | int] = []
    url: str | None = None
    date_started: dt.datetime | None = None
    date_released: dt.datetime | None = None


class ReleaseChange(msgspec.Struct, frozen=True, rename="camel"):
    """What ``releases finalize`` (and friends) PUT; commits, refs and status are accepted and ignored."""

    projects: list[str | int] | None = None
    date_released: dt.datetime | None = None
    url: str | None = None
    version: str | None = None
    refs: Any = None
    commits: Any = None
    status: str | None = None


class DeployIn(msgspec.Struct, frozen=True, rename="camel"):
    environment: str
    name: str | None = None
    url: str | None = None
    date_started: dt.datetime | None = None
    date_finished: dt.datetime | None = None
    projects: list[str] | None = None


class ReleaseInfo(msgspec.Struct, frozen=True, rename="camel"):
    version: str
    date_created: dt.datetime
    date_released: dt.datetime | None
    last_event: dt.datetime | None
    new_groups: int
    projects: list[dict[str, str]]
    url: str | None = None


class DeployInfo(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    environment: str
    name: str | None
    url: str | None
    date_started: dt.datetime | None
    date_finished: dt.datetime


def _decode(body: bytes, type_: Any) -> Any:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise Invalid(f"request body: {exc}") from None


def _info(version: str, found: list[tuple[tenancy.Project, releases.ReleaseOut]]) -> ReleaseInfo:
    outs = [r for _, r in found]
    released = [r.released_at for r in outs if r.released_at is not None]
    last = [r.last_event for r in outs if r.last_event is not None]
    return ReleaseInfo(
        version=version,
        date_created=min(r.created_at for r in outs),
        date_released=max(released) if released else None,
        last_event=max(last) if last else None,
        new_groups=sum(r.cluster_count for r in outs),
        projects=[{"slug": p.slug, "name": p.name} for p, _ in found],
    )


async def _existing(request: Request[Any, Any, Any], org: str, version: str,
                    only: list[str | int] | None = None) -> list[tuple[tenancy.Project, releases.ReleaseOut]]:
    """The projects (all of the organization's, or ``only``) that have ``version``; 404 if none."""
    o = await scope.organization(request, org)
    projects = await scope.projects(request, org, [str(p) for p in only]) if only else \
        await tenancy.projects_of(request.app.state.pool, o.id)
    found = []
    async with request.app.state.pool.acquire() as conn:
        for p in projects:
            try:
                found.append((p, await releases.get_release(conn, o.id, p.id, version)))
            except NotFound:
                continue
    if not found:
        raise NotFound("release", version)
    return found


class SentryReleaseController(Controller):
    guards = [require_token]

    @post("/api/0/organizations/{org:str}/releases/", status_code=HTTP_201_CREATED)
    async def create(self, request: Request[Any, Any, Any], org: str) -> ReleaseInfo:
        """Create the version in every project listed (sentry-cli sends ``-p`` slugs)."""
        return await _create(request, org, _decode(await request.body(), ReleaseIn))

    @post("/api/0/projects/{org:str}/{project:str}/releases/", status_code=HTTP_201_CREATED)
    async def create_in_project(self, request: Request[Any, Any, Any], org: str, project: str) -> ReleaseInfo:
        """sentry-cli 2.x (inside the bundler plugins) creates a single project's release here."""
        body: ReleaseIn = _decode(await request.body(), ReleaseIn)
        return await _create(request, org, msgspec.structs.replace(body, projects=[project]))

    @put("/api/0/projects/{org:str}/{project:str}/releases/{version:str}/")
    async def update_in_project(self, request: Request[Any, Any, Any], org: str, project: str, version: str) -> ReleaseInfo:
        await scope.project(request, org, project)
        return await _update(request, org, version, _decode(await request.body(), ReleaseChange))

    @get("/api/0/projects/{org:str}/{project:str}/releases/{version:str}/")
    async def detail_in_project(self, request: Request[Any, Any, Any], org: str, project: str, version: str) -> ReleaseInfo:
        return _info(version, await _existing(request, org, version, [project]))

    @get("/api/0/organizations/{org:str}/releases/")
    async def list_org(self, request: Request[Any, Any, Any], org: str) -> list[ReleaseInfo]:
        o = await scope.organization(request, org)
        return await _listed(request, o.id, await tenancy.projects_of(request.app.state.pool, o.id))

    @get("/api/0/projects/{org:str}/{project:str}/releases/")
    async def list_project(self, request: Request[Any, Any, Any], org: str, project: str) -> list[ReleaseInfo]:
        p = await scope.project(request, org, project)
        return await _listed(request, p.organization_id, [p])

    @get("/api/0/organizations/{org:str}/releases/{version:str}/")
    async def detail(self, request: Request[Any, Any, Any], org: str, version: str) -> ReleaseInfo:
        return _info(version, await _existing(request, org, version))

    @put("/api/0/organizations/{org:str}/releases/{version:str}/")
    async def update(self, request: Request[Any, Any, Any], org: str, version: str) -> ReleaseInfo:
        return await _update(request, org, version, _decode(await request.body(), ReleaseChange))

    @post("/api/0/organizations/{org:str}/releases/{version:str}/deploys/", status_code=HTTP_201_CREATED)
    async def deploy(self, request: Request[Any, Any, Any], org: str, version: str) -> DeployInfo:
        """A deploy of the release to an environment, recorded in each project that has the release."""
        body: DeployIn = _decode(await request.body(), DeployIn)
        o = await scope.organization(request, org)
        found = await _existing(request, org, version, list(body.projects) if body.projects else None)
        create = releases.DeployCreate(body.environment, body.name, body.url, body.date_started, body.date_finished)
        async with request.app.state.pool.acquire() as conn:
            outs = [await releases.add_deploy(conn, o.id, p.id, version, create) for p, _ in found]
        return _deploy(outs[0])

    @get("/api/0/organizations/{org:str}/releases/{version:str}/deploys/")
    async def deploys(self, request: Request[Any, Any, Any], org: str, version: str) -> list[DeployInfo]:
        o = await scope.organization(request, org)
        found = await _existing(request, org, version)
        seen: dict[tuple[Any, ...], DeployInfo] = {}
        async with request.app.state.pool.acquire() as conn:
            for p, _ in found:  # one organization-level deploy is a row in each project: show it once
                for d in await releases.list_deploys(conn, o.id, p.id, version):
                    seen.setdefault((d.environment, d.name, d.url, d.date_started, d.date_finished), _deploy(d))
        return list(seen.values())


def _deploy(d: releases.DeployOut) -> DeployInfo:
    return DeployInfo(str(d.id), d.environment, d.name, d.url, d.date_started, d.date_finished)


async def _listed(request: Request[Any, Any, Any], organization_id: int, projects: list[tenancy.Project]) -> list[ReleaseInfo]:
    """The newest page of each project's releases, merged by version (Sentry's list is capped too)."""
    by_version: dict[str, list[tuple[tenancy.Project, releases.ReleaseOut]]] = {}
    async with request.app.state.pool.acquire() as conn:
        for p in projects:
            for r in (await releases.list_releases(conn, organization_id, p.id, limit=100)).releases:
                by_version.setdefault(r.version, []).append((p, r))
    return [_info(v, found) for v, found in by_version.items()]


async def _create(request: Request[Any, Any, Any], org: str, body: ReleaseIn) -> ReleaseInfo:
    o = await scope.organization(request, org)
    if not body.projects:
        raise Invalid("name at least one project ('projects': [slug, ...]; sentry-cli: -p SLUG)", "projects")
    try:
        projects = await scope.projects(request, org, [str(p) for p in body.projects])
    except NotFound as exc:  # Sentry answers 400 for a body naming unknown projects; sentry-cli prints it
        raise Invalid(f"{exc.detail} in organization {org}", "projects") from None
    found = []
    async with request.app.state.pool.acquire() as conn:
        for p in projects:
            out, _ = await releases.create_release(conn, o.id, p.id, body.version, body.date_released)
            found.append((p, out))
    return _info(body.version, found)


async def _update(request: Request[Any, Any, Any], org: str, version: str, body: ReleaseChange) -> ReleaseInfo:
    """``dateReleased`` finalizes the release in every project that has it (a Sentry release is one
    object); ``projects`` adds the release to those projects, as in Sentry."""
    o = await scope.organization(request, org)
    found = await _existing(request, org, version)
    if body.projects:
        have = {p.id for p, _ in found}
        async with request.app.state.pool.acquire() as conn:
            for p in await scope.projects(request, org, [str(x) for x in body.projects]):
                if p.id not in have:
                    await releases.create_release(conn, o.id, p.id, version)
    if body.date_released is not None:
        async with request.app.state.pool.acquire() as conn:
            for p, _ in await _existing(request, org, version):
                await releases.finalize(conn, o.id, p.id, version, body.date_released)
    return _info(version, await _existing(request, org, version))
