"""``crashdesk serve``: uvicorn with the settings handed to every HTTP process directly.

The settings travel inside uvicorn's ``Config`` (pickled to worker processes), never through
``os.environ``, so what ``serve`` decided (embedded database URL, ``--no-process``) is exactly
what each process runs with.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from server.settings import Settings


class ServeConfig(uvicorn.Config):
    """A uvicorn ``Config`` whose app is built from ``settings`` in whichever process loads it."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__("server.app:create_app", factory=True, **kwargs)
        self.settings = settings

    def load_app(self) -> Any:
        from server.app import create_app

        return functools.partial(create_app, self.settings)


def run(settings: Settings, *, log_level: str) -> None:
    """Serve until stopped; a start-up failure (port taken, app failed) exits 3, as uvicorn does."""
    config = ServeConfig(
        settings,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="server.http_guard:GuardedHttpToolsProtocol",  # httptools with header/body deadlines
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(3)
