"""Organization and project lookups, as sentry-cli reads them (``Organization``, ``Project``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get

from server.api.auth import require_token
from server.db import tenancy
from server.sentry_api import scope


class OrganizationOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    slug: str
    name: str
    date_created: dt.datetime
    is_early_adopter: bool = False
    require_2fa: bool = msgspec.field(default=False, name="require2FA")
    require_email_verification: bool = False
    features: list[str] = []


class ProjectOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    slug: str
    name: str
    platform: str | None
    organization: dict[str, str]


class AuthOut(msgspec.Struct, frozen=True):
    """``GET /api/0/``: who the token is (``sentry-cli info``)."""

    version: str
    auth: dict[str, Any]
    user: None = None


def _project(p: tenancy.Project) -> ProjectOut:
    return ProjectOut(str(p.id), p.slug, p.name, p.platform, {"slug": p.organization})


class OrganizationController(Controller):
    guards = [require_token]

    @get("/api/0/")
    async def whoami(self, request: Request[Any, Any, Any]) -> AuthOut:
        return AuthOut("0", {"scopes": ["org:read", "project:releases", "project:write"]})

    @get("/api/0/organizations/{org:str}/")
    async def organization(self, request: Request[Any, Any, Any], org: str) -> OrganizationOut:
        o = await scope.organization(request, org)
        return OrganizationOut(str(o.id), o.slug, o.name, o.created_at)

    @get("/api/0/organizations/{org:str}/projects/")
    async def projects(self, request: Request[Any, Any, Any], org: str) -> list[ProjectOut]:
        o = await scope.organization(request, org)
        return [_project(p) for p in await tenancy.projects_of(request.app.state.pool, o.id)]

    @get("/api/0/projects/{org:str}/{project:str}/")
    async def project(self, request: Request[Any, Any, Any], org: str, project: str) -> ProjectOut:
        return _project(await scope.project(request, org, project))
