"""@sentry/browser in real headless Chromium reports to Crashdesk from a page on another origin.

The page is served from ``http://localhost:<port>`` while Crashdesk listens on
``http://127.0.0.1:<port>``: a different origin, so the browser enforces CORS. Three
ways a vendor's web app reports: straight to the DSN, through the SDK's ``tunnel``
option to the vendor's own backend (which forwards the envelope unchanged, as Sentry's
docs show), and with ``tunnel`` pointed at Crashdesk's envelope endpoint itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import Project, npm_install
from tests.server.symbolication_support import frames, processed
from tests.support import REPO

CHROMIUM = "/usr/bin/chromium"
PAGE = """<!doctype html><meta charset="utf-8"><title>shop</title>
<script src="/sentry.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  Sentry.init({dsn: params.get("dsn"), tunnel: params.get("tunnel") || undefined, release: "web@1.0.0"});
  function applyCoupon(code) { throw new Error("coupon " + code + " expired"); }
  try { applyCoupon("SPRING"); } catch (e) { window.eventId = Sentry.captureException(e); }
  Sentry.flush(10000).then((ok) => { window.flushed = ok; });
</script>
"""


@pytest.fixture(scope="module")
def sentry_js(npm_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The real @sentry/browser, bundled by esbuild into one script as a page would load it."""
    browser_modules = npm_install(REPO / "tests/js_browser", "@sentry/browser/package.json")
    out = tmp_path_factory.mktemp("web") / "sentry.js"
    run = subprocess.run(
        [str(npm_packages / ".bin/esbuild"), str(REPO / "tests/js_browser/page.js"), "--bundle", "--format=iife",
         "--minify", f"--outfile={out}"],
        env={**os.environ, "NODE_PATH": str(browser_modules)}, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return out.read_bytes()


@contextlib.contextmanager
def vendor_site(sentry_js: bytes, crashdesk: str) -> Iterator[str]:
    """The vendor's origin: the page, its script, and a Sentry tunnel that forwards envelopes."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/sentry.js"):
                self._send(200, sentry_js, "text/javascript")
            else:
                self._send(200, PAGE.encode(), "text/html")

        def do_POST(self) -> None:  # the tunnel: project from the envelope header's DSN, body passed on as is
            body = self.rfile.read(int(self.headers["content-length"]))
            dsn = urlsplit(json.loads(body.split(b"\n", 1)[0])["dsn"])
            r = httpx.post(f"{crashdesk}/api/{dsn.path.strip('/')}/envelope/", content=body, timeout=10)
            self._send(r.status_code, r.content, "application/json")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _report(site: str, dsn: str, tunnel: str | None = None) -> tuple[str, list[tuple[str, int, str | None]]]:
    """Load the page in Chromium; (event id, [(url, status, allow-origin header)] of the posts it made)."""
    posts: list[tuple[str, int, str | None]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("response", lambda r: posts.append((r.url, r.status, r.headers.get("access-control-allow-origin")))
                    if r.request.method == "POST" else None)
            query = httpx.QueryParams({"dsn": dsn, **({"tunnel": tunnel} if tunnel else {})})
            page.goto(f"{site}/?{query}")
            page.wait_for_function("window.flushed !== undefined", timeout=20000)
            assert page.evaluate("window.flushed") is True
            event_id = page.evaluate("window.eventId")
        finally:
            browser.close()
    return event_id, posts


def _assert_arrived(project: Project, event_id: str) -> None:
    event = processed(project, event_id)
    assert event["exception"][-1]["value"] == "coupon SPRING expired"
    assert event["release"] == "web@1.0.0" and event["platform"] == "javascript"
    assert any(f.get("function") == "applyCoupon" for f in frames(event))


@pytest.fixture
def chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run installs it)")


def test_browser_sdk_reports_cross_origin_with_cors(chromium: None, project: Project, sentry_js: bytes) -> None:
    with vendor_site(sentry_js, project.server.base_url) as site:
        event_id, posts = _report(site, project.dsn)
    assert posts  # the event, and the session the SDK tracks by default
    for url, status, allow_origin in posts:
        assert url.startswith(f"{project.server.base_url}/api/{project.id}/envelope/") and status == 200
        assert allow_origin == "*"  # the browser let the page read the answer
    _assert_arrived(project, event_id)


def test_browser_sdk_reports_through_the_vendors_tunnel(chromium: None, project: Project, sentry_js: bytes) -> None:
    with vendor_site(sentry_js, project.server.base_url) as site:
        event_id, posts = _report(site, project.dsn, tunnel=f"{site}/tunnel")
    assert posts and {(u, s) for u, s, _ in posts} == {(f"{site}/tunnel", 200)}  # the browser talked only to its own origin
    _assert_arrived(project, event_id)


def test_browser_sdk_tunnel_pointed_at_crashdesk_itself(chromium: None, project: Project, sentry_js: bytes) -> None:
    tunnel = f"{project.server.base_url}/api/{project.id}/envelope/"  # no key in the URL: the envelope's DSN says it
    with vendor_site(sentry_js, project.server.base_url) as site:
        event_id, posts = _report(site, project.dsn, tunnel=tunnel)
    assert posts and {(u, s) for u, s, _ in posts} == {(tunnel, 200)}
    _assert_arrived(project, event_id)
