"""``crashdesk demo`` for real: what a new user relies on, read back through the JSON API of ``serve``."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import httpx

from tests.support import CRASHDESK, REPO, cli, running_server


def test_demo_fills_an_organization_by_the_real_paths_and_refuses_a_second_run(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    out = cli(url, "demo")
    assert out["organization"] == "demo" and out["seconds"] < 30, out
    pid = out["project_id"]
    with running_server(url, tmp_path) as server:
        auth = {"Authorization": f"Bearer {out['token']}"}

        def get(path: str, **params: object) -> dict:
            r = httpx.get(f"{server.base_url}/api/0/{path}", params=params, headers=auth, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        releases = get(f"projects/{pid}/releases/")["releases"]
        assert [r["version"] for r in releases] == ["shop@1.2.0", "shop@1.1.0", "shop@1.0.0"]  # newest version first
        assert all(r["event_count"] > 0 for r in releases)

        clusters = get(f"projects/{pid}/clusters/", sort="count")["clusters"]
        crashes = {c["title"].split(":")[0]: c for c in clusters if c["event_count"] > 0}
        assert {"KeyError", "ZeroDivisionError", "ValueError", "AttributeError", "PaymentGatewayTimeoutError",
                "TimeoutError"} <= crashes.keys()
        assert len({c["event_count"] for c in crashes.values()}) > 2  # clusters of different sizes
        detail = get(f"projects/{pid}/clusters/{crashes['KeyError']['id']}")
        assert {e["environment"] for e in detail["environments"]} == {"production"}
        assert {r["release"] for r in detail["releases"]} == {"shop@1.0.0", "shop@1.1.0", "shop@1.2.0"}
        event = get(f"projects/{pid}/events/{detail['latest_events'][0]['event_id']}")
        sent = event["payload"]
        assert sent["sdk"]["name"] == "sentry.python", sent.get("sdk")  # sent by the real sentry-sdk
        assert sent["user"]["id"].startswith("u-") and "locale" in sent["tags"] and sent["breadcrumbs"]["values"]
        assert any(e["environment"] == "staging" for c in crashes.values()
                   for e in get(f"projects/{pid}/clusters/{c['id']}")["environments"])

        regressed = crashes["ZeroDivisionError"]["id"]
        assert regressed == out["regressed_cluster_id"]
        state = get(f"projects/{pid}/clusters/{regressed}/resolution/")
        assert (state["status"], state["regressed_in"]) == ("unresolved", "shop@1.2.0"), state
        activity = get(f"projects/{pid}/clusters/{regressed}/activity/")["activity"]
        kinds = [(a["kind"], a["to_status"], a["release"]) for a in activity]
        assert ("status", "resolved", "shop@1.1.0") in kinds and ("regression", "unresolved", "shop@1.2.0") in kinds, kinds

        health = get(f"projects/{pid}/releases/", version="shop@1.0.0")["health"]
        assert health["sessions"] > 30 and health["crashed"] > 0 and 0 < health["crash_free_sessions"] < 100, health

        tickets = get(f"projects/{pid}/tickets", limit=100)["tickets"]
        assert {t["language"] for t in tickets} == {"en", "zh"}
        crash_ids = {c["id"] for c in crashes.values()}
        joined = [t for t in tickets if t["cluster_id"] in crash_ids]
        assert {t["language"] for t in joined} == {"en", "zh"}
        assert any(t["match_source"] == "auto" for t in joined)  # the lookup joined it, no agent needed
        assert out["tickets_matched"] >= 4 and any(t["match_source"] == "corrected" and t["article_id"] for t in joined)

        articles = get("articles/", limit=100)["articles"]
        assert {(a["status"], a["visibility"]) for a in articles} >= {("published", "public"), ("published", "internal"),
                                                                       ("draft", "internal")}
        assert any("zh" in a["languages"] for a in articles)
        revised = [a for a in articles if a["revision"] > 1]
        assert revised
        linked = [get(f"articles/{a['id']}") for a in revised]
        coupon = [a for a in linked if any(link["cluster_id"] == regressed for link in a["links"])]
        assert coupon and coupon[0]["links"][0]["fixed_in"] == "shop@1.1.0", linked
        assert len(get(f"articles/{coupon[0]['id']}/revisions")["revisions"]) >= 3

        with httpx.Client(base_url=server.base_url, follow_redirects=False, timeout=20) as browser:
            form = re.search(r'name="_csrf" value="([^"]+)"', browser.get("/login").text)
            assert form, "the sign-in page has no CSRF field"
            signed_in = browser.post("/login", data={"_csrf": form.group(1), "email": out["admin_email"],
                                                     "password": out["admin_password"]})
            assert signed_in.status_code == 303, signed_in.text  # the printed admin login works
            assert browser.get("/o/demo/").status_code == 200

    again = subprocess.run([*CRASHDESK, "demo"], env={**os.environ, "DATABASE_URL": url}, cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2
    assert "organization 'demo' exists already" in again.stderr and "crashdesk demo --org" in again.stderr
