"""The OpenAPI document of ``/api/0``, completed: bearer security, and the error shape on every operation.

Litestar generates paths, parameters, request bodies and success responses from the
handlers' signatures. ``CompletedSchema`` adds what it cannot know: which operations need
a token (those guarded by ``require_token``) and the ``{"detail", "code"}`` body of every
error they can answer.
"""

from __future__ import annotations

import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from server.api.auth import SAFE_METHODS, require_token

SCHEMA_PATH = "/api/0/schema"  # docs page at SCHEMA_PATH (and /docs), document at SCHEMA_PATH/openapi.json
STATIC_PATH = "/api/0/schema/static"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "what was wrong, naming the parameter or field"},
        "code": {"type": "string", "description": "stable machine-readable kind: invalid, unauthorized, not_found, ..."},
    },
}
ERRORS = {
    "400": "invalid parameter or body (unknown parameters included)",
    "401": "missing, unknown, expired or revoked token",
    "403": "the token's scopes do not allow this",
    "404": "not found (or another organization's)",
    "503": "the database is unavailable; retry after Retry-After seconds",
}


_completed: dict[int, dict[str, Any]] = {}


def completed(request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> dict[str, Any]:
    """The app's schema with security and error responses filled in (computed once per app)."""
    key = id(request.app)
    if key not in _completed:
        _completed[key] = complete(openapi_schema, guarded_operations(request.app.routes))
    return _completed[key]


class CompletedJson(JsonRenderPlugin):
    """``openapi.json``, completed."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return self.render_json(request, completed(request, openapi_schema))


class LocalSwagger(SwaggerRenderPlugin):
    """Swagger UI from the ``swagger-ui-py`` package's files, served here: the docs work offline."""

    def __init__(self) -> None:
        super().__init__(
            js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            css_url=f"{STATIC_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{STATIC_PATH}/favicon-32x32.png'>",
            path="/docs",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, completed(request, openapi_schema))


def docs_assets() -> Router:
    """The Swagger UI files (``swagger_ui/static`` of ``swagger-ui-py``) at ``STATIC_PATH``."""
    return create_static_files_router(
        path=STATIC_PATH, directories=[Path(str(files("swagger_ui") / "static"))], include_in_schema=False
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Crashdesk API",
        version="0.1.0",
        description="Crash reports, clusters and artifacts of the token's organization. "
        "Errors answer {\"detail\", \"code\"}; lists are pages {\"<things>\": [...], \"next_cursor\"}.",
        path=SCHEMA_PATH,
        render_plugins=[LocalSwagger(), CompletedJson()],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer",
                                                                          description="crashdesk token create ORG")}),
    )


def guarded_operations(routes: Any) -> dict[tuple[str, str], str]:
    """(path, method) -> token scope needed, for every operation behind ``require_token``."""
    out = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if require_token in handler.resolve_guards():
                for m in handler.http_methods:
                    scope = handler.opt.get("scope") or ("read" if m in SAFE_METHODS else "write")
                    out[(route.path_format, m.lower())] = str(scope)
    return out


def complete(schema: dict[str, Any], guarded: dict[tuple[str, str], str]) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            codes = ["400", "503"]
            if (path, method) in guarded:
                op["security"] = [{"bearer": [guarded[(path, method)]]}]  # OpenAPI 3.1: the role (scope) it needs
                codes += ["401", "403"]
            else:
                op["security"] = []
            if "{" in path:
                codes.append("404")
            for code in codes:
                op["responses"][code] = {"description": ERRORS[code], "content": {"application/json": {"schema": ERROR_REF}}}
    return schema
