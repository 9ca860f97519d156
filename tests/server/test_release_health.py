"""Release health from the real sentry-sdk's sessions: crash-free sessions and users per release."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from tests.conftest import Project
from tests.support import wait_until

SCRIPT = textwrap.dedent(
    """
    import sys, sentry_sdk
    from sentry_sdk.utils import event_from_exception
    dsn, release, mode, plan = sys.argv[1:5]
    sentry_sdk.init(dsn=dsn, release=release, environment="production", default_integrations=False)
    scope = sentry_sdk.get_isolation_scope()
    for step in plan.split(","):
        outcome, user = step.split(":")
        sentry_sdk.set_user({"id": user} if user else None)
        scope.start_session(session_mode=mode)
        try:
            {}["missing"]
        except KeyError as exc:
            if outcome == "crash":
                event, hint = event_from_exception(exc, client_options=sentry_sdk.get_client().options,
                                                   mechanism={"type": "test", "handled": False})
                sentry_sdk.capture_event(event, hint=hint)
            elif outcome == "error":
                sentry_sdk.capture_exception(exc)
        scope.end_session()
    sentry_sdk.flush(timeout=10)
    """
)


def sessions(project: Project, release: str, mode: str, plan: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, project.dsn, release, mode, ",".join(plan)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr


def health(project: Project, release: str) -> dict:
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/releases/", params={"version": release},
                  headers=project.auth)
    return r.json()["health"] if r.status_code == 200 else {}


def test_crash_free_rates_match_the_sessions_sent(project: Project) -> None:
    # 10 sessions of 5 users; 2 crash (both user u0), 1 has a handled error
    plan_a = [f"{'crash' if n in (0, 5) else 'error' if n == 3 else 'ok'}:u{n % 5}" for n in range(10)]
    sessions(project, "health@1.0", "application", plan_a)
    sessions(project, "health@1.1", "application", ["ok:u0", "ok:u1", "ok:u0", "error:u1"])
    # server mode: the SDK sends aggregated buckets without users
    sessions(project, "health@2.0", "request", ["crash:", "crash:", "crash:", "error:", "ok:", "ok:"])

    a = wait_until(lambda: (h := health(project, "health@1.0")) and h["sessions"] == 10 and h["crashed"] == 2 and h)
    assert (a["errored"], a["abnormal"], a["users"], a["crashed_users"]) == (1, 0, 5, 1)
    assert (a["crash_free_sessions"], a["crash_free_users"]) == (80.0, 80.0)

    b = wait_until(lambda: (h := health(project, "health@1.1")) and h["sessions"] == 4 and h)
    assert (b["crashed"], b["errored"], b["users"], b["crash_free_sessions"], b["crash_free_users"]) == (0, 1, 2, 100.0, 100.0)

    c = wait_until(lambda: (h := health(project, "health@2.0")) and h["sessions"] == 6 and h)
    assert (c["crashed"], c["errored"], c["crash_free_sessions"]) == (3, 1, 50.0)
    assert (c["users"], c["crash_free_users"]) == (0, None)

    # the crashes also arrived as events, counted on their release
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/releases/", params={"version": "health@1.0"},
                  headers=project.auth).json()
    wait_until(lambda: httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/releases/",
                                 params={"version": "health@1.0"}, headers=project.auth).json()["event_count"] == 3)
    assert r["version"] == "health@1.0"


def test_bad_session_items_never_fail_the_envelope(project: Project) -> None:
    header = b'{"sent_at":"2026-01-01T00:00:00Z"}\n'
    items = [
        b'{"type":"session"}\n{"sid":"a","status":"ok"}\n',  # no attrs
        b'{"type":"session"}\nnot json at all\n',
        b'{"type":"sessions"}\n{"attrs":{"release":"bad@1"},"aggregates":"nope"}\n',
        b'{"type":"session"}\n{"sid":"s1","init":true,"status":"weird","attrs":{"release":"bad@1"}}\n',
        b'{"type":"session"}\n{"sid":"s2","init":true,"status":"crashed","started":"yesterday","attrs":{"release":"bad@1"}}\n',
    ]
    r = httpx.post(project.envelope_url, content=header + b"".join(items), headers=project.sentry_auth())
    assert r.status_code == 200, r.text
    h = wait_until(lambda: health(project, "bad@1") or None)
    assert (h["sessions"], h["crashed"]) == (1, 1)
