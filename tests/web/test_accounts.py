"""Sign-in, sessions, CSRF, roles and one-time links, through the real server and a real browser."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import httpx
import pytest

from server.errors import Forbidden
from server.services import accounts
from tests.web.support import Person, Site, add_people, assert_accessible, form_token, run, screenshot, sign_in, signed_in_client


def test_sign_in_shows_the_organization_and_the_cookie_is_locked_down(site: Site, page: Any) -> None:
    page.goto(site.url("/o/acme/"))
    assert "/login" in page.url  # not signed in: sent to sign in, and back afterwards
    assert_accessible(page)
    screenshot(page, "login")
    sign_in(page, site, site.people["engineer"])
    assert page.url.endswith("/o/acme/")
    assert page.get_by_role("heading", name="Projects").is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "crashdesk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto(site.url("/o/acme/"))
    assert "/login" in page.url


def test_wrong_password_says_so_and_signs_nobody_in(site: Site, page: Any) -> None:
    person = site.people["agent"]
    page.goto(site.url("/login"))
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "wrong e-mail or password"
    assert not [c for c in page.context.cookies() if c["name"] == "crashdesk_session"]


def test_sign_in_is_rate_limited_per_email(site: Site) -> None:
    victim = Person("victim@acme.test", "acme", "agent")
    add_people(site.database_url, victim)
    client = httpx.Client(base_url=site.base_url, timeout=20)
    token = form_token(client.get("/login").text)
    codes = [
        client.post("/login", data={"_csrf": token, "email": victim.email, "password": f"guess {n}"}).status_code
        for n in range(accounts.MAX_FAILURES_PER_EMAIL + 1)
    ]
    assert codes[:-1] == [401] * accounts.MAX_FAILURES_PER_EMAIL
    assert codes[-1] == 429
    # even the right password waits now: the throttle answers before checking
    late = client.post("/login", data={"_csrf": token, "email": victim.email, "password": victim.password})
    assert late.status_code == 429 and int(late.headers["retry-after"]) > 0


def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    client = signed_in_client(site, site.people["engineer"])
    refused = client.post("/logout", data={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = client.post("/logout", data={"_csrf": "x" * 43})
    assert forged.status_code == 403
    assert client.get("/o/acme/").status_code == 200  # still signed in: nothing happened
    anonymous = httpx.post(site.url("/login"), data={"email": "a@b.c", "password": "x"})
    assert anonymous.status_code == 403  # the sign-in form is protected too


def test_another_organization_is_not_found(site: Site) -> None:
    client = signed_in_client(site, site.people["outsider"])
    page = client.get("/o/acme/")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert client.get("/o/globex/").status_code == 200
    assert client.get("/o/no-such-org/").status_code == 404  # indistinguishable from acme


def test_pages_carry_a_strict_content_security_policy(site: Site) -> None:
    answer = httpx.get(site.url("/login"))
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["x-frame-options"] == "DENY"


def test_next_after_sign_in_never_leaves_the_site(site: Site) -> None:
    client = httpx.Client(base_url=site.base_url, timeout=20)
    token = form_token(client.get("/login").text)
    person = site.people["agent"]
    answer = client.post(
        "/login", data={"_csrf": token, "email": person.email, "password": person.password, "next": "//evil.example/x"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/o/acme/"


async def _links(database_url: str, admin_email: str, org: str, invitee: str) -> tuple[str, str]:
    conn = await asyncpg.connect(database_url)
    try:
        admin_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", admin_email)
        viewer_memberships = await conn.fetch(
            "SELECT o.id, o.slug, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id"
            " WHERE m.user_id = $1 AND o.slug = $2",
            admin_id, org,
        )
        m = viewer_memberships[0]
        admin = accounts.Membership(m["id"], m["slug"], m["name"], m["role"])
        invite = await accounts.invite(conn, admin, admin_id, invitee, "agent")
        target = await conn.fetchval("SELECT id FROM users WHERE email = 'engineer@acme.test'")
        reset = await accounts.reset_link(conn, admin, admin_id, target)
        return invite.path, reset.path
    finally:
        await conn.close()


def test_invite_and_reset_links_work_once(site: Site, page: Any) -> None:
    invite, _reset = run(_links(site.database_url, "admin@acme.test", "acme", "newcomer@acme.test"))
    page.goto(site.url(invite))
    assert "Join acme as agent" in page.get_by_role("heading").first.inner_text()
    page.get_by_label("Your name").fill("New Comer")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Join").click()
    assert "at least 8 characters" in page.get_by_role("alert").inner_text()
    page.get_by_label("New password").fill("a good new password")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(re.compile(r".*/o/acme/$"))
    assert httpx.get(site.url(invite)).status_code == 404  # used up


def test_a_reset_link_sets_the_password_and_ends_old_sessions(site: Site) -> None:
    person = Person("forgetful@acme.test", "acme", "engineer")
    add_people(site.database_url, person)
    old = signed_in_client(site, person)

    async def make() -> str:
        conn = await asyncpg.connect(site.database_url)
        try:
            admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@acme.test'")
            org_id = await conn.fetchval("SELECT id FROM organizations WHERE slug = 'acme'")
            user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", person.email)
            link = await accounts.reset_link(conn, accounts.Membership(org_id, "acme", "acme", "admin"), admin_id, user_id)
            return link.path
        finally:
            await conn.close()

    path = run(make())
    client = httpx.Client(base_url=site.base_url, timeout=20)
    token = form_token(client.get(path).text)
    assert client.post(path, data={"_csrf": token, "password": "my brand new password"}).status_code == 303
    assert old.get("/o/acme/").status_code == 303  # the old session is gone: back to sign-in
    assert signed_in_client(site, Person(person.email, "acme", "engineer", "my brand new password"))


def test_an_agent_cannot_make_invites(site: Site) -> None:
    async def attempt() -> None:
        conn = await asyncpg.connect(site.database_url)
        try:
            with pytest.raises(Forbidden):
                await accounts.invite(conn, accounts.Membership(1, "acme", "acme", "agent"), 1, "x@acme.test", "admin")
        finally:
            await conn.close()

    run(attempt())


def test_chinese_interface(site: Site, page: Any) -> None:
    page.goto(site.url("/login"))
    page.get_by_role("link", name="中文").click()
    assert page.get_by_role("heading", name="登录").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    sign_in(page, site, site.people["agent"])
    assert page.get_by_role("heading", name="项目").is_visible()


def test_the_page_fits_a_phone(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, site, site.people["engineer"])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(page, "phone-projects")
    finally:
        context.close()
