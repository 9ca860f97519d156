"""API tokens of an organization: create (shown once), list, revoke. Scopes are levels: read < write < admin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.db import tokens as tokens_sql
from server.db.clusters import Conn
from server.errors import Invalid, NotFound
from server.services import cursor
from server.services.wire import DEFAULT_LIMIT, Text

Scope = Literal["read", "write", "admin"]
AwareTime = Annotated[dt.datetime, msgspec.Meta(tz=True, description="with a time zone, e.g. 2027-01-31T00:00:00Z")]


class TokenOut(msgspec.Struct, frozen=True):
    id: int
    label: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None  # updated at most once a minute
    active: bool  # neither revoked nor expired


class TokenCreated(TokenOut, frozen=True):
    token: str  # the secret, shown this once; only its hash is stored


class TokensPage(msgspec.Struct, frozen=True):
    tokens: list[TokenOut]
    next_cursor: str | None


class TokenCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
    label: Annotated[Text, msgspec.Meta(max_length=200)] = ""
    expires_at: AwareTime | None = None


def _out(row: tokens_sql.TokenRow, now: dt.datetime) -> TokenOut:
    fields = msgspec.structs.asdict(row)
    del fields["organization_id"]
    active = row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
    return TokenOut(**fields, active=active)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def create(conn: Conn, organization_id: int, new: TokenCreate) -> TokenCreated:
    now = _now()
    if new.expires_at is not None and new.expires_at <= now:
        raise Invalid(f"expires_at {new.expires_at.isoformat()} is in the past", "expires_at")
    scopes = sorted(set(new.scopes), key=["read", "write", "admin"].index)
    secret, row = await tokens_sql.create(conn, organization_id, label=new.label, scopes=scopes, expires_at=new.expires_at)
    return TokenCreated(**msgspec.structs.asdict(_out(row, now)), token=secret)


async def list_tokens(conn: Conn, organization_id: int, *, limit: int = DEFAULT_LIMIT, cursor_: str | None = None) -> TokensPage:
    """Every token of the organization (revoked and expired ones too, marked ``active: false``), oldest first."""
    key = cursor.decode(cursor_, 1)
    after = cursor.typed(key, tuple[int])[0] if key else None
    rows = await tokens_sql.list_tokens(conn, organization_id, after_id=after, limit=limit)
    now = _now()
    return TokensPage([_out(r, now) for r in rows], cursor.encode(rows[-1].id) if len(rows) == limit else None)


async def revoke(conn: Conn, organization_id: int, token_id: int) -> TokenOut:
    row = await tokens_sql.revoke(conn, organization_id, token_id)
    if row is None:
        raise NotFound("token", token_id)
    return _out(row, _now())


def parse_expiry(text: str, now: dt.datetime) -> dt.datetime:
    """``30d``, ``12h``, ``45m``, ``2w``, or an ISO date/time (UTC if no zone), for ``--expires``."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    value = text.strip()
    if value[-1:].lower() in units and value[:-1].isdigit():
        return now + dt.timedelta(**{units[value[-1].lower()]: int(value[:-1])})
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"--expires {text!r}: give a duration (30d, 12h, 45m, 2w) or a date (2027-01-31)", "expires") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
