"""Reading session items and folding a session's updates into one state."""

from __future__ import annotations

import datetime as dt

from kb_link.sessions import (
    CRASHED,
    ERRORED,
    HEALTHY,
    Dropped,
    SessionUpdate,
    counts_delta,
    fold,
    health,
    read_session,
    read_sessions,
)

NOW = dt.datetime(2026, 11, 28, 17, 42, 5, tzinfo=dt.UTC)
HOUR = dt.datetime(2026, 11, 28, 17, tzinfo=dt.UTC)


def test_read_session_states_and_hour() -> None:
    base = {"sid": "s", "did": "u", "attrs": {"release": "a@1", "environment": "prod"}, "started": "2026-11-28T16:59:59.5Z"}
    got = read_session({**base, "status": "exited", "errors": 2}, NOW)
    assert got == SessionUpdate("s", "u", "a@1", "prod", HOUR - dt.timedelta(hours=1), ERRORED)
    assert read_session({**base, "status": "crashed"}, NOW).state == CRASHED  # type: ignore[union-attr]
    assert read_session({**base, "status": "ok", "started": 1796000000}, NOW).state == HEALTHY  # type: ignore[union-attr]
    assert read_session({**base, "started": "garbage"}, NOW).hour == HOUR  # type: ignore[union-attr]
    assert isinstance(read_session({**base, "attrs": {}}, NOW), Dropped)
    assert isinstance(read_session({**base, "status": "melted"}, NOW), Dropped)
    assert isinstance(read_session([], NOW), Dropped)
    no_env = read_session({"sid": "x", "attrs": {"release": "1.0"}}, NOW)
    assert no_env.environment == "production"  # type: ignore[union-attr]


def test_read_sessions_buckets() -> None:
    data = {"attrs": {"release": "1.0"}, "aggregates": [
        {"started": "2026-11-28T17:01:00Z", "exited": 3, "errored": 1, "crashed": 2},
        {"started": "2026-11-28T17:02:00Z", "exited": 0},
        "junk",
    ]}
    got = read_sessions(data, NOW)
    assert not isinstance(got, Dropped) and len(got) == 1
    assert (got[0].sessions, got[0].errored, got[0].crashed, got[0].hour) == (6, 1, 2, HOUR)


def test_fold_keeps_the_worst_state_and_the_first_release() -> None:
    a = SessionUpdate("s", None, "1.0", "prod", HOUR, HEALTHY)
    b = SessionUpdate("s", "u", "2.0", "prod", HOUR, CRASHED)
    c = SessionUpdate("s", None, "1.0", "prod", HOUR, ERRORED)
    assert fold([a, b, c])["s"] == SessionUpdate("s", "u", "1.0", "prod", HOUR, CRASHED)


def test_counts_move_only_on_change() -> None:
    assert counts_delta(None, HEALTHY) == (1, 0, 0, 0)
    assert counts_delta(None, CRASHED) == (1, 0, 0, 1)
    assert counts_delta(HEALTHY, ERRORED) == (0, 1, 0, 0)
    assert counts_delta(ERRORED, CRASHED) == (0, -1, 0, 1)


def test_crash_free_rates() -> None:
    h = health(sessions=10, errored=1, crashed=2, abnormal=0, users=5, crashed_users=1)
    assert (h.crash_free_sessions, h.crash_free_users) == (80.0, 80.0)
    assert health(0, 0, 0, 0, 0, 0).crash_free_sessions is None
