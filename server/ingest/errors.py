"""Refusals of the ingestion path, each with the HTTP status a Sentry SDK expects."""

from __future__ import annotations


class IngestError(Exception):
    status = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class Forbidden(IngestError):
    status = 403


class TooLarge(IngestError):
    status = 413


class UnsupportedEncoding(IngestError):
    status = 415


class RateLimited(IngestError):
    status = 429


class Unavailable(IngestError):
    """The database did not commit: nothing was accepted, the SDK should retry."""

    status = 503
