"""The event page: fields, frames with context, breadcrumbs, tags and the raw payload of an event
sent by the real sentry-sdk; hostile strings stay text; another organization gets 404."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import cli, run_sdk, wait_until
from tests.web.support import Site, assert_accessible, screenshot, sign_in, signed_in_client

SCRIPT = r'''
SCRIPT_TAG = "<script>alert(1)</script>"
IMG_TAG = '"><img src=x onerror=alert(1)>'
sentry_sdk.set_tag("customer", IMG_TAG)
sentry_sdk.set_tag("shop", "web-event")
sentry_sdk.set_context("checkout", {"cart": IMG_TAG, "items": 3})
sentry_sdk.add_breadcrumb(category="ui.click", message="pressed pay " + IMG_TAG, level="info")
sentry_sdk.add_breadcrumb(category="http", message="POST /api/pay", data={"status_code": 500})

import pathlib, tempfile  # the code lives in a file, so frames carry context lines
folder = pathlib.Path(tempfile.mkdtemp())
(folder / "web_shop.py").write_text(
    "SCRIPT_TAG = '<script>alert(1)</script>'\n"
    "\n"
    "def charge_card(amount):\n"
    "    raise ValueError('card refused ' + SCRIPT_TAG)\n"
    "\n"
    "def checkout(cart):\n"
    "    return charge_card(cart['total'])\n"
)
sys.path.insert(0, str(folder))
sentry_sdk.get_client().options["in_app_include"] = ["web_shop"]  # as init(in_app_include=...) would: our code
import web_shop
try:
    web_shop.checkout({"total": 42})
except ValueError as exc:
    ids.append(sentry_sdk.capture_exception(exc))
'''
SCRIPT_TAG = "<script>alert(1)</script>"
IMG_TAG = '"><img src=x onerror=alert(1)>'


def test_event_page_shows_frames_breadcrumbs_tags_and_raw_payload_as_text(site: Site, page: Any) -> None:
    made = cli(site.database_url, "createproject", "acme", "web-event", "--create-org", public_url=site.base_url)
    pid = made["project_id"]
    token = cli(site.database_url, "token", "create", "acme")["token"]
    [event_id] = run_sdk(made["dsn"], SCRIPT, release="web-event@3.0.0")
    api = f"{site.base_url}/api/0/projects/{pid}/events/{event_id}"
    wait_until(lambda: httpx.get(api, headers={"Authorization": f"Bearer {token}"}).json().get("status") == "processed")

    path = f"/o/acme/projects/{pid}/events/{event_id}"
    sign_in(page, site, site.people["agent"])  # reading is open to every member
    page.goto(site.url(path))
    title = page.get_by_role("heading", level=1).inner_text()
    assert title == f"ValueError: card refused {SCRIPT_TAG}"  # shown as text, not run
    assert page.locator("main script").count() == 0 and page.locator("img").count() == 0

    frames = page.locator("li.frame")
    wheres = frames.locator(".where").all_inner_texts()
    assert wheres[-2:] == ["checkout", "charge_card"]  # most recent call last
    inapp = page.locator("li.frame.inapp .where").all_inner_texts()
    assert "charge_card" in inapp
    innermost = page.locator("li.frame").last
    assert "web_shop.py:4" in innermost.inner_text()
    assert innermost.locator(".current").inner_text().strip() == "4      raise ValueError('card refused ' + SCRIPT_TAG)"
    assert "def charge_card(amount):" in innermost.locator("pre.context").inner_text()

    crumbs = page.get_by_role("region", name="Breadcrumbs").inner_text()
    assert f"pressed pay {IMG_TAG}" in crumbs and "POST /api/pay" in crumbs and "status_code: 500" in crumbs
    tags = page.get_by_role("region", name="Tags").inner_text()
    assert "customer" in tags and IMG_TAG in tags and "web-event" in tags
    assert IMG_TAG in page.get_by_role("region", name="Contexts").inner_text()
    raw = page.locator("pre.raw").inner_text()
    assert f'"event_id": "{event_id}"' in raw and "onerror=alert(1)" in raw
    release = page.get_by_role("link", name="web-event@3.0.0")
    assert release.get_attribute("href") == f"/o/acme/projects/{pid}/releases?version=web-event%403.0.0"
    assert_accessible(page)
    screenshot(page, "event")


def test_another_organization_opening_the_event_gets_404(site: Site, page: Any) -> None:
    made = cli(site.database_url, "createproject", "acme", "web-event-404", "--create-org", public_url=site.base_url)
    [event_id] = run_sdk(made["dsn"], "ids.append(sentry_sdk.capture_message('private to acme'))", release="x@1")
    path = f"/o/acme/projects/{made['project_id']}/events/{event_id}"
    engineer = signed_in_client(site, site.people["engineer"])
    wait_until(lambda: engineer.get(path).status_code == 200)

    sign_in(page, site, site.people["outsider"])
    answer = page.goto(site.url(path))
    assert answer is not None and answer.status == 404
    assert "private to acme" not in page.content()
    # through their own organization's URL too: the project is not theirs
    answer = page.goto(site.url(f"/o/globex/projects/{made['project_id']}/events/{event_id}"))
    assert answer is not None and answer.status == 404
    assert engineer.get(f"/o/acme/projects/{made['project_id']}/events/{'0' * 32}").status_code == 404


def test_project_release_and_event_pages_fit_a_phone(site: Site, browser: Any) -> None:
    made = cli(site.database_url, "createproject", "acme", "web-phone", "--create-org", public_url=site.base_url)
    pid = made["project_id"]
    [event_id] = run_sdk(made["dsn"], SCRIPT, release="web-phone@1.0.0+a-rather-long-build-name/2026-11-28")
    engineer = signed_in_client(site, site.people["engineer"])
    event_path = f"/o/acme/projects/{pid}/events/{event_id}"
    wait_until(lambda: engineer.get(event_path).status_code == 200)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, site, site.people["admin"])  # the admin sees the widest page: key forms and upload
        for path in (f"/o/acme/projects/{pid}", f"/o/acme/releases?project={pid}",
                     f"/o/acme/projects/{pid}/releases?version=web-phone%401.0.0%2Ba-rather-long-build-name%2F2026-11-28",
                     event_path):
            page.goto(site.url(path))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 380, f"{path} scrolls sideways on a phone ({width}px)"
        screenshot(page, "phone-event")
    finally:
        context.close()
