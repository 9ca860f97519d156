"""Cluster owners through the JSON API on a real server: assign a member, filter the list by owner,
refuse anyone outside the organization (400 naming the field), log each change, unassign; and a
member who leaves the organization owns nothing of it any more."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from server import database
from server.services import accounts
from tests.conftest import Project
from tests.support import cli, run_sdk, wait_until


def _api(project: Project, tail: str = "") -> str:
    return f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{tail}"


def _patch(project: Project, cluster_id: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.patch(_api(project, str(cluster_id)), json=body, headers=project.auth)


def _listed(project: Project, **params: str) -> list[tuple[int, str | None]]:
    r = httpx.get(_api(project), params=params, headers=project.auth)
    assert r.status_code == 200, r.text
    return [(c["id"], c["owner"]) for c in r.json()["clusters"]]


def _activity(project: Project, cluster_id: int) -> list[dict[str, Any]]:
    r = httpx.get(_api(project, f"{cluster_id}/activity/"), headers=project.auth)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["activity"] if a["kind"] == "owner"]


async def _people(url: str, org: str, other_org: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await accounts.create_user(conn, org, f"dev@{org}.test", "a long test password", role="engineer")
        await accounts.create_user(conn, org, f"help@{org}.test", "a long test password", role="agent")
        await accounts.create_user(conn, other_org, f"dev@{other_org}.test", "a long test password", role="admin")
    finally:
        await conn.close()


async def _remove(url: str, org: str, email: str) -> None:
    conn = await database.connect(url)  # with the server's JSON codec (the activity log's detail)
    try:
        org_id = await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", org)
        user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        admin = accounts.Membership(org_id, org, org, "admin")
        await accounts.remove_member(conn, admin, user_id)
    finally:
        await conn.close()


def test_owner_is_assigned_filtered_refused_outside_the_org_logged_and_cleared(project: Project) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}"
    asyncio.run(_people(project.server.database_url, project.org, other))
    dev, helper, stranger = f"dev@{project.org}.test", f"help@{project.org}.test", f"dev@{other}.test"
    run_sdk(project.dsn, "ids.append(sentry_sdk.capture_message('owners: checkout failed', level='error'))\n"
                         "ids.append(sentry_sdk.capture_message('owners: login failed', level='error'))\n")
    clusters = wait_until(lambda: (found := _listed(project)) and len(found) == 2 and found)
    (cid, owner), (other_cid, _) = clusters
    assert owner is None  # a new cluster is nobody's
    token_id = cli(project.server.database_url, "token", "list", project.org)["tokens"][0]["id"]

    r = _patch(project, cid, {"owner": dev.upper()})  # e-mails are matched as the accounts store them
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == dev and r.json()["status"] == "unresolved"  # the status is untouched
    assert httpx.get(_api(project, str(cid)), headers=project.auth).json()["owner"] == dev
    assert _listed(project, owner=dev) == [(cid, dev)]
    assert _listed(project, owner="none") == [(other_cid, None)]
    assert sorted(_listed(project)) == sorted([(cid, dev), (other_cid, None)])
    [logged] = _activity(project, cid)
    assert logged["actor"] == f"token:{token_id}" and logged["detail"] == {"owner": dev, "previous": None}

    for outsider in (stranger, "nobody@example.test", ""):
        r = _patch(project, cid, {"owner": outsider})
        assert r.status_code == 400 and r.json()["detail"].startswith("owner must be"), (outsider, r.text)
    r = httpx.get(_api(project), params={"owner": stranger}, headers=project.auth)
    assert r.status_code == 400 and "owner" in r.json()["detail"]
    # all or nothing: a status change beside a refused owner is not applied either
    assert _patch(project, cid, {"status": "resolved", "owner": stranger}).status_code == 400
    assert httpx.get(_api(project, str(cid)), headers=project.auth).json()["status"] == "unresolved"
    r = _patch(project, cid, {})
    assert r.status_code == 400 and "status" in r.json()["detail"]
    assert _patch(project, cid, {"resolved_in": "app@1.0"}).status_code == 400  # needs a status
    assert _patch(project, cid, {"status": "resolved"}).json()["owner"] == dev  # a status change keeps the owner

    r = _patch(project, cid, {"owner": helper, "status": "unresolved"})  # both at once; an agent is a member too
    assert r.status_code == 200 and r.json()["owner"] == helper and r.json()["status"] == "unresolved"
    r = _patch(project, cid, {"owner": None})
    assert r.status_code == 200 and r.json()["owner"] is None
    assert sorted(_listed(project, owner="none")) == sorted([(cid, None), (other_cid, None)])
    assert _listed(project, owner=dev) == []
    assert [a["detail"] for a in _activity(project, cid)] == [
        {"owner": None, "previous": helper}, {"owner": helper, "previous": dev}, {"owner": dev, "previous": None},
    ]
    assert _patch(project, cid, {"owner": None}).status_code == 200
    assert len(_activity(project, cid)) == 3  # no change, no line

    assert _patch(project, other_cid, {"owner": dev}).json()["owner"] == dev
    asyncio.run(_remove(project.server.database_url, project.org, dev))
    assert sorted(_listed(project, owner="none")) == sorted([(cid, None), (other_cid, None)])
    assert _activity(project, other_cid)[0]["actor"] == "system"
    assert _patch(project, other_cid, {"owner": dev}).status_code == 400  # no longer a member
