"""The real sentry-sdk, in its own process, reports to a running Crashdesk."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest

from tests.conftest import Project
from tests.support import wait_until

SCRIPT = textwrap.dedent(
    """
    import sys, sentry_sdk
    dsn, algo, release = sys.argv[1:4]
    sentry_sdk.init(dsn=dsn, release=release, environment="staging",
                    _experiments={"transport_compression_algo": algo}, default_integrations=False)
    ids = []
    def checkout(cart):
        return cart["total"] / cart["items"]
    for n in range(3):
        try:
            checkout({"total": 10, "items": 0})
        except ZeroDivisionError as exc:
            ids.append(sentry_sdk.capture_exception(exc))
    try:
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("lookup failed") from exc
    except RuntimeError as exc:
        ids.append(sentry_sdk.capture_exception(exc))
    ids.append(sentry_sdk.capture_message("plain message %s" % algo, level="warning"))
    sentry_sdk.flush(timeout=10)
    print(" ".join(ids))
    """
)


def _event(project: Project, event_id: str) -> dict:
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/events/{event_id}", headers=project.auth)
    return r.json() if r.status_code == 200 else {}


@pytest.mark.parametrize("algo", ["br", "gzip"])
def test_sdk_events_arrive_parsed(project: Project, algo: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, project.dsn, algo, "shop@2.1.0"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    ids = out.stdout.split()
    assert len(ids) == 5

    events = [wait_until(lambda i=i: (e := _event(project, i)) and e["status"] == "processed" and e) for i in ids]

    for event in events[:3]:
        assert event["title"] == "ZeroDivisionError: division by zero"
        assert event["release"] == "shop@2.1.0"
        assert event["environment"] == "staging"
        frames = event["exception"][-1]["frames"]
        assert frames[-1]["function"] == "checkout"
    chain = [e["type"] for e in events[3]["exception"]]
    assert chain == ["KeyError", "RuntimeError"]
    assert events[4]["message"] == f"plain message {algo}"
    assert events[4]["level"] == "warning"
    assert events[4]["payload"]["sdk"]["name"].startswith("sentry.python")
