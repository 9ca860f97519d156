"""Cluster owners in Chromium: an engineer makes themself a cluster's owner from its page, the list's
"Mine" filter then shows it (and "Nobody" does not), the change is in the activity log; an agent
posting the owner form directly gets 403."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support import cli, run_sdk, wait_until
from tests.web.support import Site, assert_accessible, form_token, screenshot, sign_in, signed_in_client

TITLE = "owners: the nightly export stalled"


@pytest.fixture(scope="module")
def crash(site: Site) -> tuple[int, int, httpx.Client]:
    """(project id, cluster id, an API client) of a project of its own with one cluster."""
    made = cli(site.database_url, "createproject", "acme", "owners-shop", public_url=site.base_url)
    token = cli(site.database_url, "token", "create", "acme", "--label", "cluster owners")["token"]
    api = httpx.Client(base_url=site.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)
    run_sdk(made["dsn"], f"ids.append(sentry_sdk.capture_message({TITLE!r}, level='error'))\n")

    def cluster_id() -> int | None:
        found = api.get(f"/api/0/projects/{made['project_id']}/clusters/").json()["clusters"]
        return found[0]["id"] if found else None

    return made["project_id"], wait_until(cluster_id), api


def test_engineer_takes_a_cluster_and_finds_it_under_mine(site: Site, page: Any, crash: tuple[int, int, httpx.Client]) -> None:
    project_id, cluster_id, api = crash
    engineer = site.people["engineer"].email
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(f"/o/acme/projects/{project_id}/clusters/{cluster_id}"))
    expect(page.locator("#owner")).to_have_text("nobody")
    page.get_by_label("Owner").select_option(engineer)
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text(f"{engineer} owns this cluster now.")
    expect(page.locator("#owner")).to_have_text(engineer)
    expect(page.locator("ol.activity li").filter(has_text="user:engineer@acme.test").filter(
        has_text=f"made {engineer} the owner")).to_be_visible()
    assert api.get(f"/api/0/projects/{project_id}/clusters/{cluster_id}").json()["owner"] == engineer
    assert_accessible(page)

    page.goto(site.url(f"/o/acme/clusters?project={project_id}"))
    page.get_by_label("Owner").select_option("none")  # htmx swaps the table in place
    page.wait_for_url(re.compile(r".*owner=none.*"))
    expect(page.get_by_text("No clusters match these filters.")).to_be_visible()
    page.get_by_label("Owner").select_option("me")
    page.wait_for_url(re.compile(r".*owner=me.*"))
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_be_visible()
    expect(row.locator("td.owner")).to_have_text(engineer)
    assert_accessible(page)
    screenshot(page, "clusters-owner-mine")

    page.goto(site.url(f"/o/acme/projects/{project_id}/clusters/{cluster_id}"))
    page.get_by_label("Owner").select_option("")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Nobody owns this cluster now.")
    expect(page.locator("#owner")).to_have_text("nobody")


def test_agent_cannot_set_an_owner(site: Site, crash: tuple[int, int, httpx.Client]) -> None:
    project_id, cluster_id, api = crash
    client = signed_in_client(site, site.people["agent"])
    path = f"/o/acme/projects/{project_id}/clusters/{cluster_id}"
    detail = client.get(path)
    assert detail.status_code == 200 and "Assign" not in detail.text  # reads yes, actions no
    before = api.get(f"/api/0/projects/{project_id}/clusters/{cluster_id}").json()["owner"]
    answer = client.post(path + "/owner", data={"_csrf": form_token(detail.text), "owner": site.people["agent"].email})
    assert answer.status_code == 403 and "needs the engineer role" in answer.text  # the role refused it, not CSRF
    assert api.get(f"/api/0/projects/{project_id}/clusters/{cluster_id}").json()["owner"] == before
