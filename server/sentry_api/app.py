"""The Litestar app serving Sentry's paths; ``server.app`` routes ``PATH`` here."""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.logging.config import LoggingConfig

from server.errors import CrashdeskError
from server.sentry_api import orgs, releases, scope, uploads
from server.settings import Settings


def create_app(settings: Settings) -> Litestar:
    """Shares the main app's pool: ``server.app`` sets ``state.pool`` in its lifespan."""
    return Litestar(
        route_handlers=[orgs.OrganizationController, releases.SentryReleaseController, uploads.controller(settings)],
        exception_handlers={CrashdeskError: scope.error_response, HTTPException: scope.error_response},
        openapi_config=None,
        debug=False,
        logging_config=LoggingConfig(log_exceptions="always", disable_stack_trace={400, 401, 404, 413}),
    )
