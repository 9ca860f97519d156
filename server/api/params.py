"""Checks every request's query and path parameters against what its handler declares.

Runs as the app's ``before_request`` hook (after routing and auth, before litestar parses
arguments), so a misspelled filter (``?relase=``) is a 400 naming it instead of a silently
unfiltered list, and values PostgreSQL would refuse (a NUL character, an integer beyond
64 bits) are a 400 saying so instead of a 500.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar._kwargs import KwargsModel
from litestar.handlers import HTTPRouteHandler

from server.api.errors import allowed_values
from server.errors import Invalid

INT64 = (-(2**63), 2**63 - 1)

_models: dict[tuple[int, frozenset[str]], KwargsModel] = {}


def _model(handler: HTTPRouteHandler, path_params: frozenset[str]) -> KwargsModel:
    key = (id(handler), path_params)
    model = _models.get(key)
    if model is None:
        model = _models[key] = handler.create_kwargs_model(path_parameters=dict.fromkeys(path_params))  # type: ignore[arg-type]
    return model


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Raise ``Invalid`` for an undeclared query parameter or a value no handler could use."""
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return
    path_params: dict[str, Any] = request.scope.get("path_params") or {}
    model = _model(handler, frozenset(path_params))
    if "query" in model.expected_reserved_kwargs:
        return  # the handler reads the raw query itself
    declared = {p.field_alias: p for p in model.expected_query_params}
    fields = handler.parsed_fn_signature.parameters
    for name, value in path_params.items():
        _check_value("path", name, value)
    for name, value in request.query_params.multi_items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise Invalid(f"unknown query parameter {name!r} (this endpoint takes: {known})", name)
        _check_value("query", name, value)
        field = fields.get(declared[name].field_name)
        allowed = allowed_values(field.annotation) if field is not None else []
        if allowed and value not in [str(v) for v in allowed]:
            raise Invalid(
                f"query parameter {name!r}: {value[:64]!r} is not allowed; allowed: {', '.join(map(str, allowed))}", name
            )
        _check_int(field, name, value)


def _check_value(source: str, name: str, value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise Invalid(f"{source} parameter {name!r} contains a NUL character", name)
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        raise Invalid(f"{source} parameter {name!r}: {value} is beyond the 64-bit integer range", name)


def _check_int(field: Any, name: str, value: str) -> None:
    if field is None or not _is_int(field.annotation):
        return
    try:
        number = int(value)
    except ValueError:
        return  # litestar's validation names it
    _check_value("query", name, number)


def _is_int(annotation: Any) -> bool:
    try:
        info = msgspec.inspect.type_info(annotation)
    except (TypeError, ValueError):
        return False
    if isinstance(info, msgspec.inspect.UnionType):
        return any(isinstance(t, msgspec.inspect.IntType) for t in info.types)
    return isinstance(info, msgspec.inspect.IntType)
