"""A linked cluster that regresses at or after the article's fix flags the article (and tells its owner).

Real parts throughout: clusters from the real sentry-sdk, the fix recorded by linking with
``fixed_in`` (which resolves the cluster in that release), regressions judged by the
releases rules in the worker, ``article.stale`` delivered to a receiver in the test.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.conftest import Project
from tests.server.test_kb_webhooks import FAST_RETRY, Receiver
from tests.support import cli, run_sdk, running_server, wait_until

CRASH = "try:\n    {}['cart_total']\nexcept KeyError:\n    ids.append(sentry_sdk.capture_exception())\n"


def test_regression_after_the_fix_flags_the_article(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    try:
        with running_server(make_database(), tmp_path, env=FAST_RETRY) as server:
            project = Project(server, f"stale-{uuid.uuid4().hex[:8]}", "app")
            owner = f"owner-{uuid.uuid4().hex[:6]}@example.com"
            cli(server.database_url, "createuser", owner, "--org", project.org, "--role", "engineer")
            hook = httpx.post(f"{server.base_url}/api/0/webhooks/", json={"url": receiver.url,
                              "events": ["article.stale", "cluster.regressed"]}, headers=project.auth).json()
            clusters_api = f"{server.base_url}/api/0/projects/{project.id}/clusters/"
            run_sdk(project.dsn, CRASH, release="app@1.0.0")
            cluster = wait_until(lambda: httpx.get(clusters_api, headers=project.auth).json()["clusters"])[0]

            api = f"{server.base_url}/api/0/articles"
            article = httpx.post(api + "/", json={"title": "Cart total missing", "owner": owner,
                                                  "status": "published"}, headers=project.auth).json()
            link = httpx.post(f"{api}/{article['id']}/links", json={"cluster_id": cluster["id"], "fixed_in": "app@1.1.0",
                                                                    "affected": "<1.1.0"}, headers=project.auth)
            assert link.status_code == 200, link.text
            assert link.json()["cluster_status"] == "resolved" and link.json()["resolved_in"] == "app@1.1.0"

            def article_now() -> dict:
                return httpx.get(f"{api}/{article['id']}", headers=project.auth).json()

            def events() -> int:
                listed = httpx.get(clusters_api, headers=project.auth).json()["clusters"]
                return next(c["event_count"] for c in listed if c["id"] == cluster["id"])

            run_sdk(project.dsn, CRASH, release="app@1.0.5")  # an older release than the fix: not a regression
            wait_until(lambda: events() == 2)
            assert article_now()["stale"] is False

            run_sdk(project.dsn, CRASH, release="app@1.2.0")
            flagged = wait_until(lambda: (a := article_now())["stale"] and a)
            assert "app@1.2.0" in flagged["stale_reason"] and "app@1.1.0" in flagged["stale_reason"]
            report = httpx.get(f"{api}/reports/stale", headers=project.auth).json()["articles"]
            assert [(a["id"], a["owner"]) for a in report] == [(article["id"], owner)]

            wait_until(lambda: {json.loads(b)["type"] for _, b, _ in receiver.requests} >= {"article.stale",
                                                                                              "cluster.regressed"})
            stale = next(json.loads(b) for _, b, _ in receiver.requests if json.loads(b)["type"] == "article.stale")
            assert stale["data"]["owner"] == owner and stale["data"]["article_id"] == article["id"]
            assert hook["id"]

            verified = httpx.put(f"{api}/{article['id']}", json={"base_revision": 1, "verified": True,
                                 "summary": "re-verified"}, headers=project.auth)
            assert verified.status_code == 200 and verified.json()["stale"] is False, verified.text
    finally:
        receiver.close()
