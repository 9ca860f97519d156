"""Every recorded payload in tests/fixtures is accepted or refused with the right status, never a 500."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Project
from tests.support import FIXTURES, wait_until

# Recorded bodies that are not well-formed, with the status they must get.
MALFORMED = {
    # The declared item length does not match the payload in these recordings (the
    # binary one was saved through a text filter that replaced bytes with 0xFD).
    "continuous_profiling/profile_chunk_1.txt": "length",
    "continuous_profiling/profile_chunk_2.txt": "length",
    "_fixtures/envelope_flutter_replay.bin": "length",
    "_fixtures/envelope_with_screenshot.bin": "length",
    # A hand-written envelope whose header event_id is not an id.
    "continuous_profiling/transaction.txt": "event_id",
}


def _events() -> list[Path]:
    roots = [FIXTURES / "bugsink-event-samples", FIXTURES / "sentry-samples", FIXTURES / "glitchtip-backend/events/test_data"]
    return sorted(p for root in roots for p in root.rglob("*.json") if "artifact_bundles" not in p.parts)


def _envelopes() -> list[Path]:
    spotlight = FIXTURES / "spotlight/packages/spotlight/_fixtures"
    corpus = FIXTURES / "corpus-dev/envelopes"
    return sorted([*spotlight.rglob("*.txt"), *spotlight.rglob("*.bin"), *corpus.glob("*.envelope*")])


def _name(p: Path) -> str:
    return str(p.relative_to(FIXTURES))


def _valid_id(value: object) -> bool:
    try:
        return value is None or (isinstance(value, str) and bool(uuid.UUID(value)))
    except ValueError:
        return False


@pytest.fixture(scope="module")
def fixture_project(server):  # type: ignore[no-untyped-def]
    return Project(server, "fixtures-org", "fixtures")


@pytest.mark.parametrize("path", _events(), ids=_name)
def test_recorded_event(fixture_project: Project, path: Path) -> None:
    raw = path.read_bytes()
    data = json.loads(raw)
    if isinstance(data, list):  # an envelope recorded as a JSON list of its lines
        body = b"\n".join(json.dumps(part).encode() for part in data)
        url = fixture_project.envelope_url
    else:
        body, url = raw, fixture_project.store_url
    r = httpx.post(url, content=body, headers=fixture_project.sentry_auth(), timeout=30)
    assert r.status_code < 500, r.text
    if isinstance(data, dict) and _valid_id(data.get("event_id")):
        assert r.status_code == 200, r.text
        assert len(r.json()["id"]) == 32
    elif isinstance(data, dict):  # sample templates with ids like "1": refused, as Relay does
        assert r.status_code == 400
        assert "event_id" in r.json()["detail"]
    else:
        assert r.status_code in (200, 400), r.text


@pytest.mark.parametrize("path", _envelopes(), ids=_name)
def test_recorded_envelope(fixture_project: Project, path: Path) -> None:
    headers = fixture_project.sentry_auth()
    if path.suffix in (".gz", ".br"):
        headers["Content-Encoding"] = {".gz": "gzip", ".br": "br"}[path.suffix]
    r = httpx.post(fixture_project.envelope_url, content=path.read_bytes(), headers=headers, timeout=30)
    problem = MALFORMED.get(f"{path.parent.name}/{path.name}")
    assert r.status_code == (400 if problem else 200), r.text
    if problem:
        assert problem in r.json()["detail"]


def test_recorded_events_get_processed(fixture_project: Project) -> None:
    """After the recordings above, nothing is stuck pending and failures say why."""

    def settled() -> list[dict]:
        page = httpx.get(
            f"{fixture_project.server.base_url}/api/0/projects/{fixture_project.id}/events/?limit=500",
            headers=fixture_project.auth,
        ).json()["events"]
        return page if page and all(e["status"] != "pending" for e in page) else []

    events = wait_until(settled, timeout=60)
    assert len(events) > 100
    for event in events:
        assert event["status"] == "processed" or event["failure"], event
