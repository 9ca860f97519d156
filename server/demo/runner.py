"""``crashdesk demo``'s run: a new organization filled by the real paths, in the order a real one fills.

1. 1.0.0 and 1.1.0 crash and keep sessions (real sentry-sdk processes, ingestion, the worker);
2. an engineer resolves the coupon crash in 1.1.0 and support writes articles linked to clusters;
3. 1.2.0 ships: the coupon crash regresses, a new one appears, an article is revised and a draft begun;
4. customers file tickets, in English and Chinese, some with the traceback their app printed;
   agents confirm or correct their clusters and send the linked articles.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time

import asyncpg
import msgspec

from server.database import connect, create_pool
from server.db import tenancy
from server.demo import plan, service
from server.demo.article_texts import AFTER_REGRESSION, BEFORE_REGRESSION, COUPON
from server.demo.support_fill import file_tickets, revise, write_article
from server.dsn import dsn_for
from server.errors import Conflict, CrashdeskError, Unavailable
from server.migrate import migrate
from server.services import clusters as clusters_service
from server.services import resolution
from server.settings import Settings

log = logging.getLogger(__name__)


class DemoOut(msgspec.Struct, frozen=True):
    """What the demo made, and how to reach it."""

    organization: str
    project: str
    project_id: int
    url: str  # where `crashdesk serve` answers (its public URL)
    dsn: str
    admin_email: str
    admin_password: str
    token: str
    releases: list[str]
    events: int
    sessions: int
    clusters: int
    regressed_cluster_id: int
    tickets: int
    tickets_matched: int  # joined a crash's cluster when filed (a pasted trace or error line)
    tickets_answered: int  # an agent confirmed or corrected the cluster
    articles: int
    seconds: float


def refusal(org: str) -> str:
    return (f"organization {org!r} exists already, so the demo did not touch it; open it as it is,"
            f" or run `crashdesk demo --org NEW-NAME` to fill a new organization")


class Tenant(msgspec.Struct, frozen=True):
    """The organization, project and admin the demo made before filling them."""

    org: str
    org_id: int
    project_id: int
    key: str
    email: str
    password: str
    token: str


async def _create_tenant(conn: asyncpg.Connection, org: str) -> Tenant:
    async with conn.transaction():
        org_id = await tenancy.create_organization(conn, org)
        if org_id is None:
            raise Conflict(refusal(org))
        project_id = await tenancy.create_project(conn, org, plan.PROJECT, plan.PLATFORM)
        email, password = f"demo-admin@{org}.localhost", secrets.token_urlsafe(12)
        await tenancy.create_user(conn, email, password, org_slug=org, role="admin")
        token = await tenancy.create_token(conn, org, "demo")
        key = (await tenancy.project_keys(conn, project_id))[0]
    return Tenant(org, org_id, project_id, key, email, password, token)


async def _clusters_by_kind(pool: asyncpg.Pool, org_id: int, project_id: int) -> dict[str, int]:
    page = await clusters_service.list_clusters(pool, org_id, project_id, sort="count", limit=100)
    found = {}
    for kind, title in plan.TITLES.items():
        ids = [c.id for c in page.clusters if c.title.startswith(title) and c.event_count > 0]
        if ids:
            found[kind] = ids[0]
    return found


async def run(url: str, settings: Settings, org: str, default_base: str) -> DemoOut:
    started = time.monotonic()
    conn = await connect(url)
    try:
        await migrate(conn)
        tenant = await _create_tenant(conn, org)
        base = settings.public_url or await tenancy.instance_setting(conn, "public_url") or default_base
    finally:
        await conn.close()
    try:
        out = await _fill(url, settings, tenant, base)
    except Exception as exc:  # anything: the organization exists now, and the message must say so
        if not isinstance(exc, CrashdeskError | OSError):
            log.exception("the demo failed")
        raise Unavailable(f"{exc}; organization {org!r} is left partly filled: run"
                          f" `crashdesk demo --org NEW-NAME` for a complete one") from exc
    return msgspec.structs.replace(out, seconds=round(time.monotonic() - started, 1))


async def _fill(url: str, settings: Settings, tenant: Tenant, base: str) -> DemoOut:
    org_id, project_id, email = tenant.org_id, tenant.project_id, tenant.email
    now = dt.datetime.now(dt.UTC)
    pool = await create_pool(url)
    try:
        async with service.running_service(settings, url) as local:
            local_dsn = dsn_for(local, tenant.key, project_id)
            sent = await service.send(plan.sender_plans(plan.PHASE_1, local_dsn, now))
            await service.settle(pool, org_id, project_id, sum(s["events"] for s in sent))
            clusters = await _clusters_by_kind(pool, org_id, project_id)
            async with pool.acquire() as c:
                await resolution.change_status(
                    c, org_id, project_id, clusters[plan.RESOLVED_KIND],
                    resolution.ClusterStatusUpdate(status="resolved", resolved_in=plan.RESOLVED_IN),
                    actor=email, now=now - dt.timedelta(days=plan.RESOLVED_DAYS_AGO))
                article_ids = {a: await write_article(c, org_id, a, clusters, author=email) for a in BEFORE_REGRESSION}
            sent += await service.send(plan.sender_plans(plan.PHASE_2, local_dsn, now))
            await service.settle(pool, org_id, project_id, sum(s["events"] for s in sent))
        clusters = await _clusters_by_kind(pool, org_id, project_id)
        regressed = clusters[plan.RESOLVED_KIND]
        state = await resolution.get_resolution(pool, org_id, project_id, regressed)
        if state.regressed_in != plan.RELEASES[-1]:
            raise Unavailable(f"cluster {regressed} did not regress in {plan.RELEASES[-1]} (state: {state})")
        async with pool.acquire() as c:
            await revise(c, org_id, article_ids[COUPON], COUPON.after_regression, author=email, language=COUPON.language)
            for a in AFTER_REGRESSION:
                article_ids[a] = await write_article(c, org_id, a, clusters, author=email)
        traces = {k: v for s in sent for k, v in s["traces"].items()}
        answers = {a.link.kind: article_id for a, article_id in article_ids.items()  # what a customer may read
                   if a.link is not None and (a.status, a.visibility) == ("published", "public")}
        made, matched = await file_tickets(pool, org_id, project_id, traces, clusters, answers)
    finally:
        await pool.close()
    crash_clusters = set(clusters.values())
    return DemoOut(
        organization=tenant.org, project=plan.PROJECT, project_id=project_id, url=base,
        dsn=dsn_for(base, tenant.key, project_id), admin_email=email, admin_password=tenant.password, token=tenant.token, releases=list(plan.RELEASES),
        events=sum(s["events"] for s in sent),
        sessions=plan.sessions(),
        clusters=len(crash_clusters), regressed_cluster_id=regressed, tickets=len(made),
        tickets_matched=matched,
        tickets_answered=sum(1 for t in made if t.match_source in ("confirmed", "corrected")), articles=len(article_ids),
        seconds=0.0,
    )
