"""The resolution workflow with the real sentry-sdk sending from several releases.

A cluster resolved in a release regresses only on events from that release or later;
"resolve in the next release" waits for a release that is newer than all before it;
ignores end at their thresholds; every change is in the activity log.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import httpx

from server.services import resolution as services
from tests.conftest import Project
from tests.support import run_sdk, wait_until

ERRORS = {
    "checkout": "checkout total went negative for the cart",
    "login": "login token signature could not be verified",
    "upload": "avatar upload exceeded the storage quota",
    "search": "search index shard is unavailable right now",
    "export": "report export produced an empty spreadsheet",
    "other": "an unrelated background job stalled in the queue",
}


def send(project: Project, release: str, *names: str, user: str | None = None) -> None:
    body = (f"sentry_sdk.set_user({{'id': {user!r}}})\n" if user else "") + "".join(
        f"ids.append(sentry_sdk.capture_message({ERRORS[n]!r}, level='error'))\n" for n in names
    )
    run_sdk(project.dsn, body, release=release)


def api(project: Project, tail: str) -> str:
    return f"{project.server.base_url}/api/0/projects/{project.id}/{tail}"


def release_events(project: Project, cluster_id: int) -> dict[str, int]:
    r = httpx.get(api(project, f"clusters/{cluster_id}/releases/"), headers=project.auth)
    assert r.status_code == 200, r.text
    return {x["version"]: x["events"] for x in r.json()["releases"]}


def resolution(project: Project, cluster_id: int) -> dict:
    r = httpx.get(api(project, f"clusters/{cluster_id}/resolution/"), headers=project.auth)
    assert r.status_code == 200, r.text
    return r.json()


def cluster_of(project: Project, release: str, name: str) -> int:
    def find() -> int | None:
        r = httpx.get(api(project, "releases/clusters/"), params={"version": release}, headers=project.auth)
        found = [c["id"] for c in r.json().get("clusters", []) if ERRORS[name] in c["title"]] if r.status_code == 200 else []
        return found[0] if found else None

    return wait_until(find)


def patch(project: Project, cluster_id: int, body: dict) -> dict:
    r = httpx.patch(api(project, f"clusters/{cluster_id}"), json=body, headers=project.auth)
    assert r.status_code == 200, r.text
    return r.json()


def settle(project: Project, cluster_id: int, release: str, events: int) -> None:
    wait_until(lambda: release_events(project, cluster_id).get(release) == events)


def test_resolved_in_middle_release_regresses_only_from_it_or_later(project: Project) -> None:
    for release in ("shop@1.0.0", "shop@1.1.0"):
        send(project, release, "checkout")
    cid = cluster_of(project, "shop@1.1.0", "checkout")
    out = patch(project, cid, {"status": "resolved", "resolved_in": "shop@1.1.0"})
    assert out["status"] == "resolved" and out["resolved_in"] == "shop@1.1.0" and out["resolved_in_next"] is False

    send(project, "shop@1.0.0", "checkout", "checkout")  # an older release: counted, not reopened
    settle(project, cid, "shop@1.0.0", 3)
    state = resolution(project, cid)
    assert state["status"] == "resolved" and state["seen_in_older_release"] == 2 and state["older_release"] == "shop@1.0.0"

    send(project, "shop@1.1.0", "checkout")  # the fixed release itself: a regression
    settle(project, cid, "shop@1.1.0", 2)
    state = resolution(project, cid)
    assert (state["status"], state["regressed_in"], state["resolved_in"]) == ("unresolved", "shop@1.1.0", None)
    assert state["regressed_at"]

    patch(project, cid, {"status": "resolved", "resolved_in": "shop@1.1.0"})
    send(project, "shop@1.2.0", "checkout")  # a later release
    settle(project, cid, "shop@1.2.0", 1)
    assert resolution(project, cid)["regressed_in"] == "shop@1.2.0"

    log = httpx.get(api(project, f"clusters/{cid}/activity/"), headers=project.auth).json()["activity"]
    got = [(a["kind"], a["from_status"], a["to_status"], a["release"], a["actor"] == "system") for a in reversed(log)]
    assert got == [
        ("status", "unresolved", "resolved", "shop@1.1.0", False),
        ("regression", "resolved", "unresolved", "shop@1.1.0", True),
        ("status", "unresolved", "resolved", "shop@1.1.0", False),
        ("regression", "resolved", "unresolved", "shop@1.2.0", True),
    ]
    view = httpx.get(api(project, "releases/"), params={"version": "shop@1.2.0"}, headers=project.auth).json()
    assert view["regressed_clusters"] == 1
    regressed = httpx.get(api(project, "releases/clusters/"), params={"version": "shop@1.2.0", "kind": "regressed"},
                          headers=project.auth).json()
    assert [c["id"] for c in regressed["clusters"]] == [cid]


def test_resolve_in_next_release_waits_for_a_newer_release(project: Project) -> None:
    send(project, "8.0.0", "login")
    send(project, "8.1.0", "login")
    cid = cluster_of(project, "8.1.0", "login")
    out = patch(project, cid, {"status": "resolved", "resolved_in_next": True})
    assert (out["resolved_in"], out["resolved_in_next"]) == (None, True)

    send(project, "8.1.0", "login")  # the current release: not the fix, not a regression
    send(project, "8.0.1", "other")  # a late backport appears: not "the next release"
    settle(project, cid, "8.1.0", 2)
    wait_until(lambda: httpx.get(api(project, "releases/"), params={"version": "8.0.1"}, headers=project.auth).status_code == 200)
    state = resolution(project, cid)
    assert (state["status"], state["resolved_in"], state["resolved_in_next"]) == ("resolved", None, True)

    send(project, "8.2.0", "other")  # the next release's first event
    wait_until(lambda: resolution(project, cid)["resolved_in"] == "8.2.0")
    assert resolution(project, cid)["resolved_in_next"] is False
    view = httpx.get(api(project, "releases/"), params={"version": "8.2.0"}, headers=project.auth).json()
    assert view["resolved_clusters"] == 1

    send(project, "8.1.0", "login")  # still older than the fix
    settle(project, cid, "8.1.0", 3)
    assert resolution(project, cid)["status"] == "resolved"
    # what the knowledge base and the support lookup read
    assert asyncio.run(fix_answers(project, cid)) == ("8.2.0", True, False, True, None)
    send(project, "8.2.0", "login")
    settle(project, cid, "8.2.0", 1)
    assert resolution(project, cid)["regressed_in"] == "8.2.0"


async def fix_answers(project: Project, cluster_id: int) -> tuple[object, ...]:
    conn = await asyncpg.connect(project.server.database_url)
    try:
        org = await conn.fetchval("SELECT organization_id FROM projects WHERE id = $1", project.id)
        return (
            await services.fixed_in(conn, org, project.id, cluster_id),
            await services.is_fixed(conn, org, project.id, cluster_id, "8.2.0"),
            await services.is_fixed(conn, org, project.id, cluster_id, "8.1.0"),
            await services.is_fixed(conn, org, project.id, cluster_id, "v8.10"),
            await services.is_fixed(conn, org, project.id, cluster_id, "nightly"),
        )
    finally:
        await conn.close()


def test_ignore_until_thresholds(project: Project) -> None:
    send(project, "5.0", "upload", "search", "export", "other")
    ids = {n: cluster_of(project, "5.0", n) for n in ("upload", "search", "export", "other")}
    assert len(set(ids.values())) == 4
    patch(project, ids["upload"], {"status": "ignored", "ignore_until": {"events": 2}})
    patch(project, ids["search"], {"status": "ignored", "ignore_until": {"users": 1}})
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    patch(project, ids["export"], {"status": "ignored", "ignore_until": {"date": yesterday}})
    forever = patch(project, ids["other"], {"status": "ignored", "ignore_until": None})
    assert forever["status"] == "ignored"

    send(project, "5.0", "upload", "search", "other")  # no user on these events
    for name in ("upload", "search", "other"):
        settle(project, ids[name], "5.0", 2)
    assert [resolution(project, ids[n])["status"] for n in ("upload", "search", "other")] == ["ignored"] * 3

    send(project, "5.0", "upload", "search", "export", "other", user="first-user")
    for name, n in (("upload", 3), ("search", 3), ("export", 2), ("other", 3)):
        settle(project, ids[name], "5.0", n)
    assert resolution(project, ids["upload"])["status"] == "unresolved"  # 2 more events
    assert resolution(project, ids["search"])["status"] == "unresolved"  # 1 more user
    assert resolution(project, ids["export"])["status"] == "unresolved"  # the date passed
    assert resolution(project, ids["other"])["status"] == "ignored"  # for good
    kinds = [a["kind"] for a in httpx.get(api(project, f"clusters/{ids['upload']}/activity/"), headers=project.auth).json()["activity"]]
    assert kinds == ["unignored", "status"]


def test_patch_shapes_refused_with_reasons(project: Project) -> None:
    send(project, "1.0", "other")
    cid = cluster_of(project, "1.0", "other")
    for body in (
        {"status": "ignored", "resolved_in": "1.0"},
        {"status": "resolved", "resolved_in": "1.0", "resolved_in_next": True},
        {"status": "resolved", "ignore_until": {"events": 3}},
        {"status": "ignored", "ignore_until": {"events": 0}},
        {"status": "ignored", "ignore_until": {"events": 3, "users": 2}},
        {"status": "fixed"},
        {"status": "resolved", "resolved_in": ""},
    ):
        r = httpx.patch(api(project, f"clusters/{cid}"), json=body, headers=project.auth)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["detail"]
    reopened = patch(project, cid, {"status": "unresolved"})
    assert reopened["status"] == "unresolved"
    assert httpx.get(api(project, "clusters/999999999/resolution/"), headers=project.auth).status_code == 404
