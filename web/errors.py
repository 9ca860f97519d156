"""Error pages: ``{status}.html`` when there is one, else ``error.html``; sign-in needed is a redirect.

Used for every path outside ``/api/`` (the app wraps its JSON handlers with ``html_or``), so an
unknown URL, a missing cluster and another organization's ticket all look the same: 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import jinja2
from litestar import Request, Response
from litestar.exceptions import HTTPException

from server.database import CONNECTION_LOST, VALUE_REFUSED
from server.errors import CrashdeskError, TooManyRequests, Unavailable
from web.render import ENV, redirect, render
from web.session import SignInNeeded

log = logging.getLogger(__name__)

Request_ = Request[Any, Any, Any]
Handler = Callable[[Request_, Exception], Response[Any]]


def status_and_detail(exc: Exception) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, CrashdeskError):
        if exc.status >= 500 and not isinstance(exc, Unavailable):
            log.error("internal error", exc_info=exc)
            return 500, "", {}
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, (Unavailable, TooManyRequests)) else {}
        return exc.status, exc.detail, headers
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail), dict(exc.headers or {})
    if isinstance(exc, VALUE_REFUSED):
        return 400, f"a value was refused: {str(exc)[:300]}", {}
    if isinstance(exc, CONNECTION_LOST):
        return 503, "the database is unavailable; retry shortly", {"Retry-After": "5"}
    log.error("internal error", exc_info=exc)
    return 500, "", {}


def error_page(request: Request_, exc: Exception) -> Response[Any]:
    if isinstance(exc, SignInNeeded):
        return redirect(request, "/login?next=" + quote(exc.next_path, safe="/"))
    status, detail, headers = status_and_detail(exc)
    try:
        ENV.get_template(f"{status}.html")
        template = f"{status}.html"
    except jinja2.TemplateNotFound:
        template = "error.html"
    response = render(request, template, status=status, status_code=status, detail=detail)
    response.headers.update(headers)
    return response


def html_or(api_handler: Handler) -> Handler:
    """``api_handler`` for ``/api/`` paths, the error page for the rest."""

    def handle(request: Request_, exc: Exception) -> Response[Any]:
        if str(request.scope.get("path", "")).startswith("/api/"):
            return api_handler(request, exc)
        return error_page(request, exc)

    return handle
