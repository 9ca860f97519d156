"""uvicorn's httptools protocol with deadlines for slow clients.

uvicorn bounds the idle time between requests but not how long a client may take to
send one: a client dribbling header bytes holds its connection for ever. Here the
headers must arrive within ``header_timeout_seconds`` of the request's first byte (or
of the connection), and the body within ``body_timeout_seconds`` of the headers, on
every route; otherwise the connection is closed. (The ingest handler enforces its own
body deadline first and answers 408; this is the backstop for all other routes.)
"""

from __future__ import annotations

import asyncio
import functools
from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings


@functools.cache
def _deadlines() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.header_timeout_seconds, settings.body_timeout_seconds + 5.0


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(_deadlines()[0])

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(_deadlines()[0])

    def on_headers_complete(self) -> None:
        self._arm(_deadlines()[1])
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
