"""Housekeeping that keeps small tables small: expired web sessions, used links, old throttle rows.

One loop per serving process; the deletes are idempotent, so several processes running it at
once only repeat each other's (cheap, indexed) work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from server.database import DATABASE_DOWN
from server.services import accounts

log = logging.getLogger(__name__)
EVERY_SECONDS = 3600.0


async def housekeeping(pool: Any, every: float = EVERY_SECONDS) -> None:
    while True:
        with contextlib.suppress(*DATABASE_DOWN):  # the database is away: try again next round
            gone = await accounts.prune(pool)
            if gone:
                log.info("pruned %d expired web sessions", gone)
        await asyncio.sleep(every)
