"""Settings pages in a real browser: members, invites and roles; API tokens; webhooks; grouping rules; admin only."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support import cli
from tests.web.support import Person, Site, add_people, assert_accessible, screenshot, sign_in

ORG = "setco"
BOSS = Person("boss@setco.test", ORG, "admin")


@pytest.fixture(scope="module")
def boss(site: Site) -> Person:
    add_people(site.database_url, BOSS)
    return BOSS


def csrf_of(page: Any) -> str:
    return str(page.locator('input[name="_csrf"]').first.get_attribute("value"))


def test_an_admin_invites_someone_who_joins_with_the_role_then_changes_it(site: Site, page: Any, browser: Any,
                                                                          boss: Person) -> None:
    sign_in(page, site, boss)
    page.get_by_role("link", name="Settings").click()
    assert page.get_by_role("heading", name="Members", exact=True).is_visible()
    page.get_by_label("E-mail").fill("newbie@setco.test")
    page.get_by_label("Role", exact=True).select_option("engineer")
    page.get_by_role("button", name="Make invite link").click()
    link = page.locator("#secret-value").inner_text()
    assert re.fullmatch(re.escape(site.base_url) + r"/account/invite/[\w-]+", link), link
    pending = page.get_by_role("table").nth(1)
    assert "newbie@setco.test" in pending.inner_text() and "engineer" in pending.inner_text()
    assert_accessible(page)

    invitee = browser.new_context()
    try:
        joining = invitee.new_page()
        joining.goto(link)
        joining.get_by_label("Your name").fill("New Bie")
        joining.get_by_label("New password").fill("newbie's own password")
        joining.get_by_role("button", name="Join").click()
        joining.wait_for_url(re.compile(rf".*/o/{ORG}/$"))
        joining.goto(site.url("/account"))
        assert f"{ORG} · engineer" in joining.locator("main").inner_text()
        assert joining.get_by_role("link", name="Settings").count() == 0  # an engineer has no settings
    finally:
        invitee.close()

    page.reload()
    page.get_by_label("Role of newbie@setco.test", exact=True).select_option("agent")
    page.get_by_role("button", name="Change the role of newbie@setco.test").click()
    assert page.get_by_role("status").inner_text() == "Role changed."
    assert page.get_by_label("Role of newbie@setco.test", exact=True).input_value() == "agent"
    row = page.get_by_role("row").filter(has_text="newbie@setco.test")
    assert "never" not in row.inner_text()  # last seen: the invitee signed in
    page.get_by_role("button", name="Make a password reset link for newbie@setco.test").click()
    assert "/account/reset/" in page.locator("#secret-value").inner_text()
    screenshot(page, "settings-members")


def test_a_read_token_is_shown_once_reads_cannot_write_and_stops_when_revoked(site: Site, page: Any,
                                                                              boss: Person) -> None:
    sign_in(page, site, boss)
    page.goto(site.url(f"/o/{ORG}/settings/tokens"))
    assert_accessible(page)
    page.get_by_label("Label").fill("ci reader")
    page.get_by_label("read", exact=True).check()
    page.get_by_label("Expires after").select_option("30d")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#secret-value").inner_text()
    assert secret.startswith("cdt_")
    assert_accessible(page)
    screenshot(page, "settings-tokens")
    page.goto(site.url(f"/o/{ORG}/settings/tokens"))
    assert secret not in page.content()  # shown once only
    row = page.get_by_role("row").filter(has_text="ci reader")
    assert "active" in row.inner_text() and "read" in row.inner_text()

    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(site.url("/api/0/projects/"), headers=bearer).status_code == 200
    write = httpx.post(site.url("/api/0/articles/"), headers=bearer, json={"title": "x", "body": "y"})
    assert write.status_code == 403 and "write" in write.text

    page.get_by_role("button", name="Revoke token ci reader").click()
    assert page.get_by_role("status").inner_text() == "Token revoked; it no longer works."
    assert "revoked" in page.get_by_role("row").filter(has_text="ci reader").inner_text()
    assert httpx.get(site.url("/api/0/projects/"), headers=bearer).status_code == 401


def test_a_webhook_is_added_with_an_empty_delivery_log_and_internal_urls_are_refused(site: Site, page: Any,
                                                                                     boss: Person) -> None:
    sign_in(page, site, boss)
    page.goto(site.url(f"/o/{ORG}/settings/webhooks"))
    page.get_by_label("URL").fill("http://127.0.0.1:9/inside")
    page.get_by_label("article.stale").check()
    page.get_by_role("button", name="Add webhook").click()
    assert "internal address" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("URL").input_value() == "http://127.0.0.1:9/inside"  # kept for correction
    # a public address of the documentation kind; this organization never has a stale article, so it is never called
    url = "https://93.184.216.34/hooks/crashdesk"
    page.get_by_label("URL").fill(url)
    page.get_by_role("button", name="Add webhook").click()
    assert len(page.locator("#secret-value").inner_text()) >= 16
    assert "article.stale" in page.get_by_role("row").filter(has_text=url).inner_text()
    assert_accessible(page)
    screenshot(page, "settings-webhooks")
    page.get_by_role("link", name=f"Delivery log of {url}").click()
    assert page.get_by_role("heading", name=f"Delivery log of {url}").is_visible()
    assert "No deliveries yet" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Back to webhooks").click()
    page.get_by_role("button", name=f"Deactivate {url}").click()
    assert "inactive" in page.get_by_role("row").filter(has_text=url).inner_text()


def test_grouping_rules_are_edited_and_refusals_show_beside_the_text(site: Site, page: Any, boss: Person) -> None:
    project = cli(site.database_url, "createproject", ORG, "setapp", "--create-org")
    sign_in(page, site, boss)
    page.goto(site.url(f"/o/{ORG}/settings/grouping"))
    assert_accessible(page)
    page.get_by_role("link", name="Grouping rules of setapp").click()
    editor = page.get_by_label(re.compile("Rules"))
    assert editor.input_value().strip() == "{}"
    editor.fill('{"fingerprint_rules": [{"fingerprint": ["timeouts"]}]}')
    page.get_by_role("button", name="Save rules").click()
    assert "needs at least one of type, module, function, message" in page.get_by_role("alert").inner_text()
    assert '"timeouts"' in editor.input_value()  # what was typed is still there
    assert_accessible(page)
    editor.fill('{"fingerprint_rules": [{"type": "TimeoutError", "fingerprint": ["timeouts"]}], "in_app_include": ["shop"]')
    page.get_by_role("button", name="Save rules").click()
    assert "not valid" in page.get_by_role("alert").inner_text()  # broken JSON, said so
    editor.fill('{"fingerprint_rules": [{"type": "TimeoutError", "fingerprint": ["timeouts"]}], "in_app_include": ["shop"]}')
    page.get_by_role("button", name="Save rules").click()
    assert page.get_by_role("status").inner_text().startswith("Grouping rules saved.")
    token = cli(site.database_url, "token", "create", ORG, "--scope", "read")["token"]
    saved = httpx.get(site.url(f"/api/0/projects/{project['project_id']}/grouping-config"),
                      headers={"Authorization": f"Bearer {token}"}).json()
    assert saved == {"fingerprint_rules": [{"type": "TimeoutError", "fingerprint": ["timeouts"]}], "in_app_include": ["shop"]}


def test_an_agent_gets_403_on_settings_and_on_a_direct_post(site: Site, page: Any) -> None:
    sign_in(page, site, site.people["agent"])
    assert page.get_by_role("link", name="Settings").count() == 0
    token = csrf_of(page)
    for path in ("/o/acme/settings", "/o/acme/settings/tokens", "/o/acme/settings/webhooks", "/o/acme/settings/grouping"):
        answer = page.goto(site.url(path))
        assert answer.status == 403, path
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    posted = page.request.post(site.url("/o/acme/settings/invites"),
                               form={"_csrf": token, "email": "sneaky@acme.test", "role": "admin"}, max_redirects=0)
    assert posted.status == 403
    made = page.request.post(site.url("/o/acme/settings/tokens"), form={"_csrf": token, "scope": "admin"}, max_redirects=0)
    assert made.status == 403 and "cdt_" not in made.text()


def test_an_engineer_posting_a_role_change_gets_403(site: Site, page: Any) -> None:
    sign_in(page, site, site.people["engineer"])
    posted = page.request.post(site.url("/o/acme/settings/members/1/role"),
                               form={"_csrf": csrf_of(page), "role": "agent"}, max_redirects=0)
    assert posted.status == 403


def test_the_last_admin_cannot_demote_or_remove_themselves(site: Site, page: Any) -> None:
    solo = Person("solo@soloco.test", "soloco", "admin")
    add_people(site.database_url, solo)
    sign_in(page, site, solo)
    page.goto(site.url("/o/soloco/settings"))
    page.get_by_label("Role of solo@soloco.test", exact=True).select_option("engineer")
    with page.expect_response(re.compile(r".*/role$")) as answer:
        page.get_by_role("button", name="Change the role of solo@soloco.test").click()
    assert answer.value.status == 409
    assert page.get_by_role("alert").inner_text() == "the last admin cannot step down; make another member admin first"
    page.get_by_role("button", name="Remove solo@soloco.test from the organization").click()
    assert page.get_by_role("alert").inner_text() == "the last admin cannot be removed"
    page.goto(site.url("/o/soloco/settings"))
    assert page.get_by_label("Role of solo@soloco.test", exact=True).input_value() == "admin"
    page.set_viewport_size({"width": 375, "height": 740})
    for tab in ("", "/tokens", "/webhooks", "/grouping"):
        page.goto(site.url(f"/o/soloco/settings{tab}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"settings{tab} scrolls sideways on a phone ({width}px)"
    page.goto(site.url("/locale/zh?next=/o/soloco/settings"))
    assert page.get_by_role("heading", name="成员", exact=True).is_visible()
    assert page.get_by_role("button", name="生成邀请链接").is_visible()
    page.goto(site.url("/o/soloco/settings/tokens"))
    page.get_by_label("标签").fill("zh")
    page.get_by_role("button", name="创建令牌").click()
    page.get_by_role("button", name="吊销令牌 zh").click()
    assert page.get_by_role("status").inner_text() == "令牌已吊销，不再可用。"  # a Chinese message after a redirect
