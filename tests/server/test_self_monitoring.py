"""With SENTRY_DSN set, Crashdesk reports its own errors with sentry-sdk, here to itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from tests.support import cli, free_port, running_server, wait_until


async def _corrupt_grouping_config(url: str, project_id: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO grouping_configs (project_id, config) VALUES ($1, $2::jsonb)", project_id, '{"fingerprint_rules": 7}'
        )
    finally:
        await conn.close()


def test_own_errors_arrive_in_the_monitoring_project(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monitor = cli(url, "createproject", "ops", "crashdesk", "--create-org", public_url=base)
    app = cli(url, "createproject", "acme", "app", "--create-org", public_url=base)
    token = cli(url, "token", "create", "ops")["token"]
    asyncio.run(_corrupt_grouping_config(url, app["project_id"]))  # an error the service must log, not hide

    with running_server(url, tmp_path, port=port, env={"SENTRY_DSN": monitor["dsn"]}):
        r = httpx.post(f"{base}/api/{app['project_id']}/store/", json={"message": "hello"},
                       headers={"X-Sentry-Auth": f"Sentry sentry_key={app['public_key']}"})
        assert r.status_code == 200

        def reported() -> list[dict]:
            page = httpx.get(f"{base}/api/0/projects/{monitor['project_id']}/events/",
                             headers={"Authorization": f"Bearer {token}"}).json()["events"]
            return [e for e in page if e["status"] == "processed" and "unreadable grouping config" in (e["title"] or "")]

        (event,) = wait_until(reported)
    assert event["platform"] == "python"
