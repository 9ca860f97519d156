"""The public self-help portal in Chromium: only published public articles (by URL and by search), Chinese
search, "did this help?", the ticket form's honeypot and throttle, its own look with the locale switch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from server.services import portal
from tests.web.kb_support import article, cluster_from_ticket, project, query
from tests.web.support import Site, assert_accessible, form_token, screenshot

PUBLIC_BODY = "Open **Settings → Payments** and remove the coupon, then apply it again. Fixed in 1.4.0."


@pytest.fixture(scope="module")
def articles(site: Site) -> dict[str, int]:
    """Four acme articles about the same thing; only the published public ones may ever reach the portal."""
    pid = project(site, "acme", "portal-shop")
    made = {
        "public": article(site, "acme", "Coupon rejected at checkout", PUBLIC_BODY, tags=["coupon"]),
        "chinese": article(site, "acme", "结账时优惠券无法使用", "请打开设置，删除优惠券后重新添加。该问题已在 1.4.0 修复。",
                           language="zh"),
        "draft": article(site, "acme", "Coupon rejected draft notes", "Coupon checkout draft.", status="draft"),
        "internal": article(site, "acme", "Coupon rejected internal runbook", "Coupon checkout: restart the pricing"
                            " worker.", visibility="internal"),
    }
    cid = cluster_from_ticket(site, "acme", pid, "Coupon crash", "SECRET-CLUSTER-CODE")
    query(site, "INSERT INTO kb_article_clusters (article_id, cluster_id, linked_by) VALUES ($1, $2, 'test')",
          made["public"], cid)
    made["cluster"] = cid
    return made


def test_only_published_public_articles_by_url_and_by_search(site: Site, page: Any, articles: dict[str, int]) -> None:
    page.goto(site.url("/help/acme/"))
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    expect(page.locator("header nav[aria-label='Main']")).to_have_count(0)  # no staff navigation
    assert_accessible(page)
    screenshot(page, "portal")
    page.get_by_label("Describe your problem in your own words").fill("my coupon is rejected at checkout")
    page.get_by_role("button", name="Search").click()
    results = page.locator(".portal-list").inner_text()
    assert "Coupon rejected at checkout" in results
    assert "draft" not in results and "internal" not in results
    page.get_by_role("link", name="Coupon rejected at checkout").click()
    expect(page.locator(".portal-body strong", has_text="Settings → Payments")).to_be_visible()
    html = page.content()
    assert "SECRET-CLUSTER-CODE" not in html and "KeyError" not in html and "/o/acme" not in html
    assert_accessible(page)
    screenshot(page, "portal-article")
    for name in ("draft", "internal"):
        answer = page.goto(site.url(f"/help/acme/articles/{articles[name]}"))
        assert answer is not None and answer.status == 404, name
        expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    for path in ("/help/acme/clusters", f"/help/acme/clusters/{articles['cluster']}", "/help/acme/tickets",
                 "/help/no-such-org/", f"/help/globex/articles/{articles['public']}"):
        assert httpx.get(site.url(path)).status_code == 404, path


def test_chinese_search_and_the_locale_switch(site: Site, page: Any, articles: dict[str, int]) -> None:
    page.goto(site.url("/help/acme/"))
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="我们能帮您什么？")).to_be_visible()
    page.get_by_label("用您自己的话描述问题").fill("优惠券不能用")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("link", name="结账时优惠券无法使用")).to_be_visible()
    page.get_by_role("link", name="结账时优惠券无法使用").click()
    expect(page.locator("article[lang='zh']")).to_be_visible()
    expect(page.get_by_role("heading", name="这篇文章有帮助吗？")).to_be_visible()


def test_did_this_help_records_feedback(site: Site, page: Any, articles: dict[str, int]) -> None:
    aid = articles["public"]
    before = query(site, "SELECT coalesce(sum(helpful), 0) FROM kb_usage WHERE article_id = $1", aid)
    page.goto(site.url(f"/help/acme/articles/{aid}"))
    page.get_by_role("button", name="Yes").click()
    assert "glad it helped" in page.get_by_role("status").inner_text()
    assert query(site, "SELECT coalesce(sum(helpful), 0) FROM kb_usage WHERE article_id = $1", aid) == before + 1
    client = httpx.Client(base_url=site.base_url, timeout=20)
    token = form_token(client.get(f"/help/acme/articles/{aid}").text)
    refused = client.post(f"/help/acme/articles/{articles['draft']}/feedback", data={"_csrf": token, "helpful": "no"})
    assert refused.status_code == 404  # a draft takes no feedback either
    assert client.post(f"/help/acme/articles/{aid}/feedback", data={"helpful": "no"}).status_code == 403  # no token
    again = client.post(f"/help/acme/articles/{aid}/feedback", data={"_csrf": token, "helpful": "no"})
    assert again.status_code == 303  # thanked, but one answer per article and address counts
    assert query(site, "SELECT coalesce(sum(not_helpful), 0) FROM kb_usage WHERE article_id = $1", aid) == 0


def _tickets(site: Site, email: str) -> int:
    return int(query(site, "SELECT count(*) FROM tickets WHERE customer = $1", email))


def test_the_ticket_form_refuses_a_filled_honeypot(site: Site, page: Any, articles: dict[str, int]) -> None:
    page.goto(site.url(f"/help/acme/articles/{articles['public']}"))
    page.get_by_role("button", name="No").click()  # it did not help: the thanks offers the way on
    page.get_by_role("status").get_by_role("link", name="Contact support").click()
    assert page.locator("#website").get_attribute("tabindex") == "-1"
    assert page.locator(".hp").get_attribute("aria-hidden") == "true"
    assert_accessible(page)
    page.get_by_label("Subject").fill("Coupon still rejected")
    page.get_by_label("What happened? Paste any error message you saw.").fill("It says invalid coupon.")
    page.get_by_label("Your e-mail").fill("bot@spam.test")
    page.locator("#website").evaluate("e => { e.value = 'http://spam.example' }")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert _tickets(site, "bot@spam.test") == 0
    page.locator("#website").evaluate("e => { e.value = '' }")
    page.get_by_role("button", name="Send").click()  # the person's text was kept; now without the honeypot
    assert "We will answer at bot@spam.test" in page.get_by_role("status").inner_text()
    assert _tickets(site, "bot@spam.test") == 1
    body = query(site, "SELECT body FROM tickets WHERE customer = $1", "bot@spam.test")
    assert f"help article {articles['public']}" in body  # the agent sees which answer was tried first


def test_the_ticket_form_is_rate_limited(site: Site, page: Any) -> None:
    project(site, "throttled", "desk")  # an organization of its own: the limit counts per organization and address
    for n in range(portal.TICKETS_PER_WINDOW):
        page.goto(site.url("/help/throttled/contact"))
        page.get_by_label("Subject").fill(f"Question {n}")
        page.get_by_label("Your e-mail").fill("eager@customer.test")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    page.goto(site.url("/help/throttled/contact"))
    page.get_by_label("Subject").fill("One more")
    page.get_by_label("Your e-mail").fill("eager@customer.test")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send").click()
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 0
    expect(page.get_by_role("heading", name="Please wait a little")).to_be_visible()
    assert _tickets(site, "eager@customer.test") == portal.TICKETS_PER_WINDOW


def test_the_portal_fits_a_phone(site: Site, browser: Any, articles: dict[str, int]) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        for path in ("/help/acme/", f"/help/acme/articles/{articles['public']}", "/help/acme/contact"):
            page.goto(site.url(path))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 380, f"{path} scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
