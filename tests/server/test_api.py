"""The JSON API's conventions: one error shape, declared parameters only, pages with cursors, bare resources."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from tests.conftest import Project
from tests.support import wait_until

INT64_PAST = 2**63


def _send(project: Project, message: str, *, release: str, environment: str = "production") -> str:
    event_id = uuid.uuid4().hex
    payload = {"event_id": event_id, "release": release, "environment": environment, "platform": "python",
               "exception": {"values": [{"type": "ValueError", "value": message,
                                         "stacktrace": {"frames": [{"function": message.split()[0], "module": "app"}]}}]}}
    body = b'{"event_id":"%s"}\n{"type":"event"}\n%s\n' % (event_id.encode(), json.dumps(payload).encode())
    r = httpx.post(project.envelope_url, content=body, headers=project.sentry_auth())
    assert r.status_code == 200, r.text
    return event_id


def _get(project: Project, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}{path}", headers=project.auth, params=params)


def _ok(project: Project, path: str, **params: object) -> dict:
    r = _get(project, path, **params)
    assert r.status_code == 200, r.text
    return r.json()


def _all_pages(project: Project, path: str, key: str, **params: object) -> list[dict]:
    items, cursor = [], None
    while True:
        page = _ok(project, path, limit=2, **params, **({"cursor": cursor} if cursor else {}))
        assert set(page) == {key, "next_cursor"}
        items += page[key]
        if (cursor := page["next_cursor"]) is None:
            return items


@pytest.fixture(scope="module")
def seeded(server) -> tuple[Project, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A project with 5 processed events: 3 bugs, 2 releases, 2 environments."""
    project = Project(server, f"api-{uuid.uuid4().hex[:8]}", "app")
    ids = {
        "a1": _send(project, "alpha broke", release="app@1"),
        "a2": _send(project, "alpha broke", release="app@2", environment="staging"),
        "b1": _send(project, "beta broke", release="app@1"),
        "b2": _send(project, "beta broke", release="app@1"),
        "c2": _send(project, "gamma broke", release="app@2"),
    }
    wait_until(lambda: len(_ok(project, "/events/", status="processed", limit=10)["events"]) == 5)
    return project, ids


def test_every_error_is_detail_and_code(seeded: tuple[Project, dict[str, str]]) -> None:
    project, _ = seeded
    answers = [
        (httpx.get(project.server.base_url + "/api/0/no-such-route", headers=project.auth), 404, "not_found"),
        (httpx.get(project.server.base_url + "/api/0/projects/"), 401, "unauthorized"),
        (_get(project, "/events/", relase="app@1"), 400, "invalid"),
        (_get(project, "/clusters/", status="fixed"), 400, "invalid"),
        (_get(project, "/clusters/", limit=0), 400, "invalid"),
        (_get(project, "/events/not-an-id"), 400, "invalid"),
        (_get(project, "/clusters/999999999"), 404, "not_found"),
        (httpx.delete(f"{project.server.base_url}/api/0/projects/{project.id}/clusters/1", headers=project.auth), 405,
         "method_not_allowed"),
    ]
    for r, status, code in answers:
        assert (r.status_code, r.json()) == (status, {"detail": r.json()["detail"], "code": code}), r.text
        assert r.json()["detail"]


def test_unknown_or_misspelled_parameters_are_named(seeded: tuple[Project, dict[str, str]]) -> None:
    project, _ = seeded
    r = _get(project, "/events/", relase="app@1")
    assert r.status_code == 400
    assert "'relase'" in r.json()["detail"] and "release" in r.json()["detail"], "names the known ones"
    assert _get(project, "/clusters/", order="count").status_code == 400
    assert httpx.get(project.server.base_url + "/api/0/projects/", params={"x": "1"}, headers=project.auth).status_code == 400


def test_enum_errors_list_the_allowed_values(seeded: tuple[Project, dict[str, str]]) -> None:
    project, _ = seeded
    detail = _get(project, "/clusters/", sort="newest").json()["detail"]
    assert "'sort'" in detail and all(v in detail for v in ("last_seen", "first_seen", "count"))
    detail = _get(project, "/events/", status="done").json()["detail"]
    assert all(v in detail for v in ("pending", "processed", "failed"))
    cluster = _ok(project, "/clusters/")["clusters"][0]["id"]
    r = httpx.patch(f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{cluster}", json={"status": "fixed"},
                    headers=project.auth)
    assert r.status_code == 400
    assert "'status'" in r.json()["detail"] and all(v in r.json()["detail"] for v in ("unresolved", "resolved", "ignored"))


def test_event_filters_and_pages(seeded: tuple[Project, dict[str, str]]) -> None:
    project, ids = seeded
    everything = _all_pages(project, "/events/", "events")
    assert [e["event_id"] for e in everything] == list(reversed(ids.values())), "newest first, each once"
    by_release = {e["event_id"] for e in _all_pages(project, "/events/", "events", release="app@2")}
    assert by_release == {ids["a2"], ids["c2"]}
    assert [e["event_id"] for e in _ok(project, "/events/", environment="staging")["events"]] == [ids["a2"]]
    assert _ok(project, "/events/", status="failed")["events"] == []
    beta = next(e["cluster_id"] for e in everything if e["event_id"] == ids["b1"])
    assert {e["event_id"] for e in _ok(project, "/events/", cluster_id=beta)["events"]} == {ids["b1"], ids["b2"]}
    both = _ok(project, "/events/", release="app@1", cluster_id=beta, environment="production")["events"]
    assert len(both) == 2


def test_cluster_filters_sorts_and_pages(seeded: tuple[Project, dict[str, str]]) -> None:
    project, ids = seeded
    for sort in ("last_seen", "first_seen", "count"):
        listed = _all_pages(project, "/clusters/", "clusters", sort=sort)
        assert len(listed) == len({c["id"] for c in listed}) == 3, sort
    by_count = _all_pages(project, "/clusters/", "clusters", sort="count")
    assert [c["event_count"] for c in by_count] == [2, 2, 1]
    assert {c["title"].split(": ")[1] for c in _ok(project, "/clusters/", release="app@2")["clusters"]} == {
        "alpha broke", "gamma broke"}
    assert [c["title"] for c in _ok(project, "/clusters/", environment="staging")["clusters"]] == ["ValueError: alpha broke"]
    gamma = next(c for c in by_count if "gamma" in c["title"])
    url = f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{gamma['id']}"
    assert httpx.patch(url, json={"status": "ignored"}, headers=project.auth).status_code == 200
    assert [c["id"] for c in _ok(project, "/clusters/", status="ignored")["clusters"]] == [gamma["id"]]
    assert len(_ok(project, "/clusters/", status="unresolved")["clusters"]) == 2
    page = _ok(project, "/clusters/", sort="count", limit=1)
    r = _get(project, "/clusters/", sort="last_seen", cursor=page["next_cursor"])
    assert r.status_code == 400 and "sort" in r.json()["detail"], "a cursor only continues the list it came from"


def test_cluster_get_and_patch_answer_the_same_bare_shape(seeded: tuple[Project, dict[str, str]]) -> None:
    project, _ = seeded
    cluster = _ok(project, "/clusters/", sort="count")["clusters"][0]
    url = f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{cluster['id']}"
    got = httpx.get(url, headers=project.auth).json()
    assert {k: got[k] for k in cluster} == cluster, "the detail is the listed cluster with fields beside it"
    assert {"fingerprints", "releases", "environments", "merged", "notes", "latest_events"} <= set(got)
    patched = httpx.patch(url, json={"status": "resolved"}, headers=project.auth).json()
    assert set(patched) == set(got) and patched["status"] == "resolved"
    assert httpx.patch(url, json={"status": "unresolved"}, headers=project.auth).json()["status"] == "unresolved"
    assert httpx.patch(url, json={"state": "resolved"}, headers=project.auth).status_code == 400, "unknown fields too"


def test_values_postgres_would_refuse_are_400_saying_what(seeded: tuple[Project, dict[str, str]]) -> None:
    project, _ = seeded
    base = f"{project.server.base_url}/api/0/projects"
    cases = [
        (httpx.get(f"{base}/{INT64_PAST}/events/", headers=project.auth), "64-bit"),
        (_get(project, f"/clusters/{INT64_PAST}"), "64-bit"),
        (_get(project, "/events/", cluster_id=INT64_PAST), "64-bit"),
        (_get(project, "/events/", cluster_id=-(2**64)), "64-bit"),
        (_get(project, "/events/", release="app\x00"), "NUL"),
        (_get(project, "/releases/a%00b/artifacts/"), "NUL"),
        (_get(project, "/events/", cursor=base64.urlsafe_b64encode(b"[%d]" % INT64_PAST).decode()), "cursor"),
        (_get(project, "/events/", cursor="bm90IGpzb24"), "cursor"),
        (httpx.post(f"{base}/{project.id}/clusters/1/merge", json={"cluster_ids": [INT64_PAST]}, headers=project.auth),
         "cluster_ids"),
        (httpx.put(f"{base}/{project.id}/grouping-config", headers=project.auth,
                   json={"fingerprint_rules": [{"type": "Value\x00Error", "fingerprint": ["x"]}]}), "NUL"),
        (httpx.put(f"{base}/{project.id}/grouping-config", headers=project.auth, json={"in_app_include": ["a\x00"]}), "NUL"),
    ]
    for r, says in cases:
        assert r.status_code == 400, (r.request.url, r.text)
        assert says in r.json()["detail"], (r.request.url, r.text)
    assert httpx.get(project.server.base_url + "/api/0/health").status_code == 200
