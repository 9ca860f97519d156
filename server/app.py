"""The ASGI application: the ingest fast path in front of the Litestar app.

Sentry ingestion (``/api/<id>/envelope/``, ``/store/``) goes straight to the thin
``Ingest`` handler; everything else (read API, OpenAPI, pages) is Litestar. Both share
one lifespan: pool, migrations, group-commit writer and event processors.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from litestar.logging.config import LoggingConfig

from server.api import artifacts as artifacts_api
from server.api.articles import ArticleController
from server.api.clusters import ClusterController
from server.api.errors import EXCEPTION_HANDLERS
from server.api.health import health, stats
from server.api.openapi import docs_assets, openapi_config
from server.api.params import check_parameters
from server.api.projects import ProjectController
from server.api.releases import ClusterReleaseController, ReleaseController
from server.api.tickets import TicketController
from server.api.tokens import TokenController
from server.api.webhooks import WebhookController
from server.database import connect, create_pool
from server.errors import ConfigError
from server.ingest.handler import PATH as INGEST_PATH
from server.ingest.handler import Ingest, Receive, Scope, Send
from server.ingest.keys import KeyCache
from server.ingest.writer import GroupCommitWriter
from server.maintenance import housekeeping
from server.migrate import migrate
from server.selfmonitor import init_self_monitoring
from server.sentry_api import PATH as SENTRY_PATH
from server.sentry_api.app import create_app as create_sentry_app
from server.settings import Settings
from server.webhook_sender import WebhookSender
from server.worker import Processor
from web.app import web_routers
from web.errors import html_or

log = logging.getLogger(__name__)


class CrashdeskApp:
    """Routes ingestion paths to ``Ingest`` and the rest to Litestar."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ingest: Ingest | None = None
        self.sentry = create_sentry_app(settings)  # Sentry's web API for sentry-cli and bundler plugins
        self.litestar = Litestar(
            route_handlers=[
                health, stats, ProjectController, ClusterController, artifacts_api.controller(settings), TokenController,
                docs_assets(),
                ArticleController, WebhookController, TicketController, ReleaseController, ClusterReleaseController,
                *web_routers(),
            ],
            lifespan=[self._lifespan],
            openapi_config=openapi_config(),
            # JSON errors under /api/, error pages everywhere else (an unknown URL too)
            exception_handlers={kind: html_or(handler) for kind, handler in EXCEPTION_HANDLERS.items()},
            before_request=check_parameters,
            debug=False,
            # server.api.errors logs what is a server fault (500s); 4xx answers are not log-worthy.
            logging_config=LoggingConfig(log_exceptions="never"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.ingest is not None and INGEST_PATH.match(scope["path"]):
            await self.ingest(scope, receive, send)
            return
        if scope["type"] == "http" and SENTRY_PATH.match(scope["path"]):
            await self.sentry(scope, receive, send)  # type: ignore[arg-type]
            return
        await self.litestar(scope, receive, send)  # type: ignore[arg-type]

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        url = self.settings.database_url
        if not url:
            raise ConfigError("DATABASE_URL", "the app needs a database URL (crashdesk serve sets it)")
        conn = await connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        pool = await create_pool(url)
        writer = GroupCommitWriter(url, connections=self.settings.writer_connections, batch_max=self.settings.batch_max)
        await writer.start()
        processors: list[asyncio.Task[None]] = []
        if self.settings.process_events:
            processors.append(asyncio.create_task(Processor(url, self.settings, f"processor-{os.getpid()}").run()))
        if self.settings.webhook_sender:
            processors.append(asyncio.create_task(WebhookSender(url, self.settings).run()))
        processors.append(asyncio.create_task(housekeeping(pool)))
        app.state.pool = pool
        self.sentry.state.pool = pool
        app.state.public_url = self.settings.public_url
        app.state.settings = self.settings
        self.ingest = Ingest(self.settings, KeyCache(pool, self.settings.key_cache_seconds), writer)
        # Everything loaded by now (framework, drivers, pools) lives as long as the process.
        # Freezing it keeps the collector from rescanning it in every full collection, which
        # paused the event loop ~45 ms each time under load and made most of the p99 latency.
        gc.freeze()
        try:
            yield
        finally:
            self.ingest = None
            for task in processors:
                task.cancel()
            for task in processors:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await writer.stop()
            await pool.close()


def create_app(settings: Settings | None = None) -> Any:
    """ASGI factory (``uvicorn --factory server.app:create_app``); settings from the environment."""
    settings = settings or Settings.from_env()
    init_self_monitoring(settings)
    return CrashdeskApp(settings)
