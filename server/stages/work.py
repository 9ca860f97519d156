"""The unit a processing batch carries from stage to stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from protocol import Event


@dataclass
class Work:
    row_id: int
    project_id: int
    event_id: str
    received_at: dt.datetime
    event: Event | None = None
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    cluster_id: int | None = None
    grouping: dict[str, Any] | None = None  # the explanation shown with the event

    @property
    def ok(self) -> bool:
        return self.event is not None and self.failure is None
