"""Grouping through the real path: sentry-sdk events in, clusters out, with reasons."""

from __future__ import annotations

import textwrap

import httpx

from tests.conftest import Project
from tests.support import cli, run_sdk, wait_until

# Two entry points reach the same crash; a different function raises another bug; ids vary in messages.
BUGS = textwrap.dedent(
    """
    def load_order(order_id):
        raise LookupError("order %s not found in shard 0x%x" % (order_id, order_id * 977))
    def api_view(order_id):
        return load_order(order_id)
    def nightly_job(order_id):
        for attempt in range(1):
            load_order(order_id)
    def parse_amount(text):
        return int(text)
    kind = sys.argv[4]
    for n in range(int(sys.argv[5])):
        try:
            if kind == "lookup-api":
                api_view(1000 + n)
            elif kind == "lookup-job":
                nightly_job(5000 + n)
            else:
                parse_amount("12,%d" % n)
        except Exception as exc:
            ids.append(sentry_sdk.capture_exception(exc))
    """
)


def _get(project: Project, path: str, **params: object) -> dict:
    r = httpx.get(f"{project.server.base_url}/api/0/projects/{project.id}{path}", headers=project.auth, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _events(project: Project, ids: list[str]) -> list[dict]:
    def ready() -> list[dict] | None:
        got = [_get(project, f"/events/{i}") for i in ids]
        return got if all(e["status"] == "processed" for e in got) else None

    return wait_until(ready)


def _send(project: Project, kind: str, n: int, release: str = "app@1.0.0", environment: str = "production") -> list[dict]:
    return _events(project, run_sdk(project.dsn, BUGS, kind, str(n), release=release, environment=environment))


def test_same_bug_from_two_entry_points_is_one_cluster(project: Project) -> None:
    api = _send(project, "lookup-api", 3)
    job = _send(project, "lookup-job", 2, release="app@1.1.0", environment="staging")
    other = _send(project, "parse", 2)

    clusters = {e["cluster_id"] for e in api + job}
    assert len(clusters) == 1, "ids in messages and different callers must not split a bug"
    assert other[0]["cluster_id"] not in clusters
    assert len({e["cluster_id"] for e in other}) == 1

    first = api[0]["grouping"]
    assert first["method"] == "new" and first["hashes"] and first["config_id"]
    assert api[1]["grouping"]["method"] == "exact"
    assert job[0]["grouping"]["method"] in ("exact", "fuzzy")

    (cluster_id,) = clusters
    detail = c = _get(project, f"/clusters/{cluster_id}")
    assert c["event_count"] == 5
    assert c["title"].startswith("LookupError: order")
    assert (c["first_release"], c["last_release"]) == ("app@1.0.0", "app@1.1.0")
    assert {r["release"]: r["count"] for r in detail["releases"]} == {"app@1.0.0": 3, "app@1.1.0": 2}
    assert {e["environment"]: e["count"] for e in detail["environments"]} == {"production": 3, "staging": 2}

    by_release = _get(project, "/clusters/", release="app@1.1.0")["clusters"]
    assert [x["id"] for x in by_release] == [cluster_id]
    by_count = _get(project, "/clusters/", sort="count")["clusters"]
    assert [x["id"] for x in by_count][:1] == [cluster_id]
    assert _get(project, "/clusters/", environment="nowhere")["clusters"] == []


def test_merge_persists_and_unmerge_moves_events_back(project: Project) -> None:
    a = _send(project, "lookup-api", 2)[0]["cluster_id"]
    b = _send(project, "parse", 2)[0]["cluster_id"]
    url = f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{a}"

    r = httpx.post(f"{url}/merge", json={"cluster_ids": [b]}, headers=project.auth)
    assert r.status_code == 200 and r.json()["cluster_ids"] == [b]
    assert _get(project, f"/clusters/{a}")["event_count"] == 4
    assert [c["id"] for c in _get(project, "/clusters/")["clusters"]] == [a]

    later = _send(project, "parse", 1)[0]
    assert later["cluster_id"] == a, "a later event of a merged cluster follows the merge"

    r = httpx.post(f"{url}/unmerge", json={"cluster_ids": [b]}, headers=project.auth)
    assert r.status_code == 200 and r.json()["cluster_ids"] == [b]
    assert _get(project, f"/clusters/{a}")["event_count"] == 2
    assert _get(project, f"/clusters/{b}")["event_count"] == 3
    assert _get(project, f"/events/{later['event_id']}")["cluster_id"] == b


def test_resolved_cluster_regresses_on_a_new_event(project: Project) -> None:
    cluster_id = _send(project, "parse", 1)[0]["cluster_id"]
    url = f"{project.server.base_url}/api/0/projects/{project.id}/clusters/{cluster_id}"
    r = httpx.patch(url, json={"status": "resolved"}, headers=project.auth)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert httpx.patch(url, json={"status": "bogus"}, headers=project.auth).status_code == 400

    _send(project, "parse", 1, release="app@2.0.0")
    c = _get(project, f"/clusters/{cluster_id}")
    assert c["status"] == "unresolved"
    assert c["regressed_in_release"] == "app@2.0.0"


def test_project_rule_and_regroup(project: Project) -> None:
    lookup = _send(project, "lookup-api", 1)[0]
    parse = _send(project, "parse", 1)[0]
    assert lookup["cluster_id"] != parse["cluster_id"]

    url = f"{project.server.base_url}/api/0/projects/{project.id}/grouping-config"
    bad = httpx.put(url, json={"fingerprint_rules": [{"fingerprint": ["x"]}]}, headers=project.auth)
    assert bad.status_code == 400
    assert "needs at least one of type, module, function, message" in bad.json()["detail"]
    rule = {"fingerprint_rules": [{"type": "*Error", "fingerprint": ["all-errors"]}]}
    assert httpx.put(url, json=rule, headers=project.auth).status_code == 200
    assert httpx.get(url, headers=project.auth).json()["fingerprint_rules"][0]["fingerprint"] == ["all-errors"]

    new = _send(project, "parse", 1)[0]
    assert new["grouping"]["method"] == "new"
    assert "fingerprint" in new["grouping"]["components"]["id"]

    out = cli(project.server.database_url, "regroup", project.org, "app")
    assert out["events"] == 3
    assert out["clusters"] == 1
    events = [_get(project, f"/events/{e['event_id']}") for e in (lookup, parse, new)]
    assert len({e["cluster_id"] for e in events}) == 1
    assert all(e["status"] == "processed" for e in events)
    (cluster,) = _get(project, "/clusters/")["clusters"]
    assert cluster["event_count"] == 3


def test_sdk_fingerprint_is_honoured(project: Project) -> None:
    body = textwrap.dedent(
        """
        for exc in (ValueError("a"), KeyError("b")):
            with sentry_sdk.new_scope() as scope:
                scope.fingerprint = ["payment-gateway-down"]
                try:
                    raise exc
                except Exception as e:
                    ids.append(sentry_sdk.capture_exception(e))
        """
    )
    events = _events(project, run_sdk(project.dsn, body))
    assert events[0]["cluster_id"] == events[1]["cluster_id"]
    assert events[0]["grouping"]["method"] == "new" and events[1]["grouping"]["method"] == "exact"
