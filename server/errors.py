"""Errors of the server package; each carries the ids it is about and the HTTP status it means.

Services raise these; only ``server.api.errors`` (JSON) and the web pages turn them into
responses, through the ``status`` and ``code`` each class declares.
"""

from __future__ import annotations


class CrashdeskError(Exception):
    """Base error of the ``server`` package."""

    status = 500
    code = "internal"

    @property
    def detail(self) -> str:
        return str(self)


class ConfigError(CrashdeskError):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


class Invalid(CrashdeskError):
    """The request is malformed or names a value that is not allowed; ``field`` says where."""

    status = 400
    code = "invalid"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Unauthorized(CrashdeskError):
    status = 401
    code = "unauthorized"


class Forbidden(CrashdeskError):
    """Authenticated, but the role or token scope does not allow this action."""

    status = 403
    code = "forbidden"


class NotFound(CrashdeskError):
    """Missing, or belonging to another organization (never told apart, so ids don't leak)."""

    status = 404
    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class Conflict(CrashdeskError):
    """A name that must be unique is taken, or a save started from a stale revision."""

    status = 409
    code = "conflict"


class TooManyRequests(CrashdeskError):
    """Too many attempts (sign-in, public forms); retry after ``retry_after`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, reason: str, retry_after: int = 60) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unavailable(CrashdeskError):
    """A dependency (the database) is down; the client should retry after ``retry_after`` seconds."""

    status = 503
    code = "unavailable"

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
