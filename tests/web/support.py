"""Browser-test helpers: people in organizations, a signed-in Chromium page, axe-core, screenshots.

The server is the real ``crashdesk serve``; users are made through the accounts service (as the
CLI's ``createuser`` does), pages are driven in Debian's Chromium by Playwright.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from server.services import accounts
from tests.support import FIXTURES, REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
AXE = FIXTURES / "axe-core" / "axe.min.js"
OUTPUT = Path(os.environ.get("CRASHDESK_TEST_OUTPUT", REPO / "test-output"))
SCREENSHOTS = OUTPUT / "screenshots"
PASSWORD = "a long test password"


@dataclass
class Person:
    email: str
    org: str
    role: str
    password: str = PASSWORD


@dataclass
class Site:
    base_url: str
    database_url: str
    people: dict[str, Person] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path


async def _add_people(database_url: str, people: list[Person]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for p in people:
            await conn.execute(
                "INSERT INTO organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING", p.org
            )
            await accounts.create_user(conn, p.org, p.email, p.password, role=p.role)  # type: ignore[arg-type]
    finally:
        await conn.close()


def run(coroutine: Any) -> Any:
    """``asyncio.run`` in a thread of its own: Playwright's sync API keeps a loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def add_people(database_url: str, *people: Person) -> None:
    run(_add_people(database_url, list(people)))


def sign_in(page: Any, site: Site, person: Person) -> None:
    page.goto(site.url("/login"))
    page.get_by_label(re.compile("E-mail|邮箱")).fill(person.email)
    page.get_by_label(re.compile("^(Password|密码)$")).fill(person.password)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_url(re.compile(r".*/o/.*"))


def form_token(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    found = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in_client(site: Site, person: Person) -> httpx.Client:
    """An HTTP client with ``person``'s session cookie (no browser), for checks of answers and headers."""
    client = httpx.Client(base_url=site.base_url, follow_redirects=False, timeout=20)
    token = form_token(client.get("/login").text)
    answer = client.post("/login", data={"_csrf": token, "email": person.email, "password": person.password})
    assert answer.status_code == 303, answer.text
    return client


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the current page (WCAG 2 A/AA rules)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def assert_accessible(page: Any) -> None:
    found = axe_violations(page)
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
