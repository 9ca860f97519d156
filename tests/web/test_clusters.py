"""The cluster pages in Chromium: crashes from the real sentry-sdk listed, resolved in a release and
regressing from a newer one, merged and unmerged; hostile messages shown as text; other organizations
and lower roles refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support import cli, run_sdk, wait_until
from tests.web.support import Site, assert_accessible, form_token, screenshot, sign_in, signed_in_client

# The crashing code lives in a module file, so the SDK sends its source lines (``python -c`` has none);
# it is outside the working directory, so the SDK is told it is the app's own code.
CRASH = """
sentry_sdk.init(dsn=sys.argv[1], release=sys.argv[2], environment=sys.argv[3], default_integrations=False,
                in_app_include=["shop_cart"])
import os, tempfile
folder = tempfile.mkdtemp()
with open(os.path.join(folder, "shop_cart.py"), "w") as f:
    f.write("def checkout(cart):\\n    subtotal = cart['total']\\n    return subtotal / cart['items']\\n")
sys.path.insert(0, folder)
import shop_cart
try:
    shop_cart.checkout({"total": 10, "items": 0})
except ZeroDivisionError as exc:
    ids.append(sentry_sdk.capture_exception(exc))
"""
TWO_CRASHES = """
def load_coupon(codes):
    return codes["SPRING"]
def apply_discount(price):
    return price + "%"
for fn, arg in ((load_coupon, {}), (apply_discount, 10)):
    try:
        fn(arg)
    except Exception as exc:
        ids.append(sentry_sdk.capture_exception(exc))
"""
HOSTILE_TEXT = "<script>alert(1)</script> \"><img src=x onerror=alert(1)>"
HOSTILE = """
def render_banner(text):
    raise ValueError(text)
try:
    render_banner(sys.argv[4])
except ValueError as exc:
    ids.append(sentry_sdk.capture_exception(exc))
"""


@dataclass
class Shop:
    id: int
    dsn: str
    api: httpx.Client

    def clusters(self, **params: str) -> list[dict[str, Any]]:
        answer = self.api.get(f"/api/0/projects/{self.id}/clusters/", params={"limit": "100", **params})
        assert answer.status_code == 200, answer.text
        return answer.json()["clusters"]  # type: ignore[no-any-return]

    def cluster(self, cluster_id: int) -> dict[str, Any]:
        answer = self.api.get(f"/api/0/projects/{self.id}/clusters/{cluster_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def send(self, body: str, *args: str, release: str = "shop@1.0.0") -> None:
        """Run the SDK and wait until every event it sent is grouped into a cluster."""
        ids = run_sdk(self.dsn, body, *args, release=release)
        for event_id in ids:
            wait_until(lambda e=event_id: (r := self.api.get(f"/api/0/projects/{self.id}/events/{e}")).status_code == 200
                       and r.json()["cluster_id"])

    def page(self, cluster_id: int) -> str:
        return f"/o/acme/projects/{self.id}/clusters/{cluster_id}"


@pytest.fixture(scope="module")
def shop(site: Site) -> Shop:
    made = cli(site.database_url, "createproject", "acme", "clusters-shop", public_url=site.base_url)
    token = cli(site.database_url, "token", "create", "acme", "--label", "cluster pages")["token"]
    api = httpx.Client(base_url=site.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)
    return Shop(made["project_id"], made["dsn"], api)


def _by_title(shop: Shop, title: str) -> dict[str, Any]:
    return next(c for c in shop.clusters() if c["title"] == title)


def test_sdk_crash_is_listed_resolved_in_a_release_and_regresses(site: Site, page: Any, shop: Shop) -> None:
    shop.send(CRASH, release="shop@1.0.0")
    cluster = _by_title(shop, "ZeroDivisionError: division by zero")
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    row = page.get_by_role("row").filter(has_text="ZeroDivisionError: division by zero")
    assert row.locator("svg.spark").count() == 1
    assert row.get_by_text("unresolved").is_visible()
    assert_accessible(page)
    screenshot(page, "clusters-list")

    row.get_by_role("link", name="ZeroDivisionError: division by zero").click()
    page.wait_for_url(re.compile(rf".*/clusters/{cluster['id']}$"))
    frame = page.locator("li.frame.inapp").filter(has_text="checkout")
    assert frame.locator(".crash").inner_text().strip().endswith("return subtotal / cart['items']")
    assert page.locator("ul.grouping").is_visible()
    assert page.locator("svg.bars").count() == 2  # per release and per environment
    assert_accessible(page)
    screenshot(page, "cluster-detail")

    page.get_by_label("Resolve in release").fill("shop@1.0.1")
    page.get_by_role("button", name="Resolve in this release").click()
    expect(page.get_by_role("status")).to_have_text("Resolved in shop@1.0.1.")  # waits for the next page
    expect(page.locator("#status")).to_have_text("resolved")
    expect(page.locator("ol.activity").get_by_text("user:engineer@acme.test")).to_be_visible()

    shop.send(CRASH, release="shop@1.1.0")  # the fix did not hold: a newer release crashes the same way
    wait_until(lambda: shop.cluster(cluster["id"])["regressed_in"] == "shop@1.1.0")
    page.reload()
    expect(page.locator("#status")).to_have_text("regressed")
    expect(page.locator("dl.facts").get_by_text("in shop@1.1.0")).to_be_visible()

    page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    page.get_by_label("Status").select_option("regressed")  # htmx swaps the table in place and keeps the URL
    page.wait_for_url(re.compile(r".*status=regressed.*"))
    expect(page.locator("table.clusters tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="ZeroDivisionError: division by zero")).to_be_visible()


def test_merge_and_unmerge(site: Site, page: Any, shop: Shop) -> None:
    shop.send(TWO_CRASHES)
    key = _by_title(shop, "KeyError: 'SPRING'")
    type_error = next(c for c in shop.clusters() if c["title"].startswith("TypeError"))
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(shop.page(key["id"])))
    page.get_by_label("Merge other clusters into this one (their ids)").fill(str(type_error["id"]))
    page.get_by_role("button", name="Merge", exact=True).click()
    merged = page.locator("section").filter(has=page.get_by_role("heading", name="Merged into this cluster"))
    expect(merged.get_by_text(type_error["title"])).to_be_visible()
    assert shop.cluster(type_error["id"])["merged_into"] == key["id"]
    page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    assert page.get_by_role("link", name=type_error["title"]).count() == 0

    page.goto(site.url(shop.page(key["id"])))
    page.get_by_role("button", name=f"Unmerge #{type_error['id']}").click()
    expect(page.get_by_role("status")).to_have_text(f"Split #{type_error['id']} back out of this cluster.")
    assert shop.cluster(type_error["id"])["merged_into"] is None
    page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    expect(page.get_by_role("link", name=type_error["title"])).to_be_visible()


def test_hostile_exception_message_is_shown_as_text(site: Site, page: Any, shop: Shop) -> None:
    shop.send(HOSTILE, HOSTILE_TEXT)
    cluster = next(c for c in shop.clusters() if c["title"].startswith("ValueError"))
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(f"/o/acme/clusters?project={shop.id}&q=onerror"))
    assert page.get_by_role("link", name=f"ValueError: {HOSTILE_TEXT}").is_visible()
    assert page.locator("img[src=x]").count() == 0
    page.goto(site.url(shop.page(cluster["id"])))
    assert page.locator(".exc-value").inner_text() == HOSTILE_TEXT
    assert page.get_by_role("heading", level=1).inner_text() == f"ValueError: {HOSTILE_TEXT}"
    assert page.locator("img[src=x]").count() == 0
    page.get_by_text("Raw payload of this event").click()
    assert page.locator("script:not([src])").count() == 0  # the page fixture fails the test on any dialog

    page.set_viewport_size({"width": 375, "height": 800})  # a phone: long text wraps, nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")



def test_outsider_gets_404_and_agent_gets_403(site: Site, page: Any, shop: Shop) -> None:
    cluster = shop.clusters()[0]
    sign_in(page, site, site.people["outsider"])
    answer = page.goto(site.url(shop.page(cluster["id"])))
    assert answer is not None and answer.status == 404
    assert page.get_by_text(cluster["title"]).count() == 0
    answer = page.goto(site.url(f"/o/acme/clusters?project={shop.id}"))
    assert answer is not None and answer.status == 404

    client = signed_in_client(site, site.people["agent"])
    detail = client.get(shop.page(cluster["id"]))
    assert detail.status_code == 200 and "Resolve in this release" not in detail.text  # reads yes, actions no
    csrf = form_token(detail.text)
    before = shop.cluster(cluster["id"])["status"]
    answer = client.post(shop.page(cluster["id"]) + "/status", data={"_csrf": csrf, "action": "resolve"})
    assert answer.status_code == 403 and "needs the engineer role" in answer.text  # the role refused it, not CSRF
    answer = client.post(shop.page(cluster["id"]) + "/merge", data={"_csrf": csrf, "cluster_ids": "1"})
    assert answer.status_code == 403 and "needs the engineer role" in answer.text
    assert shop.cluster(cluster["id"])["status"] == before


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<a class="title" href="[^"]+">([^<]*)</a>', html)]


def test_sorts_text_filter_sparklines_and_pages(site: Site, shop: Shop) -> None:
    client = signed_in_client(site, site.people["agent"])  # reading needs no more than the agent role
    base = f"/o/acme/clusters?project={shop.id}"
    by_count = client.get(base + "&sort=count")
    assert by_count.status_code == 200
    assert _titles(by_count.text)[0] == "ZeroDivisionError: division by zero"  # two events, the others one
    assert "Events per day over 14 days: 2 in all" in by_count.text
    assert set(_titles(client.get(base + "&sort=trending").text)) == {c["title"] for c in shop.clusters()}
    assert _titles(client.get(base + "&q=spring").text) == ["KeyError: 'SPRING'"]  # any case, title or culprit
    assert _titles(client.get(base + "&q=%25").text) == []  # LIKE's wildcard is a plain character here
    assert client.get(base + "&sort=loudest").status_code == 400

    seen: list[str] = []
    url = base + "&sort=first_seen&limit=2"
    while url:
        answer = client.get(url)
        seen += _titles(answer.text)
        found = re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#results" hx-push-url="true" rel="next">', answer.text)
        url = unescape(found.group(1)) if found else ""
    assert seen == [c["title"] for c in shop.clusters(sort="first_seen")]
    assert len(seen) == len(set(seen)) == 4

    partial = client.get(base + "&status=regressed", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and _titles(partial.text) == ["ZeroDivisionError: division by zero"]


def test_a_new_project_says_how_to_send_its_first_crash(site: Site, shop: Shop) -> None:
    made = cli(site.database_url, "createproject", "acme", "clusters-empty", public_url=site.base_url)
    client = signed_in_client(site, site.people["engineer"])
    page = unescape(client.get(f"/o/acme/clusters?project={made['project_id']}").text)
    assert "No crashes in clusters-empty yet" in page
    command = "python -c \"import sentry_sdk; sentry_sdk.init('" + made["dsn"] + "'); 1/0\""
    assert command in page
    assert 'id="pick-project"' in page  # acme has more than one project now


def test_ignore_until_resolve_next_and_reopen(site: Site, shop: Shop) -> None:
    cluster = _by_title(shop, "KeyError: 'SPRING'")
    client = signed_in_client(site, site.people["engineer"])
    url = shop.page(cluster["id"])
    csrf = form_token(client.get(url).text)

    def act(**fields: str) -> str:
        answer = client.post(url + "/status", data={"_csrf": csrf, **fields})
        assert answer.status_code == 303 and answer.headers["location"] == url
        return unescape(client.get(url).text)

    page = act(action="ignore", until="events", count="5")
    assert 'id="status">ignored<' in page and f"{cluster['event_count'] + 5} events in all" in page
    page = act(action="ignore", until="date", date="2026-99-01")
    assert "Not done: date must be a day like 2026-12-31" in page
    page = act(action="resolve_next")
    assert 'id="status">resolved<' in page and "in the next release" in page
    page = act(action="reopen")
    assert 'id="status">unresolved<' in page
    assert shop.cluster(cluster["id"])["status"] == "unresolved"


def test_linked_tickets_and_articles_are_listed(site: Site, shop: Shop) -> None:
    cluster = _by_title(shop, "KeyError: 'SPRING'")
    ticket = shop.api.post(f"/api/0/projects/{shop.id}/tickets", json={"subject": "Spring coupon <b>fails</b>",
                                                                        "body": "KeyError: 'SPRING' at checkout"})
    assert ticket.status_code == 201, ticket.text
    tid = ticket.json()["id"]
    put = shop.api.put(f"/api/0/projects/{shop.id}/tickets/{tid}/cluster", json={"cluster_id": cluster["id"]})
    assert put.status_code == 200, put.text
    article = shop.api.post("/api/0/articles/", json={"title": "Spring coupons & old carts", "body": "Use FALL."})
    assert article.status_code == 201, article.text
    aid = article.json()["id"]
    link = shop.api.post(f"/api/0/articles/{aid}/links", json={"cluster_id": cluster["id"], "workaround": "Use FALL."})
    assert link.status_code == 200, link.text

    client = signed_in_client(site, site.people["agent"])
    page = client.get(shop.page(cluster["id"])).text
    assert f'<a href="/o/acme/projects/{shop.id}/tickets/{tid}">#{tid} Spring coupon &lt;b&gt;fails&lt;/b&gt;</a>' in page
    assert f'<a href="/o/acme/kb/{aid}">Spring coupons &amp; old carts</a>' in page
    assert '<span class="badge">Open</span>' in page
