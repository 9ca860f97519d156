"""Releases pages: the list in version order, and a release's new, regressed and resolved clusters
and crash-free rates, from crashes and sessions sent by the real sentry-sdk."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from typing import Any

import httpx

from tests.support import cli, wait_until
from tests.web.support import Site, assert_accessible, screenshot, sign_in, signed_in_client

# Each step is one session: "crash:<which>" ends it crashed with that exception, "ok" ends it healthy.
SCRIPT = textwrap.dedent(
    """
    import sys, sentry_sdk
    from sentry_sdk.utils import event_from_exception
    dsn, release, plan = sys.argv[1:4]
    sentry_sdk.init(dsn=dsn, release=release, environment="production", default_integrations=False)
    scope = sentry_sdk.get_isolation_scope()

    def apply_coupon(cart):
        return cart["coupon"]

    def split_bill(total, people):
        return total / people

    for n, step in enumerate(plan.split(",")):
        sentry_sdk.set_user({"id": f"u{n % 4}"})
        scope.start_session(session_mode="application")
        if step != "ok":
            try:
                apply_coupon({}) if step == "crash:coupon" else split_bill(10, 0)
            except Exception as exc:
                event, hint = event_from_exception(exc, client_options=sentry_sdk.get_client().options,
                                                   mechanism={"type": "test", "handled": False})
                sentry_sdk.capture_event(event, hint=hint)
        scope.end_session()
    sentry_sdk.flush(timeout=10)
    """
)
V1, V2, V3 = "web-rel@1.0.0", "web-rel@1.1.0", "web-rel@1.2.0+build/7"


def send(dsn: str, release: str, plan: list[str]) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, dsn, release, ",".join(plan)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_release_pages_show_what_each_release_brought_and_its_health(site: Site, page: Any) -> None:
    made = cli(site.database_url, "createproject", "acme", "web-rel", "--create-org", public_url=site.base_url)
    pid = made["project_id"]
    token = cli(site.database_url, "token", "create", "acme")["token"]
    api = httpx.Client(base_url=site.base_url + f"/api/0/projects/{pid}", headers={"Authorization": f"Bearer {token}"})

    def clusters() -> dict[str, dict]:
        return {c["title"].split(":")[0]: c for c in api.get("/clusters/").json()["clusters"]}

    # 1.0.0: the coupon crash in 1 of 4 sessions; it is then resolved in 1.1.0
    send(made["dsn"], V1, ["crash:coupon", "ok", "ok", "ok"])
    coupon = wait_until(lambda: clusters().get("KeyError"))
    resolved = api.patch(f"/clusters/{coupon['id']}", json={"status": "resolved", "resolved_in": V2})
    assert resolved.status_code == 200, resolved.text
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(f"/o/acme/releases?project={pid}"))
    page.get_by_role("link", name=V2, exact=True).click()
    assert "KeyError" in page.locator("#resolved").inner_text()
    assert page.locator("#crash-free-sessions").inner_text() == "—"  # no sessions in 1.1.0
    link = page.locator("#resolved a").first.get_attribute("href")
    assert re.fullmatch(rf"/o/acme/projects/{pid}/clusters/{coupon['id']}", link or "")

    # 1.2.0+build/7: the coupon crash is back (regressed) and a new one appears; 2 of 5 sessions crash
    send(made["dsn"], V3, ["crash:coupon", "crash:split", "ok", "ok", "ok"])
    wait_until(lambda: (c := clusters()) and "ZeroDivisionError" in c and c["KeyError"]["status"] == "unresolved")
    wait_until(lambda: api.get("/releases/", params={"version": V3}).json()["health"]["sessions"] == 5)

    page.goto(site.url(f"/o/acme/releases?project={pid}"))
    versions = [v.strip() for v in page.locator("tbody tr td:first-child a").all_inner_texts()]
    assert versions == [V3, V2, V1]  # newest version first
    assert_accessible(page)
    screenshot(page, "releases")

    page.get_by_role("link", name=V3).click()
    assert page.get_by_role("heading", level=1).inner_text() == V3
    assert page.locator("#crash-free-sessions").inner_text() == "60.0 %"
    new = page.locator("#new").inner_text()
    regressed = page.locator("#regressed").inner_text()
    assert "ZeroDivisionError" in new and "KeyError" not in new
    assert "KeyError" in regressed and "ZeroDivisionError" not in regressed
    assert "None." in page.locator("#resolved").inner_text()
    assert_accessible(page)
    screenshot(page, "release")

    page.goto(site.url(f"/o/acme/releases?project={pid}"))
    page.get_by_role("link", name=V1).click()
    assert page.locator("#crash-free-sessions").inner_text() == "75.0 %"
    assert "KeyError" in page.locator("#new").inner_text()


def test_an_unknown_or_foreign_release_is_not_found(site: Site) -> None:
    made = cli(site.database_url, "createproject", "acme", "web-rel-404", "--create-org", public_url=site.base_url)
    engineer = signed_in_client(site, site.people["engineer"])
    assert engineer.get(f"/o/acme/projects/{made['project_id']}/releases", params={"version": "nope@1"}).status_code == 404
    outsider = signed_in_client(site, site.people["outsider"])
    assert outsider.get(f"/o/globex/releases?project={made['project_id']}").status_code == 404
    assert outsider.get(f"/o/globex/projects/{made['project_id']}/releases", params={"version": "x"}).status_code == 404
