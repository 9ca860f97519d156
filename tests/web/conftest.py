"""One ``crashdesk serve`` and one Chromium for all web tests; a fresh browser context per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import running_server
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, Person, Site, add_people


@pytest.fixture(scope="session")
def site(make_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = make_database()
    tmp = tmp_path_factory.mktemp("web")
    with running_server(url, tmp) as server:
        people = {
            "admin": Person("admin@acme.test", "acme", "admin"),
            "engineer": Person("engineer@acme.test", "acme", "engineer"),
            "agent": Person("agent@acme.test", "acme", "agent"),
            "outsider": Person("admin@globex.test", "globex", "admin"),
        }
        add_people(url, *people.values())
        yield Site(server.base_url, url, people)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Package-scoped: Playwright's sync API keeps an event loop running in this thread while it is
    open, which would break ``asyncio.run`` in any test collected after the web tests."""
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), failing the test on any dialog (an injected script ran)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not dialogs, f"a dialog opened (injected script ran): {dialogs}"
