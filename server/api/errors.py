"""The one map from errors to JSON: every ``/api/0`` error answers ``{"detail": str, "code": str}``.

``server.errors`` classes carry their own ``status`` and ``code``; litestar's own exceptions
(routing, validation, auth, body limits) are mapped by status. A validation error names the
parameter or field and, for an enum, the values it allows.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.exceptions.responses import create_exception_response
from litestar.handlers import HTTPRouteHandler

from server.errors import CrashdeskError, TooManyRequests, Unavailable

log = logging.getLogger(__name__)

CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorOut(msgspec.Struct, frozen=True):
    """The body of every API error."""

    detail: str
    code: str


def error_response(status: int, detail: str, code: str | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        ErrorOut(detail, code or CODES.get(status, "error")),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def on_crashdesk_error(_: Request[Any, Any, Any], exc: CrashdeskError) -> Response[Any]:
    if exc.status >= 500 and not isinstance(exc, Unavailable):
        log.error("internal error", exc_info=exc)
        return error_response(500, "internal error", "internal")
    headers = None
    if isinstance(exc, (Unavailable, TooManyRequests)):
        headers = {"Retry-After": str(exc.retry_after)}
    elif exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="crashdesk"'}
    return error_response(exc.status, exc.detail, exc.code, headers)


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    if not _is_api(request):
        return create_exception_response(request, exc)
    problems = exc.extra if isinstance(exc.extra, list) else []
    details = [_explain(request, p) for p in problems if isinstance(p, dict)]
    return error_response(400, "; ".join(details) or str(exc.detail), "invalid")


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if not _is_api(request):
        return create_exception_response(request, exc)
    headers = dict(exc.headers or {})
    return error_response(exc.status_code, str(exc.detail), None, headers or None)


def on_database_refused(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Any]:
    """A value PostgreSQL cannot take (out of range, not valid text) is the sender's mistake: a last net."""
    if not _is_api(request):
        return create_exception_response(request, ValidationException(str(exc)))
    return error_response(400, f"a value was refused: {str(exc)[:300]}", "invalid")


def on_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return error_response(503, "the database is unavailable; retry shortly", "unavailable", {"Retry-After": "5"})


def on_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    if not _is_api(request):
        return create_exception_response(request, InternalServerException())
    return error_response(500, "internal error", "internal")


def _is_api(request: Request[Any, Any, Any]) -> bool:
    """Pages (outside ``/api/``) keep litestar's responses unless their own layer maps errors."""
    return str(request.scope.get("path", "")).startswith("/api/")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    CrashdeskError: on_crashdesk_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    asyncpg.DataError: on_database_refused,
    asyncpg.PostgresConnectionError: on_database_unavailable,
    asyncpg.exceptions.InternalClientError: on_database_unavailable,
    asyncpg.exceptions.OperatorInterventionError: on_database_unavailable,
    asyncpg.exceptions.InsufficientResourcesError: on_database_unavailable,
    ConnectionError: on_database_unavailable,
    TimeoutError: on_database_unavailable,  # waiting for a pool connection
    Exception: on_internal_error,
}


def _explain(request: Request[Any, Any, Any], problem: dict[str, Any]) -> str:
    """One problem of a validation error as ``where: what`` (enums list their allowed values)."""
    key = str(problem.get("key") or "")
    source = str(getattr(problem.get("source"), "value", problem.get("source") or ""))
    message = str(problem.get("message") or "invalid value")
    where = f"{source} parameter {key!r}" if source in ("query", "path", "header", "cookie") else f"field {key!r}"
    if not key:
        where = "request body"
    if "enum" in message or "literal" in message.lower():
        allowed = allowed_values(_annotation(request, key, source))
        if allowed:
            message += f"; allowed: {', '.join(map(str, allowed))}"
    return f"{where}: {message}"


def _annotation(request: Request[Any, Any, Any], key: str, source: str) -> Any:
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return None
    params = handler.parsed_fn_signature.parameters
    if source != "body":
        for name, field in params.items():
            alias = getattr(field.kwarg_definition, "query", None) or name
            if key in (name, alias):
                return field.annotation
        return None
    data = params.get("data")
    if data is None:
        return None
    annotation: Any = msgspec.inspect.type_info(data.annotation)
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        while isinstance(annotation, msgspec.inspect.UnionType):  # Optional[X] -> X
            kinds = [t for t in annotation.types if not isinstance(t, msgspec.inspect.NoneType)]
            if len(kinds) != 1:
                return None
            annotation = kinds[0]
        if part.startswith("["):
            annotation = getattr(annotation, "item_type", None)
        else:
            fields = {f.encode_name: f.type for f in getattr(annotation, "fields", ())}
            annotation = fields.get(part)
        if annotation is None:
            return None
    return annotation


def allowed_values(annotation: Any) -> list[Any]:
    """Values an enum or ``Literal`` type (optionally ``| None``) allows; [] for other types."""
    if annotation is None:
        return []
    info = annotation if isinstance(annotation, msgspec.inspect.Type) else msgspec.inspect.type_info(annotation)
    if isinstance(info, msgspec.inspect.UnionType):
        return [v for t in info.types for v in allowed_values(t)]
    if isinstance(info, msgspec.inspect.LiteralType):
        return list(info.values)
    if isinstance(info, msgspec.inspect.EnumType):
        return [m.value for m in info.cls]
    return []
