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
    previous_cluster_id: int | None = None  # set when an event is processed again
    cluster_id: int | None = None
    grouping_cluster_id: int | None = None  # the cluster its hash belongs to, before merges
    grouping: dict[str, Any] | None = None  # the explanation shown with the event
    title: str | None = None  # set by grouping (dedupe's title), stored with the event

    occurred_at: dt.datetime | None = None  # the event's own time, once normalised

    @property
    def when(self) -> dt.datetime:
        """When it happened: the event's own time if plausible, else when it was received."""
        return self.occurred_at or self.received_at

    @property
    def user_key(self) -> str | None:
        """One string per distinct user, for the users-affected count."""
        user = self.event.user if self.event else None
        if not user:
            return None
        for field_name in ("id", "email", "username", "ip_address"):
            if user.get(field_name):
                return f"{field_name}:{user[field_name]}"
        return None

    @property
    def ok(self) -> bool:
        return self.event is not None and self.failure is None
