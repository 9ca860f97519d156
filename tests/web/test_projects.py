"""The project page: DSN and SDK setup, the empty state's test command, keys and rate limits, release files."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from typing import Any

import httpx

from tests.support import FIXTURES, cli, wait_until
from tests.web.support import Site, assert_accessible, form_token, screenshot, sign_in, signed_in_client

SOURCE_MAP = FIXTURES / "symbolic" / "py" / "tests" / "res" / "sourcemaps" / "demo.js.map"


def make_project(site: Site, slug: str) -> dict:
    return cli(site.database_url, "createproject", "acme", slug, "--create-org", public_url=site.base_url)


def test_project_page_shows_the_dsn_setup_and_a_test_command_that_works(site: Site, page: Any) -> None:
    made = make_project(site, "web-proj")
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url("/o/acme/"))
    page.get_by_role("link", name="web-proj", exact=True).click()
    assert page.locator("#dsn").inner_text() == made["dsn"]
    setup = page.locator("section.setup").inner_text()
    for snippet in ('sentry_sdk.init(', '"@sentry/browser"', '<meta-data android:name="io.sentry.dsn"', "crashpad_handler",
                    f"/api/{made['project_id']}/minidump/?sentry_key={made['public_key']}"):
        assert snippet in setup, snippet
    assert setup.count(made["dsn"]) >= 4  # Python, JavaScript, Android, native
    empty = page.locator("#first-event").inner_text()
    assert "No events yet." in empty
    assert_accessible(page)
    screenshot(page, "project")

    # the empty state's one-liner, run as a user would (minus the pip install): the event arrives
    line = empty.split("&& ", 1)[1]
    argv = shlex.split(line)
    assert argv[:2] == ["python", "-c"]
    out = subprocess.run([sys.executable, "-c", argv[2]], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr

    def arrived() -> bool:
        page.reload()
        return page.get_by_role("link", name="Hello from Crashdesk").count() == 1

    wait_until(arrived, timeout=30, interval=0.5)
    assert page.locator("#first-event").count() == 0  # the empty state is gone


def _envelope(made: dict, site: Site) -> int:
    body = b'{}\n{"type":"event"}\n{"message":"rate limit probe","level":"info"}\n'
    r = httpx.post(site.url(f"/api/{made['project_id']}/envelope/"), content=body,
                   headers={"X-Sentry-Auth": f"Sentry sentry_key={made['public_key']}, sentry_version=7"})
    return r.status_code


def test_an_admin_sets_a_rate_limit_that_ingestion_obeys_and_an_agent_is_refused(site: Site, page: Any) -> None:
    made = make_project(site, "web-keys")
    path = f"/o/acme/projects/{made['project_id']}"
    sign_in(page, site, site.people["admin"])
    page.goto(site.url(path))
    page.get_by_label("Events per window").fill("1")
    page.get_by_label("Window (seconds)").fill("3600")
    page.get_by_role("button", name="Save key").click()
    assert "saved" in page.get_by_role("status").inner_text()
    row = page.locator("#keys tbody tr").first
    assert "1 events per 3600 s" in row.inner_text()
    assert page.get_by_label("Events per window").input_value() == "1"
    # ingestion sees the new limit once its key cache expires: one event passes, then 429
    statuses: list[int] = []
    wait_until(lambda: statuses.append(_envelope(made, site)) or statuses[-1] == 429, timeout=20, interval=0.5)

    # an agent sees the key but gets no form, and a hand-made POST is refused
    agent = signed_in_client(site, site.people["agent"])
    html = agent.get(path).text
    assert made["public_key"] in html and "Save key" not in html
    key_id = re.search(r'/keys/(\d+)"', page.content()).group(1)  # type: ignore[union-attr]
    refused = agent.post(f"{path}/keys/{key_id}", data={"_csrf": form_token(html), "enabled": "on", "rate_limit_count": ""})
    assert refused.status_code == 403
    page.reload()
    assert "1 events per 3600 s" in page.locator("#keys tbody tr").first.inner_text()  # unchanged

    # disabling the key: ingestion refuses its reports (403)
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("button", name="Save key").click()
    assert "disabled" in page.locator("#keys tbody tr").first.inner_text()
    wait_until(lambda: _envelope(made, site) == 403, timeout=20, interval=0.5)


def test_an_engineer_uploads_a_release_file_and_sees_it_listed(site: Site, page: Any) -> None:
    made = make_project(site, "web-files")
    path = f"/o/acme/projects/{made['project_id']}"
    sign_in(page, site, site.people["engineer"])
    page.goto(site.url(path))
    page.locator("#up-release").fill("web-files@2.0.0+build/7")
    page.get_by_label("Files", exact=True).set_input_files(str(SOURCE_MAP))
    page.get_by_role("button", name="Upload").click()
    assert "Uploaded 1 file(s)" in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", name="Files of web-files@2.0.0+build/7").is_visible()
    listed = page.locator("#artifacts tbody").inner_text()
    assert "demo.js.map" in listed and "source_map" in listed

    # the command line reads the same stored file: one service behind both
    stored = cli(site.database_url, "artifacts", "acme", "web-files", "--release", "web-files@2.0.0+build/7")
    assert [a["name"] for a in stored["artifacts"]] == ["demo.js.map"]

    # a file that is not an artifact is refused with its name
    refused_page = page.request.post(site.url(f"{path}/artifacts"), multipart={
        "_csrf": form_token(page.content()), "release": "x", "file": {"name": "a.js.map", "mimeType": "text/plain", "buffer": b"{}"},
    })
    assert refused_page.status == 400 and "a.js.map" in refused_page.text()

    # an agent may not upload
    agent = signed_in_client(site, site.people["agent"])
    html = agent.get(path).text
    assert "Upload files" not in html
    refused = agent.post(f"{path}/artifacts", data={"_csrf": form_token(html), "release": "x"},
                         files={"file": ("a.js.map", b"{}")})
    assert refused.status_code == 403
