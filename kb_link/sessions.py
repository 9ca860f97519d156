"""Release health from SDK sessions: read ``session`` and ``sessions`` envelope items into
counts per release, environment and hour, and compute crash-free rates.

A single session sends several updates (start, first error, end); what counts is the
worst state it reached, so updates are folded per session id by the caller and only
state changes move the hourly counts. Aggregated ``sessions`` items (server mode) carry
counts already. Bad items are dropped with a reason, never raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

# Worst state a session reached, in order: a later update can only raise it.
HEALTHY, ERRORED, ABNORMAL, CRASHED = 0, 1, 2, 3
_STATUS = {"ok": HEALTHY, "exited": HEALTHY, "errored": ERRORED, "abnormal": ABNORMAL, "crashed": CRASHED}


class SessionUpdate(msgspec.Struct, frozen=True):
    sid: str
    did: str | None
    release: str
    environment: str
    hour: dt.datetime  # the hour the session started
    state: int


class SessionCounts(msgspec.Struct, frozen=True):
    """An aggregated ``sessions`` bucket, already counted by the SDK."""

    release: str
    environment: str
    hour: dt.datetime
    did: str | None
    sessions: int
    errored: int
    abnormal: int
    crashed: int


class Dropped(msgspec.Struct, frozen=True):
    reason: str


class Health(msgspec.Struct, frozen=True):
    sessions: int
    errored: int
    crashed: int
    abnormal: int
    users: int
    crashed_users: int
    crash_free_sessions: float | None  # percent, None without sessions
    crash_free_users: float | None


def _hour(value: Any, fallback: dt.datetime) -> dt.datetime:
    when = fallback
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            when = fallback
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            when = dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            when = fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _attrs(data: dict[str, Any]) -> tuple[str, str] | Dropped:
    attrs = data.get("attrs")
    if not isinstance(attrs, dict):
        return Dropped("no attrs")
    release = attrs.get("release")
    if not isinstance(release, str) or not release.strip() or len(release) > 250 or "\x00" in release:
        return Dropped("no usable release")
    environment = attrs.get("environment")
    env = environment if isinstance(environment, str) and "\x00" not in environment else ""
    return release, env[:64] or "production"


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value and "\x00" not in value else None


def read_session(data: Any, received: dt.datetime) -> SessionUpdate | Dropped:
    """One update of one session (the ``session`` item)."""
    if not isinstance(data, dict):
        return Dropped("not an object")
    attrs = _attrs(data)
    if isinstance(attrs, Dropped):
        return attrs
    sid = _text(data.get("sid"))
    if sid is None:
        return Dropped("no sid")
    status = data.get("status", "ok")
    state = _STATUS.get(status) if isinstance(status, str) else None
    if state is None:
        return Dropped(f"unknown status {str(status)[:32]!r}")
    errors = data.get("errors")
    if state == HEALTHY and isinstance(errors, int) and not isinstance(errors, bool) and errors > 0:
        state = ERRORED
    started = data.get("started", data.get("timestamp"))
    return SessionUpdate(sid, _text(data.get("did")), attrs[0], attrs[1], _hour(started, received), state)


def read_sessions(data: Any, received: dt.datetime) -> list[SessionCounts] | Dropped:
    """The buckets of an aggregated ``sessions`` item."""
    if not isinstance(data, dict):
        return Dropped("not an object")
    attrs = _attrs(data)
    if isinstance(attrs, Dropped):
        return attrs
    groups = data.get("aggregates")
    if not isinstance(groups, list):
        return Dropped("no aggregates")
    out = []
    for group in groups:
        if not isinstance(group, dict):
            continue
        n = {k: _count(group.get(k)) for k in ("exited", "errored", "abnormal", "crashed")}
        total = sum(n.values())
        if total:
            out.append(SessionCounts(attrs[0], attrs[1], _hour(group.get("started"), received), _text(group.get("did")),
                                     total, n["errored"], n["abnormal"], n["crashed"]))
    return out


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def fold(updates: list[SessionUpdate]) -> dict[str, SessionUpdate]:
    """Updates of a batch by session id: the first one's release and hour, the worst state."""
    out: dict[str, SessionUpdate] = {}
    for u in updates:
        seen = out.get(u.sid)
        out[u.sid] = u if seen is None else msgspec.structs.replace(seen, state=max(seen.state, u.state), did=seen.did or u.did)
    return out


def counts_delta(old: int | None, new: int) -> tuple[int, int, int, int]:
    """(sessions, errored, abnormal, crashed) to add when a session goes from ``old`` (None: unseen) to ``new``.

    Each session is in exactly one of healthy, errored, abnormal or crashed.
    """
    before = [0, 0, 0, 0] if old is None else _one_hot(old)
    after = _one_hot(new)
    return (0 if old is not None else 1, after[1] - before[1], after[2] - before[2], after[3] - before[3])


def _one_hot(state: int) -> list[int]:
    out = [0, 0, 0, 0]
    out[state] = 1
    return out


def health(sessions: int, errored: int, crashed: int, abnormal: int, users: int, crashed_users: int) -> Health:
    """Crash-free rates as Sentry shows them: percent of sessions (users) that did not crash."""

    def rate(total: int, bad: int) -> float | None:
        return round(100.0 * (total - bad) / total, 4) if total > 0 else None

    return Health(sessions, errored, crashed, abnormal, users, crashed_users, rate(sessions, crashed), rate(users, crashed_users))
