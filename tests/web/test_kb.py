"""Knowledge-base pages in Chromium: write with a live sanitised preview, publish, link a cluster, a refused
stale save that keeps both texts, history with diffs and restore, a draft from a cluster, reports, roles."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.kb_support import article, cluster_from_ticket, project, query
from tests.web.support import Site, assert_accessible, form_token, screenshot, sign_in, signed_in_client

HOSTILE = (
    "# Hostile\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n"
    '<a href="#" onclick="alert(1)">click</a> <svg onload=alert(1)></svg>\n\nplain **bold** text\n'
)


@pytest.fixture(scope="module")
def kb_cluster(site: Site) -> tuple[int, int]:
    """(project id, cluster id): a cluster in acme made from a ticket with a pasted traceback."""
    pid = project(site, "acme", "kb-shop")
    return pid, cluster_from_ticket(site, "acme", pid, "Checkout crashes with a coupon", "SPRING24")


def assert_inert(page: Any, where: str) -> None:
    scope = page.locator(where)
    expect(scope.locator("script")).to_have_count(0)
    expect(scope.locator("[onerror], [onclick], [onload]")).to_have_count(0)
    expect(scope.locator("a[href^='javascript']")).to_have_count(0)
    assert not page.dialogs


def test_write_preview_publish_and_link_a_cluster(site: Site, page: Any, kb_cluster: tuple[int, int]) -> None:
    pid, cid = kb_cluster
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url("/o/acme/kb"))
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Checkout crash when a coupon code is unknown")
    page.get_by_label("Body (Markdown)").fill("Apply **the latest update**.\n\n- open the app\n- retry the coupon")
    preview = page.locator("#preview")
    preview.locator("strong", has_text="the latest update").wait_for()  # htmx live preview, server-rendered
    assert_accessible(page)
    screenshot(page, "kb-editor")
    page.get_by_label("Tags (comma separated)").fill("checkout, coupon")
    page.get_by_role("button", name="Preview").click()  # the no-JavaScript path: a full page, nothing saved
    expect(page.locator("#preview li", has_text="retry the coupon")).to_be_visible()
    assert page.get_by_label("Title").input_value() == "Checkout crash when a coupon code is unknown"
    page.get_by_label("Status").select_option("published")
    page.get_by_label("Visibility").select_option("public")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/o/acme/kb/\d+\?language=en$"))
    expect(page.get_by_role("heading", name="Checkout crash when a coupon code is unknown")).to_be_visible()
    expect(page.locator("article strong", has_text="the latest update")).to_be_visible()
    expect(page.locator(".meta", has_text="published")).to_be_visible()
    page.get_by_label("Cluster id").fill(str(cid))
    page.get_by_label("Affected versions").fill(">=1.0.0 <1.4.0")
    page.get_by_label("Fixed in").fill("1.4.0")
    page.get_by_label("Workaround").fill("Remove the coupon and add it again.")
    page.get_by_role("button", name="Link", exact=True).click()
    row = page.locator("table tr", has_text=f"#{cid} ")
    expect(row).to_be_visible()
    assert "1.4.0" in row.inner_text() and ">=1.0.0 <1.4.0" in row.inner_text()
    assert "KeyError" in row.inner_text()  # the cluster's title, from the pasted traceback
    assert row.get_by_role("link").get_attribute("href") == f"/o/acme/projects/{pid}/clusters/{cid}"
    assert "resolved" in row.inner_text()  # a fixed-in version resolves the cluster through the releases workflow
    assert_accessible(page)


def test_hostile_markdown_is_inert_in_preview_and_view(site: Site, page: Any) -> None:
    aid = article(site, "acme", "Hostile markdown", HOSTILE, status="draft", visibility="internal")
    sign_in(page, site, site.people["agent"])
    page.goto(site.url(f"/o/acme/kb/{aid}/edit"))
    assert_inert(page, "#preview")  # the editor opens on the rendered current text
    page.get_by_label("Body (Markdown)").fill(HOSTILE + "\nnew line typed")
    page.locator("#preview p", has_text="new line typed").wait_for()  # htmx swapped in the server's rendering
    assert_inert(page, "#preview")
    expect(page.locator("#preview strong", has_text="bold")).to_be_visible()
    page.get_by_role("button", name="Preview").click()
    assert_inert(page, "#preview")
    page.goto(site.url(f"/o/acme/kb/{aid}"))
    assert_inert(page, "article")
    expect(page.locator("article img")).to_have_count(1)  # the harmless part of the tag survives, its handler does not
    page.wait_for_timeout(300)
    assert not page.dialogs


def test_a_stale_save_shows_both_versions_and_loses_nothing(site: Site, browser: Any) -> None:
    aid = article(site, "acme", "Reset a password", "Open Settings, then Account.", status="draft",
                  visibility="internal")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        sign_in(first, site, site.people["agent"])
        sign_in(second, site, site.people["engineer"])
        for p in (first, second):
            p.goto(site.url(f"/o/acme/kb/{aid}/edit"))
        first.get_by_label("Body (Markdown)").fill("Open Settings, then Account, then Security.")
        first.get_by_role("button", name="Save").click()
        first.wait_for_url(re.compile(rf".*/kb/{aid}\?language=en$"))
        second.get_by_label("Body (Markdown)").fill("Open the profile menu and choose Reset password.")
        second.get_by_role("button", name="Save").click()
        conflict = second.get_by_role("alert")
        assert "someone saved this article while you were editing" in conflict.inner_text()
        assert "Open Settings, then Account, then Security." in second.locator(".version.theirs").inner_text()
        assert "Open the profile menu and choose Reset password." in second.locator(".version.yours").inner_text()
        assert second.get_by_label("Body (Markdown)").input_value() == "Open the profile menu and choose Reset password."
        assert_accessible(second)
        # merged by hand, saved again: now from the newer revision, so it goes through
        second.get_by_label("Body (Markdown)").fill("Open Settings, then Account, then Security; or the profile menu.")
        second.get_by_role("button", name="Save").click()
        second.wait_for_url(re.compile(rf".*/kb/{aid}\?language=en$"))
        assert "or the profile menu" in second.locator("article").inner_text()
        # history: three revisions, a diff, and a restore of the first as a fourth
        second.get_by_role("link", name="History").click()
        expect(second.locator("tbody tr")).to_have_count(3)
        second.get_by_role("link", name="Changes in 3").click()
        assert "or the profile menu" in second.locator(".diff .d-add").first.inner_text()
        assert second.locator(".diff .d-del").count() >= 1
        second.go_back()
        second.get_by_role("button", name="Restore 1").click()
        expect(second.locator("tbody tr")).to_have_count(4)
        assert "restored from 1" in second.locator("tbody tr").first.inner_text()
        second.goto(site.url(f"/o/acme/kb/{aid}"))
        assert second.locator("article").inner_text().strip() == "Open Settings, then Account."
    finally:
        for c in contexts:
            c.close()


def test_an_article_from_a_cluster_starts_prefilled_and_is_linked(site: Site, page: Any,
                                                                   kb_cluster: tuple[int, int]) -> None:
    pid, _ = kb_cluster
    cid = cluster_from_ticket(site, "acme", pid, "Coupon code lookup fails", "WINTER99")
    sign_in(page, site, site.people["agent"])
    page.goto(site.url(f"/o/acme/projects/{pid}/clusters/{cid}"))
    page.get_by_role("link", name="Write an article from this cluster").click()  # the action on the cluster page
    page.wait_for_url(re.compile(rf".*/o/acme/kb/new\?project={pid}&cluster={cid}$"))
    assert f"cluster {cid}" in page.locator("main").inner_text()
    title = page.get_by_label("Title").input_value()
    assert title  # prefilled by the service from the cluster
    assert page.locator("#preview").inner_text().strip()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/o/acme/kb/\d+\?language=en$"))
    expect(page.locator("table tr", has_text=f"#{cid}")).to_be_visible()
    expect(page.locator(".meta", has_text="draft")).to_be_visible()
    page.goto(site.url(f"/o/acme/projects/{pid}/clusters/{cid}"))  # and the cluster page lists it back
    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r".*/o/acme/kb/\d+$"))


def test_list_search_and_reports(site: Site, page: Any) -> None:
    aid = article(site, "acme", "Printer driver times out on batch jobs", "Restart the spooler service.",
                  tags=["printing"])
    sign_in(page, site, site.people["agent"])
    page.goto(site.url("/o/acme/kb?tag=printing"))
    expect(page.get_by_role("link", name="Printer driver times out on batch jobs")).to_be_visible()
    page.get_by_label("Search articles").fill("printer spooler timeout")
    page.get_by_role("button", name="Apply").click()
    hit = page.locator(".hits li").first
    assert "Printer driver times out" in hit.inner_text() and "Why:" in hit.inner_text()
    assert hit.locator(".why code").count() >= 1
    page.get_by_label("Search articles").fill("zorblax quuxification")
    page.get_by_role("button", name="Apply").click()
    assert "knowledge gap" in page.locator(".hits").inner_text()
    page.goto(site.url("/o/acme/kb"))
    assert_accessible(page)
    screenshot(page, "kb-list")
    page.get_by_role("link", name="Reports").click()
    expect(page.locator("figure svg.bars")).to_have_count(1)  # most used: the printer article was found by search
    expect(page.get_by_role("link", name="Printer driver times out on batch jobs")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "kb-reports")
    page.get_by_role("link", name="Knowledge gaps").click()
    expect(page.locator("td", has_text="zorblax quuxification")).to_be_visible()
    expect(page.locator("figure svg.bars")).to_have_count(1)
    assert query(site, "SELECT search_hits FROM kb_usage WHERE article_id = $1", aid) >= 1


def test_another_organization_gets_404_for_an_acme_article(site: Site, page: Any) -> None:
    aid = article(site, "acme", "Acme-only know-how", "Internal.", status="published", visibility="internal")
    sign_in(page, site, site.people["outsider"])
    for path in (f"/o/acme/kb/{aid}", f"/o/globex/kb/{aid}", f"/o/globex/kb/{aid}/edit", f"/o/globex/kb/{aid}/history"):
        answer = page.goto(site.url(path))
        assert answer is not None and answer.status == 404, path
    assert "Acme-only" not in page.content()


def test_roles_are_enforced_on_the_post(site: Site, kb_cluster: tuple[int, int]) -> None:
    _, cid = kb_cluster
    aid = article(site, "acme", "Role check", "Body.", status="draft", visibility="internal")
    agent = signed_in_client(site, site.people["agent"])
    token = form_token(agent.get(f"/o/acme/kb/{aid}").text)
    assert agent.post(f"/o/acme/kb/{aid}/archive", data={"_csrf": token}).status_code == 403
    refused = agent.post(f"/o/acme/kb/{aid}/links", data={"_csrf": token, "cluster_id": str(cid), "fixed_in": "9.9.9"})
    assert refused.status_code == 403
    stale = agent.post(f"/o/acme/kb/{aid}/edit", data={"_csrf": token, "title": "Role check", "body": "x",
                                                      "status": "archived", "visibility": "internal",
                                                      "base_revision": "1", "language": "en"})
    assert stale.status_code == 403
    assert query(site, "SELECT status FROM kb_articles WHERE id = $1", aid) == "draft"
    engineer = signed_in_client(site, site.people["engineer"])
    token = form_token(engineer.get(f"/o/acme/kb/{aid}").text)
    assert engineer.post(f"/o/acme/kb/{aid}/archive", data={"_csrf": token}).status_code == 303
    assert query(site, "SELECT status FROM kb_articles WHERE id = $1", aid) == "archived"
    assert httpx.get(site.url(f"/o/acme/kb/{aid}"), follow_redirects=False).status_code == 303  # sign in first


def test_a_second_language_version_is_written_beside_the_first(site: Site, page: Any) -> None:
    aid = article(site, "acme", "Clear the app cache", "Settings → Storage → Clear cache.")
    sign_in(page, site, site.people["agent"])
    page.goto(site.url(f"/o/acme/kb/{aid}"))
    page.get_by_label("Add a language version").fill("zh")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_label("Language")).to_have_value("zh")
    assert page.get_by_label("Title").input_value() == ""
    page.get_by_label("Title").fill("清除应用缓存")
    page.get_by_label("Body (Markdown)").fill("设置 → 存储 → 清除缓存。")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf".*/kb/{aid}\?language=zh$"))
    expect(page.get_by_role("heading", name="清除应用缓存")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Language versions")
    expect(tabs.get_by_role("link", name="en")).to_be_visible()
    tabs.get_by_role("link", name="en").click()
    expect(page.get_by_role("heading", name="Clear the app cache")).to_be_visible()


def test_the_editor_fits_a_phone(site: Site, browser: Any) -> None:
    aid = article(site, "acme", "Phone-sized editing", "A `long_identifier_without_any_breaks_at_all_in_it` here.")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, site, site.people["agent"])
        for path in ("/o/acme/kb", f"/o/acme/kb/{aid}", f"/o/acme/kb/{aid}/edit", "/o/acme/kb/reports"):
            page.goto(site.url(path))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 380, f"{path} scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
