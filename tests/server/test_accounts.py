"""The accounts service on a real PostgreSQL: sessions end when they should, roles keep an admin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from server import passwords
from server.db import tenancy
from server.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from server.migrate import migrate
from server.services import accounts

PASSWORD = "correct horse battery"


def with_db(make_database: Any, body: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    url = make_database()

    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            await body(conn)
        finally:
            await conn.close()

    asyncio.run(go())


async def membership(conn: asyncpg.Connection, email: str, org: str) -> tuple[int, accounts.Membership]:
    user = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    row = await conn.fetchrow(
        "SELECT o.id, o.slug, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id"
        " WHERE m.user_id = $1 AND o.slug = $2",
        user, org,
    )
    return int(user), accounts.Membership(row["id"], row["slug"], row["name"], row["role"])


def test_expired_and_idle_sessions_sign_nobody_in_and_are_pruned(make_database: Any) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await accounts.create_user(conn, "acme", "a@acme.test", PASSWORD, role="admin")
        fresh = await accounts.sign_in(conn, "A@acme.test ", PASSWORD, address="1.2.3.4")  # e-mail case and spaces ignored
        expired = await accounts.sign_in(conn, "a@acme.test", PASSWORD, address="1.2.3.4")
        idle = await accounts.sign_in(conn, "a@acme.test", PASSWORD, address="1.2.3.4")
        await conn.execute("UPDATE web_sessions SET expires_at = now() - interval '1 second'"
                           " WHERE csrf = $1", expired.viewer.csrf)
        await conn.execute("UPDATE web_sessions SET last_seen_at = now() - interval '8 days'"
                           " WHERE csrf = $1", idle.viewer.csrf)
        assert (await accounts.viewer_of(conn, fresh.token)).email == "a@acme.test"  # type: ignore[union-attr]
        assert await accounts.viewer_of(conn, expired.token) is None
        assert await accounts.viewer_of(conn, idle.token) is None
        assert await accounts.prune(conn) == 2
        assert await conn.fetchval("SELECT count(*) FROM web_sessions") == 1
        await conn.execute("UPDATE users SET disabled = true")
        assert await accounts.viewer_of(conn, fresh.token) is None  # a disabled user is signed out at once

    with_db(make_database, body)


def test_the_throttle_window_passes(make_database: Any) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await accounts.create_user(conn, "acme", "b@acme.test", PASSWORD)
        for _ in range(accounts.MAX_FAILURES_PER_EMAIL):
            with pytest.raises(Unauthorized):
                await accounts.sign_in(conn, "b@acme.test", "wrong", address="5.6.7.8")
        with pytest.raises(TooManyRequests):
            await accounts.sign_in(conn, "b@acme.test", PASSWORD, address="9.9.9.9")  # another address: same e-mail
        await conn.execute("UPDATE sign_in_failures SET window_start = now() - interval '16 minutes'")
        assert (await accounts.sign_in(conn, "b@acme.test", PASSWORD, address="5.6.7.8")).viewer.email == "b@acme.test"
        with pytest.raises(Unauthorized):  # an unknown address is refused like a wrong password
            await accounts.sign_in(conn, "nobody@acme.test", PASSWORD, address="5.6.7.8")

    with_db(make_database, body)


def test_old_scrypt_hashes_still_sign_in_and_are_upgraded(make_database: Any) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await accounts.create_user(conn, "acme", "old@acme.test", PASSWORD)
        legacy = "scrypt$00112233445566778899aabbccddeeff$" + __import__("hashlib").scrypt(
            PASSWORD.encode(), salt=bytes.fromhex("00112233445566778899aabbccddeeff"), n=2**14, r=8, p=1
        ).hex()
        await conn.execute("UPDATE users SET password_hash = $1 WHERE email = 'old@acme.test'", legacy)
        await accounts.sign_in(conn, "old@acme.test", PASSWORD, address="x")
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE email = 'old@acme.test'")
        assert stored.startswith("$argon2id$") and passwords.verify(PASSWORD, stored) == (True, False)

    with_db(make_database, body)


def test_the_last_admin_stays_and_roles_change(make_database: Any) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await accounts.create_user(conn, "acme", "boss@acme.test", PASSWORD, role="admin")
        await accounts.create_user(conn, "acme", "dev@acme.test", PASSWORD, role="engineer")
        boss_id, boss = await membership(conn, "boss@acme.test", "acme")
        dev_id, dev = await membership(conn, "dev@acme.test", "acme")
        with pytest.raises(Conflict, match="last admin"):
            await accounts.set_role(conn, boss, boss_id, "agent")
        with pytest.raises(Conflict, match="last admin"):
            await accounts.remove_member(conn, boss, boss_id)
        with pytest.raises(accounts.Forbidden):
            await accounts.set_role(conn, dev, dev_id, "admin")  # no promoting oneself
        await accounts.set_role(conn, boss, dev_id, "admin")
        await accounts.set_role(conn, boss, boss_id, "agent")  # now another admin exists
        assert (await membership(conn, "boss@acme.test", "acme"))[1].role == "agent"
        await tenancy.ensure_organization(conn, "globex")
        _, dev_admin = await membership(conn, "dev@acme.test", "acme")
        outsider = await accounts.create_user(conn, "globex", "g@globex.test", PASSWORD)
        with pytest.raises(NotFound):  # a member of another organization cannot be touched
            await accounts.set_role(conn, dev_admin, outsider, "agent")

    with_db(make_database, body)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(make_database: Any) -> None:
    url = make_database()

    async def go() -> None:
        pool = await asyncpg.create_pool(url, min_size=2, max_size=2)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
                await accounts.create_user(conn, "acme", "ann@acme.test", PASSWORD, role="admin")
                await accounts.create_user(conn, "acme", "bob@acme.test", PASSWORD, role="admin")
                ann_id, ann = await membership(conn, "ann@acme.test", "acme")
                bob_id, bob = await membership(conn, "bob@acme.test", "acme")
            for _ in range(3):  # each round: both step the other down at the same moment
                outcomes = await asyncio.gather(
                    accounts.set_role(pool, ann, bob_id, "engineer"), accounts.set_role(pool, bob, ann_id, "engineer"),
                    return_exceptions=True,
                )
                assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "NoneType"], outcomes
                async with pool.acquire() as conn:
                    assert await conn.fetchval("SELECT count(*) FROM memberships WHERE role = 'admin'") == 1
                    await conn.execute("UPDATE memberships SET role = 'admin'")
        finally:
            await pool.close()

    asyncio.run(go())


def test_invites_are_single_use_and_known_users_prove_who_they_are(make_database: Any) -> None:
    async def body(conn: asyncpg.Connection) -> None:
        await accounts.create_user(conn, "acme", "boss@acme.test", PASSWORD, role="admin")
        await accounts.create_user(conn, "globex", "known@globex.test", PASSWORD)
        boss_id, boss = await membership(conn, "boss@acme.test", "acme")
        link = await accounts.invite(conn, boss, boss_id, "Known@Globex.test", "engineer")
        token = link.path.rsplit("/", 1)[1]
        info = await accounts.link_info(conn, "invite", token)
        assert info.existing_user and info.organization == "acme" and info.role == "engineer"
        with pytest.raises(NotFound):
            await accounts.link_info(conn, "reset", token)  # a link is only good for its own kind
        with pytest.raises(Invalid, match="current password"):
            await accounts.use_link(conn, "invite", token, "not their password")
        session = await accounts.use_link(conn, "invite", token, PASSWORD)
        assert {m.slug for m in session.viewer.memberships} == {"acme", "globex"}
        with pytest.raises(NotFound):
            await accounts.use_link(conn, "invite", token, PASSWORD)
        with pytest.raises(Conflict):
            await accounts.invite(conn, boss, boss_id, "known@globex.test", "agent")  # already a member

    with_db(make_database, body)
