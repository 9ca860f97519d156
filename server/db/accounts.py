"""Accounts SQL: users, memberships, web sessions, one-time links and the sign-in throttle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def user_by_email(conn: Conn, email: str) -> Any:
    return await conn.fetchrow(
        "SELECT id, email, name, password_hash, disabled, is_superuser FROM users WHERE email = $1", email
    )


async def user_by_id(conn: Conn, user_id: int) -> Any:
    return await conn.fetchrow(
        "SELECT id, email, name, password_hash, disabled, is_superuser FROM users WHERE id = $1", user_id
    )


async def insert_user(conn: Conn, email: str, password_hash: str, name: str) -> int | None:
    """The new user's id, or None when the e-mail is taken."""
    return await conn.fetchval(
        "INSERT INTO users (email, password_hash, name) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING id",
        email, password_hash, name,
    )


async def set_password_hash(conn: Conn, user_id: int, password_hash: str, *, changed: bool = True) -> None:
    """``changed=False`` for a rehash at sign-in: same password, so sessions stay valid."""
    if changed:
        await conn.execute(
            "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1", user_id, password_hash
        )
    else:
        await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


# --- memberships


async def memberships_of(conn: Conn, user_id: int) -> list[Any]:
    return await conn.fetch(
        "SELECT o.id AS organization_id, o.slug, o.name, m.role FROM memberships m"
        " JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.slug",
        user_id,
    )


async def members(conn: Conn, organization_id: int) -> list[Any]:
    return await conn.fetch(
        "SELECT u.id, u.email, u.name, m.role, u.disabled,"
        " (SELECT max(s.last_seen_at) FROM web_sessions s WHERE s.user_id = u.id) AS last_seen_at"
        " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY u.email",
        organization_id,
    )


async def role_of(conn: Conn, organization_id: int, user_id: int) -> str | None:
    return await conn.fetchval(
        "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2", organization_id, user_id
    )


async def add_membership(conn: Conn, organization_id: int, user_id: int, role: str) -> None:
    await conn.execute(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)"
        " ON CONFLICT (organization_id, user_id) DO NOTHING",
        organization_id, user_id, role,
    )


async def set_role(conn: Conn, organization_id: int, user_id: int, role: str) -> None:
    await conn.execute(
        "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2", organization_id, user_id, role
    )


async def remove_membership(conn: Conn, organization_id: int, user_id: int) -> None:
    await conn.execute("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2", organization_id, user_id)


async def admin_count(conn: Conn, organization_id: int) -> int:
    """Admins who can still sign in (a disabled admin cannot rescue the organization).

    Their membership rows stay locked until the caller's transaction ends, so two admins
    demoting each other at once cannot both pass the "another admin remains" check.
    """
    rows = await conn.fetch(
        "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.organization_id = $1 AND m.role = 'admin' AND NOT u.disabled"
        " ORDER BY m.user_id FOR UPDATE OF m",
        organization_id,
    )
    return len(rows)


# --- web sessions


async def insert_session(conn: Conn, token_hash: bytes, user_id: int, csrf: str, expires_at: dt.datetime) -> None:
    await conn.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash, user_id, csrf, expires_at,
    )


async def session_by_hash(conn: Conn, token_hash: bytes, idle: dt.timedelta) -> Any:
    """A live session with its user; None when unknown, expired, idle too long or the user is disabled."""
    return await conn.fetchrow(
        "SELECT s.user_id, s.csrf, s.last_seen_at, u.email, u.name, u.is_superuser"
        " FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval"
        " AND NOT u.disabled",
        token_hash, idle,
    )


async def touch_session(conn: Conn, token_hash: bytes) -> None:
    await conn.execute("UPDATE web_sessions SET last_seen_at = now() WHERE token_hash = $1", token_hash)


async def delete_session(conn: Conn, token_hash: bytes) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE token_hash = $1", token_hash)


async def delete_sessions_of(conn: Conn, user_id: int, *, keep: bytes | None = None) -> None:
    await conn.execute(
        "DELETE FROM web_sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2", user_id, keep
    )


async def prune_sessions(conn: Conn, idle: dt.timedelta) -> int:
    """Forget expired sessions and old used or expired links; returns how many sessions went."""
    gone = await conn.fetchval(
        "WITH d AS (DELETE FROM web_sessions WHERE expires_at < now() OR last_seen_at < now() - $1::interval"
        " RETURNING 1) SELECT count(*) FROM d",
        idle,
    )
    await conn.execute("DELETE FROM account_links WHERE expires_at < now() - interval '30 days'")
    await conn.execute("DELETE FROM sign_in_failures WHERE window_start < now() - interval '1 day'")
    return int(gone)


# --- one-time links


async def insert_link(
    conn: Conn,
    token_hash: bytes,
    kind: str,
    *,
    email: str,
    organization_id: int | None,
    role: str | None,
    created_by: int | None,
    expires_at: dt.datetime,
) -> None:
    await conn.execute(
        "INSERT INTO account_links (token_hash, kind, organization_id, email, role, created_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        token_hash, kind, organization_id, email, role, created_by, expires_at,
    )


async def live_link(conn: Conn, token_hash: bytes, *, lock: bool = False) -> Any:
    """An unused, unexpired link with its organization's slug."""
    return await conn.fetchrow(
        "SELECT l.kind, l.organization_id, o.slug AS organization, l.email, l.role, l.expires_at"
        " FROM account_links l LEFT JOIN organizations o ON o.id = l.organization_id"
        " WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()" + (" FOR UPDATE OF l" if lock else ""),
        token_hash,
    )


async def use_link(conn: Conn, token_hash: bytes) -> None:
    await conn.execute("UPDATE account_links SET used_at = now() WHERE token_hash = $1", token_hash)


async def pending_invites(conn: Conn, organization_id: int) -> list[Any]:
    return await conn.fetch(
        "SELECT email, role, created_at, expires_at FROM account_links"
        " WHERE organization_id = $1 AND kind = 'invite' AND used_at IS NULL AND expires_at > now()"
        " ORDER BY created_at DESC",
        organization_id,
    )


# --- sign-in throttle


async def recent_failures(conn: Conn, keys: list[str], window: dt.timedelta) -> int:
    """The most failures any of ``keys`` has in its current window."""
    value = await conn.fetchval(
        "SELECT max(failures) FROM sign_in_failures WHERE key = ANY($1::text[]) AND window_start > now() - $2::interval",
        keys, window,
    )
    return int(value or 0)


async def record_failure(conn: Conn, keys: list[str], window: dt.timedelta) -> None:
    """Count one failure for each key; a window that has passed starts again at 1."""
    await conn.execute(
        "INSERT INTO sign_in_failures (key, failures, window_start) SELECT k, 1, now() FROM unnest($1::text[]) AS k"
        " ON CONFLICT (key) DO UPDATE SET"
        " failures = CASE WHEN sign_in_failures.window_start > now() - $2::interval"
        "   THEN sign_in_failures.failures + 1 ELSE 1 END,"
        " window_start = CASE WHEN sign_in_failures.window_start > now() - $2::interval"
        "   THEN sign_in_failures.window_start ELSE now() END",
        keys, window,
    )


async def clear_failures(conn: Conn, keys: list[str]) -> None:
    await conn.execute("DELETE FROM sign_in_failures WHERE key = ANY($1::text[])", keys)
