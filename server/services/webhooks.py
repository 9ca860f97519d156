"""Outgoing webhooks: hooks per organization, signed events queued in a durable outbox.

An event is queued in the same transaction as the change it reports, so a crash loses
neither. Each delivery is signed like Stripe's and GitHub's: header
``Crashdesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``; a
receiver recomputes it and refuses old timestamps (replays). A URL whose host is (or
resolves to) a private, loopback, link-local or otherwise internal address is refused
unless the server allows it (``CRASHDESK_WEBHOOK_ALLOW_PRIVATE``): hooks must not become
a way to reach the inside network (SSRF).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import socket
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from server.db import webhooks as hooks_sql
from server.db.search import Conn
from server.errors import Invalid, NotFound
from server.services import cursor

EventType = Literal["cluster.created", "cluster.regressed", "article.stale", "ticket.fix_available"]
EVENT_TYPES = ("cluster.created", "cluster.regressed", "article.stale", "ticket.fix_available")


class WebhookCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: str
    events: list[str]
    secret: str | None = None


class WebhookOut(msgspec.Struct, frozen=True):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: dt.datetime
    secret: str | None = None  # shown once, when created


class WebhookPage(msgspec.Struct, frozen=True):
    webhooks: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(msgspec.Struct, frozen=True):
    id: int
    outbox_id: int
    event_type: str
    attempt: int
    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    status: str  # the outbox row's state now: pending (will retry), delivered, failed


class DeliveryPage(msgspec.Struct, frozen=True):
    deliveries: list[DeliveryOut]
    next_cursor: str | None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refuse_internal(url: str, *, allow_private: bool, field: str = "url") -> None:
    """``Invalid`` when ``url`` is not http(s) or points inside the network (and that is not allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("webhook url must be an http:// or https:// URL with a host", field)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid(f"webhook host {parts.hostname} does not resolve", field) from None
    for info in infos:
        if _internal(str(info[4][0])):
            raise Invalid(f"webhook url {url} points at an internal address ({info[4][0]}); an administrator"
                          " can allow that with CRASHDESK_WEBHOOK_ALLOW_PRIVATE=true", field)


def _out(row: Mapping[str, Any], secret: str | None = None) -> WebhookOut:
    return WebhookOut(row["id"], row["url"], list(row["events"]), row["active"], row["created_at"], secret)


async def create(conn: Conn, organization_id: int, data: WebhookCreate, *, allow_private: bool) -> WebhookOut:
    unknown = sorted(set(data.events) - set(EVENT_TYPES))
    if not data.events or unknown:
        raise Invalid(f"events must be some of {', '.join(EVENT_TYPES)}" + (f"; unknown: {unknown}" if unknown else ""),
                      "events")
    if any("\x00" in v for v in (data.url, data.secret or "", *data.events)):
        raise Invalid("webhook fields must not contain NUL characters", "url")
    if len(data.url) > 2000:
        raise Invalid("url is longer than 2000 characters", "url")
    # getaddrinfo blocks; in a thread so a slow resolver does not stall every other request
    await asyncio.to_thread(refuse_internal, data.url, allow_private=allow_private)
    secret = data.secret or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise Invalid("secret must be at least 16 characters (or leave it out and one is made)", "secret")
    row = await hooks_sql.create(conn, organization_id, data.url, secret, sorted(set(data.events)))
    return _out(row, secret)


async def list_hooks(conn: Conn, organization_id: int) -> WebhookPage:
    return WebhookPage([_out(r) for r in await hooks_sql.hooks(conn, organization_id)])


async def get(conn: Conn, organization_id: int, hook_id: int) -> WebhookOut:
    row = await hooks_sql.hook(conn, organization_id, hook_id)
    if row is None:
        raise NotFound("webhook", hook_id)
    return _out(row)


async def deactivate(conn: Conn, organization_id: int, hook_id: int) -> WebhookOut:
    if not await hooks_sql.deactivate(conn, organization_id, hook_id):
        raise NotFound("webhook", hook_id)
    return await get(conn, organization_id, hook_id)


async def deliveries(conn: Conn, organization_id: int, hook_id: int, cursor_: str | None, limit: int) -> DeliveryPage:
    await get(conn, organization_id, hook_id)
    key = cursor.decode(cursor_, 1)
    rows = await hooks_sql.deliveries(conn, hook_id, key[0] if key else None, limit)
    return DeliveryPage([DeliveryOut(**dict(r)) for r in rows], cursor.encode(rows[-1]["id"]) if len(rows) == limit else None)


async def emit(conn: Conn, organization_id: int, event_type: EventType, data: Mapping[str, Any], *,
               now: dt.datetime) -> int:
    """Queue ``event_type`` for every hook of the organization that wants it; returns how many."""
    body = msgspec.json.encode({"type": event_type, "created_at": now, "data": data})
    return await hooks_sql.enqueue(conn, organization_id, event_type, body)
