"""An API token reads its own organization's data and nothing of another's."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.conftest import Project
from tests.support import Server, wait_until


def _send(project: Project) -> str:
    event_id = uuid.uuid4().hex
    payload = json.dumps({"event_id": event_id, "message": f"hello from {project.org}", "level": "info"}).encode()
    body = b'{"event_id":"%s"}\n{"type":"event"}\n%s\n' % (event_id.encode(), payload)
    r = httpx.post(project.envelope_url, content=body, headers=project.sentry_auth())
    assert r.status_code == 200, r.text
    return event_id


@pytest.fixture
def two_orgs(server: Server) -> tuple[Project, Project, str, str]:
    mine = Project(server, f"mine-{uuid.uuid4().hex[:8]}", "app")
    theirs = Project(server, f"theirs-{uuid.uuid4().hex[:8]}", "app")
    my_event, their_event = _send(mine), _send(theirs)
    api = server.base_url + "/api/0/projects"
    for project, event_id in ((mine, my_event), (theirs, their_event)):
        wait_until(lambda p=project, e=event_id: httpx.get(f"{api}/{p.id}/events/{e}", headers=p.auth).status_code == 200)
    return mine, theirs, my_event, their_event


def test_token_reads_its_own_organization(two_orgs: tuple[Project, Project, str, str]) -> None:
    mine, _, my_event, _ = two_orgs
    api = mine.server.base_url + "/api/0/projects"
    projects = httpx.get(api + "/", headers=mine.auth).json()["projects"]
    assert [(p["id"], p["organization"]) for p in projects] == [(mine.id, mine.org)]
    events = httpx.get(f"{api}/{mine.id}/events/", headers=mine.auth).json()["events"]
    assert [e["event_id"] for e in events] == [my_event]
    assert httpx.get(f"{api}/{mine.id}/events/{my_event}", headers=mine.auth).json()["event_id"] == my_event


def test_token_reads_nothing_of_another_organization(two_orgs: tuple[Project, Project, str, str]) -> None:
    mine, theirs, _, their_event = two_orgs
    api = mine.server.base_url + "/api/0/projects"
    listed = httpx.get(api + "/", headers=mine.auth).json()["projects"]
    assert theirs.id not in [p["id"] for p in listed]
    assert theirs.org not in json.dumps(listed) and theirs.public_key not in json.dumps(listed)

    r = httpx.get(f"{api}/{theirs.id}/events/", headers=mine.auth)
    assert r.status_code == 404 and their_event not in r.text
    r = httpx.get(f"{api}/{theirs.id}/events/{their_event}", headers=mine.auth)
    assert r.status_code == 404 and "hello from" not in r.text
    # Their event id guessed under one's own project: not found either.
    r = httpx.get(f"{api}/{mine.id}/events/{their_event}", headers=mine.auth)
    assert r.status_code == 404 and "hello from" not in r.text
    # A project id that exists nowhere answers the same as another organization's: no probing.
    nowhere = httpx.get(f"{api}/{theirs.id + 10_000}/events/", headers=mine.auth)
    assert nowhere.status_code == 404
    assert r.status_code == nowhere.status_code


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer cdt_not-a-real-token"}, {"Authorization": "Basic dXNlcjpwdw=="}],
    ids=["missing", "empty", "unknown", "other-scheme"],
)
def test_missing_or_invalid_token_is_401(two_orgs: tuple[Project, Project, str, str], headers: dict[str, str]) -> None:
    mine, _, my_event, _ = two_orgs
    api = mine.server.base_url + "/api/0/projects"
    for url in (api + "/", f"{api}/{mine.id}/events/", f"{api}/{mine.id}/events/{my_event}"):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401, (url, r.text)
        assert "token" in r.json()["detail"].lower()
        assert "hello from" not in r.text
