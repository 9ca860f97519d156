"""Releases over the API and the CLI: creation, version order, names with '/', dates, deploys."""

from __future__ import annotations

import secrets

import httpx

from tests.conftest import Project
from tests.support import cli, run_sdk, wait_until


def _url(project: Project, tail: str = "") -> str:
    return f"{project.server.base_url}/api/0/projects/{project.id}/releases/{tail}"


def _create(project: Project, version: str, **extra: object) -> httpx.Response:
    return httpx.post(_url(project), json={"version": version, **extra}, headers=project.auth)


def test_releases_page_newest_version_first_with_unparsed_after(project: Project) -> None:
    names = ["1.9.0", "1.10.0", "nightly-b", "2.0.0-rc.1", "2.0.0", "1.10.0+77", "nightly-c", "8.1.0", "8.0.1"]
    for name in names:
        assert _create(project, name).status_code == 201, name
    assert _create(project, "2.0.0").status_code == 200  # exists: same release back
    page = httpx.get(_url(project), headers=project.auth).json()
    got = [r["version"] for r in page["releases"]]
    # equal precedence (1.10.0 and 1.10.0+77): the later-seen first; unparsed: newest seen first, after the parsed
    assert got == ["8.1.0", "8.0.1", "2.0.0", "2.0.0-rc.1", "1.10.0+77", "1.10.0", "1.9.0", "nightly-c", "nightly-b"]
    assert page["next_cursor"] is None
    assert [r["parsed"] for r in page["releases"]][-2:] == [False, False]

    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        part = httpx.get(_url(project), params=params, headers=project.auth).json()
        seen += [r["version"] for r in part["releases"]]
        cursor = part["next_cursor"]
        if not cursor:
            break
    assert seen == got


def test_packages_are_listed_apart(project: Project) -> None:
    for name in ["web@2.0", "ios@3.0", "web@10.0", "ios@2.5"]:
        assert _create(project, name).status_code == 201
    got = [r["version"] for r in httpx.get(_url(project), headers=project.auth).json()["releases"]]
    assert got == ["ios@3.0", "ios@2.5", "web@10.0", "web@2.0"]
    only = httpx.get(_url(project), params={"package": "web"}, headers=project.auth).json()
    assert [r["version"] for r in only["releases"]] == ["web@10.0", "web@2.0"]


def test_version_with_slash_and_reserved_characters_by_query_parameter(project: Project) -> None:
    name = "feature/login#2?x=1&y=%2F 3"
    assert _create(project, name, released_at="2026-01-02T03:04:05Z").status_code == 201
    one = httpx.get(_url(project), params={"version": name}, headers=project.auth)
    assert one.status_code == 200, one.text
    assert one.json()["version"] == name and one.json()["released_at"].startswith("2026-01-02T03:04:05")
    assert one.json()["scheme"] == "unparsed"

    done = httpx.patch(_url(project), params={"version": name}, json={"released": True}, headers=project.auth)
    assert done.status_code == 200 and done.json()["released_at"] > "2026-01-02T03:04:06"
    cleared = httpx.patch(_url(project), params={"version": name}, json={"released_at": None}, headers=project.auth)
    assert cleared.json()["released_at"] is None

    deploy = httpx.post(_url(project, "deploys/"), params={"version": name}, json={"environment": "prod", "name": "d1"},
                        headers=project.auth)
    assert deploy.status_code == 201, deploy.text
    deploys = httpx.get(_url(project, "deploys/"), params={"version": name}, headers=project.auth).json()["deploys"]
    assert [(d["environment"], d["name"]) for d in deploys] == [("prod", "d1")]


def test_bad_requests_say_what_was_wrong(project: Project, server) -> None:  # type: ignore[no-untyped-def]
    missing = httpx.get(_url(project), params={"version": "0.0.404"}, headers=project.auth)
    assert missing.status_code == 404 and "0.0.404" in missing.json()["detail"]
    assert _create(project, "").status_code == 400
    assert _create(project, "x" * 300).status_code == 400
    assert _create(project, "a\nb").status_code == 400
    assert httpx.post(_url(project), json={"version": "1.0", "bogus": 1}, headers=project.auth).status_code == 400
    both = httpx.patch(_url(project), params={"version": "1.0"}, json={"released": True, "released_at": None},
                       headers=project.auth)
    assert both.status_code in (400, 404)
    other = Project(server, "org-other-releases", "app")
    assert _create(other, "1.0").status_code == 201
    assert httpx.get(_url(other), params={"version": "1.0"}, headers=project.auth).status_code == 404


def test_cli_release_create_list_show(project: Project) -> None:
    db = project.server.database_url
    made = cli(db, "release", project.org, "app", "shop@1.2.3 (45)", "--date", "2026-03-01")
    assert made["created"] and made["build"] == "45" and made["released_at"].startswith("2026-03-01")
    cli(db, "release", project.org, "app", "shop@1.10.0")
    listed = cli(db, "releases", project.org, "app")
    assert [r["version"] for r in listed["releases"]] == ["shop@1.10.0", "shop@1.2.3 (45)"]
    shown = cli(db, "release-show", project.org, "app", "shop@1.10.0")
    assert shown["package"] == "shop" and shown["number"] == "1.10.0"


def test_first_event_creates_release_with_counts(project: Project) -> None:
    body = (
        "sentry_sdk.set_user({'id': sys.argv[4]})\n"
        "for n in range(3):\n"
        "    ids.append(sentry_sdk.capture_message(['cart total went negative', 'payment gateway timed out'][n % 2]))\n"
    )
    run_sdk(project.dsn, body, "u1", release="shop@3.0.0-beta.1", environment="staging")
    run_sdk(project.dsn, body, "u2", release="shop@3.0.0-beta.1", environment="production")
    run_sdk(project.dsn, body, "u2", release="not a version!", environment="production")
    too_long = secrets.token_hex(1500)  # incompressible, past what a btree index row holds
    long_ids = run_sdk(project.dsn, body, "u3", release=too_long, environment="production")

    def release(name: str) -> dict:
        r = httpx.get(_url(project), params={"version": name}, headers=project.auth)
        return r.json() if r.status_code == 200 and r.json()["event_count"] >= 3 else {}

    beta = wait_until(lambda: (r := release("shop@3.0.0-beta.1")) and r["event_count"] == 6 and r)
    assert beta["user_count"] == 2 and beta["cluster_count"] == 2
    assert beta["environments"] == ["production", "staging"]
    assert beta["first_event"] and beta["last_event"] >= beta["first_event"]
    odd = wait_until(lambda: release("not a version!"))
    assert odd["parsed"] is False and odd["event_count"] == 3
    # a release name too long to be one: the events are processed, no release is made
    event = wait_until(lambda: (r := httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}/events/{long_ids[0]}",
                                               headers=project.auth)).status_code == 200
                       and r.json()["status"] != "pending" and r.json())
    assert event["status"] == "processed", event["failure"]
    assert event["release"] is None and any("release dropped" in n for n in event["notes"])
    assert httpx.get(_url(project), params={"version": too_long}, headers=project.auth).status_code == 404
