"""Articles and real clusters (made by the real sentry-sdk): drafts, links, suggestions, usage and reports."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import Project
from tests.support import Server, run_sdk, wait_until

CRASH = """
def load_profile(settings):
    return settings["profile"]["avatar_url"]

def open_settings_screen():
    return load_profile({"profile": {}})

try:
    open_settings_screen()
except KeyError:
    ids.append(sentry_sdk.capture_exception())
"""
OTHER = "try:\n    1 / 0\nexcept ZeroDivisionError:\n    ids.append(sentry_sdk.capture_exception())\n"


@pytest.fixture
def clustered(server: Server) -> tuple[Project, int, int]:
    project = Project(server, f"kbc-{uuid.uuid4().hex[:8]}", "app")
    run_sdk(project.dsn, CRASH, release="app@2.1.0")
    run_sdk(project.dsn, OTHER, release="app@2.1.0")
    api = f"{server.base_url}/api/0/projects/{project.id}/clusters/"

    def clusters() -> list[dict]:
        found = httpx.get(api, headers=project.auth).json()["clusters"]
        return found if len(found) == 2 else []

    by_title = {c["title"]: c["id"] for c in wait_until(clusters)}
    key_error = next(i for t, i in by_title.items() if "KeyError" in t)
    zero = next(i for t, i in by_title.items() if "ZeroDivisionError" in t)
    return project, key_error, zero


def test_article_from_cluster_is_prefilled_and_linked(clustered: tuple[Project, int, int]) -> None:
    project, key_error, _ = clustered
    api = f"{project.server.base_url}/api/0/articles"
    r = httpx.post(api + "/from-cluster", json={"cluster_id": key_error}, headers=project.auth)
    assert r.status_code == 201, r.text
    article = r.json()
    assert "KeyError" in article["title"] and article["status"] == "draft"
    assert "load_profile" in article["body"] and "app@2.1.0" in article["body"] and "First seen" in article["body"]
    assert [link["cluster_id"] for link in article["links"]] == [key_error]
    other = Project(project.server, f"x-{uuid.uuid4().hex[:8]}", "app")
    assert httpx.post(api + "/from-cluster", json={"cluster_id": key_error}, headers=other.auth).status_code == 404


def test_suggestions_both_ways_say_why(clustered: tuple[Project, int, int]) -> None:
    project, key_error, zero = clustered
    api = f"{project.server.base_url}/api/0/articles"
    made = httpx.post(api + "/", json={"title": "Settings screen crashes: KeyError avatar_url in load_profile",
                                       "body": "Profiles without an avatar crash the settings screen."},
                      headers=project.auth).json()
    httpx.post(api + "/", json={"title": "Division by zero in the price calculator"}, headers=project.auth)
    suggested = httpx.get(f"{api}/{made['id']}/suggested-clusters", headers=project.auth).json()["clusters"]
    assert suggested[0]["cluster_id"] == key_error and "keyerror" in suggested[0]["why"]
    assert zero not in [c["cluster_id"] for c in suggested[:1]]
    for_cluster = httpx.get(api + "/suggested", params={"cluster_id": key_error}, headers=project.auth).json()
    assert for_cluster["articles"][0]["id"] == made["id"] and for_cluster["articles"][0]["why"]

    link = httpx.post(f"{api}/{made['id']}/links", json={"cluster_id": key_error, "affected": ">=2.0.0 <2.2.0",
                                                         "workaround": "Add an avatar."}, headers=project.auth)
    assert link.status_code == 200, link.text
    assert link.json()["affected"] == ">=2.0.0 <2.2.0" and link.json()["linked_by"].startswith("token")
    again = httpx.get(api + "/suggested", params={"cluster_id": key_error}, headers=project.auth).json()["articles"]
    assert made["id"] not in [a["id"] for a in again]  # linked already: no longer a suggestion
    bad = httpx.post(f"{api}/{made['id']}/links", json={"cluster_id": key_error, "affected": ">=banana"},
                     headers=project.auth)
    assert bad.status_code == 400 and "affected" in bad.json()["detail"]
    inside = httpx.post(f"{api}/{made['id']}/links", json={"cluster_id": key_error, "affected": ">=2.0.0 <2.2.0",
                                                           "fixed_in": "app@2.1.5"}, headers=project.auth)
    assert inside.status_code == 400 and "inside the affected range" in inside.json()["detail"]


def test_usage_and_reports(clustered: tuple[Project, int, int]) -> None:
    project, key_error, zero = clustered
    api = f"{project.server.base_url}/api/0/articles"
    read = httpx.post(api + "/", json={"title": "Avatar upload guide"}, headers=project.auth).json()
    poor = httpx.post(api + "/", json={"title": "Billing address form"}, headers=project.auth).json()
    httpx.post(f"{api}/{read['id']}/links", json={"cluster_id": key_error}, headers=project.auth)
    for _ in range(3):
        httpx.get(f"{api}/{read['id']}", headers=project.auth)
    httpx.get(api + "/search", params={"q": "avatar upload"}, headers=project.auth)
    assert httpx.get(api + "/search", params={"q": "quantum teleporter"}, headers=project.auth).json()["articles"] == []
    httpx.get(api + "/search", params={"q": "Quantum   teleporter"}, headers=project.auth)
    httpx.post(f"{api}/{poor['id']}/feedback", json={"helpful": False}, headers=project.auth)
    httpx.post(f"{api}/{poor['id']}/feedback", json={"helpful": False}, headers=project.auth)
    httpx.post(f"{api}/{poor['id']}/feedback", json={"helpful": True}, headers=project.auth)

    def report(name: str) -> dict:
        r = httpx.get(f"{api}/reports/{name}", params={"days": 7}, headers=project.auth)
        assert r.status_code == 200, r.text
        return r.json()

    most = report("most-used")["articles"]
    assert most[0]["id"] == read["id"] and (most[0]["views"], most[0]["search_hits"], most[0]["links"]) == (3, 1, 1)
    assert [(a["id"], a["helpful"], a["not_helpful"]) for a in report("poor-feedback")["articles"]] == [(poor["id"], 1, 2)]
    gaps = report("knowledge-gaps")
    assert [(s["query"], s["count"]) for s in gaps["searches"]] == [("quantum teleporter", 2)]
    assert [c["id"] for c in gaps["clusters"]] == [zero]  # the KeyError cluster has an article now
    assert report("stale")["articles"] == []
    assert httpx.get(f"{api}/reports/nonsense", headers=project.auth).status_code == 400
