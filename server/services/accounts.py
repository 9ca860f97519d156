"""People: sign-in and server-side sessions, roles per organization, invites and password resets.

A session cookie carries a random token; only its SHA-256 is stored, with the session's CSRF
token. Invites and resets are one-time links made by an organization's admin (there is no
mail server to trust): the admin hands the link over, the link sets the password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Literal

import msgspec

from server import passwords
from server.db import accounts as sql
from server.db import tenancy
from server.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from server.services import cluster_owners

Conn = Any
Role = Literal["admin", "engineer", "agent"]
ROLE_LEVEL: dict[str, int] = {"agent": 0, "engineer": 1, "admin": 2}

SESSION_LIFETIME = dt.timedelta(days=30)
SESSION_IDLE = dt.timedelta(days=7)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often per session
LINK_LIFETIME = dt.timedelta(days=7)
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 10
MAX_FAILURES_PER_ADDRESS = 50


class Membership(msgspec.Struct, frozen=True):
    organization_id: int
    slug: str
    name: str
    role: Role

    def allows(self, needed: Role) -> bool:
        return ROLE_LEVEL[self.role] >= ROLE_LEVEL[needed]


class Viewer(msgspec.Struct, frozen=True):
    """Who is signed in, and where they belong; what every page is rendered for."""

    user_id: int
    email: str
    name: str
    is_superuser: bool
    csrf: str
    memberships: tuple[Membership, ...]

    def member_of(self, slug: str) -> Membership:
        """The membership in ``slug``; another organization is indistinguishable from a missing one."""
        for m in self.memberships:
            if m.slug == slug:
                return m
        raise NotFound("organization", slug)


class Session(msgspec.Struct, frozen=True):
    token: str  # the cookie value; shown once, never stored
    viewer: Viewer


class MemberOut(msgspec.Struct, frozen=True):
    id: int
    email: str
    name: str
    role: Role
    disabled: bool
    last_seen_at: dt.datetime | None


class InviteOut(msgspec.Struct, frozen=True):
    email: str
    role: Role
    created_at: dt.datetime
    expires_at: dt.datetime


class LinkOut(msgspec.Struct, frozen=True):
    """A one-time link: ``path`` goes after the service's public URL."""

    kind: Literal["invite", "reset"]
    email: str
    path: str
    expires_at: dt.datetime


class LinkInfo(msgspec.Struct, frozen=True):
    kind: Literal["invite", "reset"]
    email: str
    organization: str | None
    role: Role | None
    existing_user: bool


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not value or "@" not in value or len(value) > 254 or any(c.isspace() or c == "\x00" for c in value):
        raise Invalid("give a valid e-mail address", "email")
    return value


async def _viewer(conn: Conn, user_id: int, row: Any, csrf: str) -> Viewer:
    members = await sql.memberships_of(conn, user_id)
    return Viewer(
        user_id=user_id,
        email=row["email"],
        name=row["name"],
        is_superuser=bool(row["is_superuser"]),
        csrf=csrf,
        memberships=tuple(Membership(int(m["organization_id"]), m["slug"], m["name"], m["role"]) for m in members),
    )


async def _start(conn: Conn, user: Any) -> Session:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await sql.insert_session(conn, _hash(token), int(user["id"]), csrf, _now() + SESSION_LIFETIME)
    return Session(token, await _viewer(conn, int(user["id"]), user, csrf))


async def sign_in(conn: Conn, email: str, password: str, *, address: str) -> Session:
    """Check the password; too many failures for the address or the e-mail answer 429 before any check."""
    email = email.strip().lower()
    keys = [f"email:{email}"[:300], f"ip:{address}"]
    failures_email = await sql.recent_failures(conn, keys[:1], FAILURE_WINDOW)
    failures_address = await sql.recent_failures(conn, keys[1:], FAILURE_WINDOW)
    if failures_email >= MAX_FAILURES_PER_EMAIL or failures_address >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyRequests("too many failed sign-ins; wait 15 minutes and try again", int(FAILURE_WINDOW.total_seconds()))
    user = await sql.user_by_email(conn, email)
    ok, rehash = passwords.verify(password, user["password_hash"] if user else None)
    if not ok or user is None or user["disabled"]:
        await sql.record_failure(conn, keys, FAILURE_WINDOW)
        raise Unauthorized("wrong e-mail or password")
    await sql.clear_failures(conn, keys[:1])
    if rehash:
        await sql.set_password_hash(conn, int(user["id"]), passwords.hash_password(password), changed=False)
    return await _start(conn, user)


async def viewer_of(conn: Conn, token: str) -> Viewer | None:
    """The signed-in person behind a session cookie, or None (unknown, expired, idle, disabled)."""
    if not token or len(token) > 100:
        return None
    token_hash = _hash(token)
    row = await sql.session_by_hash(conn, token_hash, SESSION_IDLE)
    if row is None:
        return None
    if _now() - row["last_seen_at"] > TOUCH_EVERY:
        await sql.touch_session(conn, token_hash)
    return await _viewer(conn, int(row["user_id"]), row, row["csrf"])


async def sign_out(conn: Conn, token: str) -> None:
    await sql.delete_session(conn, _hash(token))


async def change_password(conn: Conn, viewer: Viewer, current: str, new: str, *, token: str) -> None:
    """Other sessions of the user end; this one stays."""
    user = await sql.user_by_id(conn, viewer.user_id)
    ok, _ = passwords.verify(current, user["password_hash"] if user else None)
    if not ok:
        raise Invalid("the current password is wrong", "current")
    _check_password(new, viewer.email)
    await sql.set_password_hash(conn, viewer.user_id, passwords.hash_password(new))
    await sql.delete_sessions_of(conn, viewer.user_id, keep=_hash(token))


def _check_password(password: str, email: str) -> None:
    problem = passwords.weakness(password, email)
    if problem:
        raise Invalid(problem, "password")


def require_role(membership: Membership, needed: Role) -> None:
    if not membership.allows(needed):
        raise Forbidden(f"this needs the {needed} role in {membership.slug}; yours is {membership.role}")


# --- members, invites and resets (an organization's admin)


async def list_members(conn: Conn, organization_id: int) -> list[MemberOut]:
    return [MemberOut(**dict(r)) for r in await sql.members(conn, organization_id)]


async def list_invites(conn: Conn, organization_id: int) -> list[InviteOut]:
    return [InviteOut(**dict(r)) for r in await sql.pending_invites(conn, organization_id)]


async def invite(conn: Conn, admin: Membership, actor_id: int, email: str, role: Role) -> LinkOut:
    require_role(admin, "admin")
    email = normalise_email(email)
    if role not in ROLE_LEVEL:
        raise Invalid(f"role must be one of {', '.join(ROLE_LEVEL)}", "role")
    existing = await sql.user_by_email(conn, email)
    if existing is not None and await sql.role_of(conn, admin.organization_id, int(existing["id"])):
        raise Conflict(f"{email} is already a member of {admin.slug}")
    return await _link(conn, "invite", email, admin.organization_id, role, actor_id)


async def reset_link(conn: Conn, admin: Membership, actor_id: int, user_id: int) -> LinkOut:
    """A link that sets a new password for a member of the admin's organization."""
    require_role(admin, "admin")
    if await sql.role_of(conn, admin.organization_id, user_id) is None:
        raise NotFound("member", user_id)
    user = await sql.user_by_id(conn, user_id)
    return await _link(conn, "reset", user["email"], admin.organization_id, None, actor_id)


async def reset_link_by_email(conn: Conn, org_slug: str, email: str) -> LinkOut:
    """For the operator's command line (an admin locked out of the web): a reset link for a member of ``org_slug``."""
    organization_id = await tenancy.organization_id(conn, org_slug)
    user = await sql.user_by_email(conn, normalise_email(email))
    if user is None or await sql.role_of(conn, organization_id, int(user["id"])) is None:
        raise NotFound("member", f"{email} in {org_slug}")
    return await _link(conn, "reset", user["email"], organization_id, None, None)


async def _link(conn: Conn, kind: Literal["invite", "reset"], email: str, org: int, role: str | None, actor: int | None) -> LinkOut:
    token = secrets.token_urlsafe(32)
    expires = _now() + LINK_LIFETIME
    await sql.insert_link(conn, _hash(token), kind, email=email, organization_id=org, role=role, created_by=actor, expires_at=expires)
    return LinkOut(kind, email, f"/account/{kind}/{token}", expires)


async def link_info(conn: Conn, kind: str, token: str) -> LinkInfo:
    row = await sql.live_link(conn, _hash(token))
    if row is None or row["kind"] != kind:
        raise NotFound("link", "(used, expired or unknown)")
    existing = await sql.user_by_email(conn, row["email"])
    return LinkInfo(row["kind"], row["email"], row["organization"], row["role"], existing is not None)


async def use_link(conn: Conn, kind: str, token: str, password: str, name: str = "") -> Session:
    """Accept an invite (new user: set the password; known user: join) or reset a password; signs in."""
    async with conn.acquire() if hasattr(conn, "acquire") else _same(conn) as c, c.transaction():
        row = await sql.live_link(c, _hash(token), lock=True)
        if row is None or row["kind"] != kind:
            raise NotFound("link", "(used, expired or unknown)")
        user = await sql.user_by_email(c, row["email"])
        if kind == "invite":
            if user is None:
                _check_password(password, row["email"])
                user_id = await sql.insert_user(c, row["email"], passwords.hash_password(password), name.strip()[:200])
                if user_id is None:
                    raise Conflict(f"{row['email']} signed up meanwhile; open the link again")
            else:
                ok, _ = passwords.verify(password, user["password_hash"])
                if not ok:
                    raise Invalid(f"{row['email']} has an account: give its current password to join", "password")
                user_id = int(user["id"])
            await sql.add_membership(c, int(row["organization_id"]), int(user_id), row["role"])
        else:
            if user is None:
                raise NotFound("user", row["email"])
            _check_password(password, row["email"])
            user_id = int(user["id"])
            await sql.set_password_hash(c, user_id, passwords.hash_password(password))
            await sql.delete_sessions_of(c, user_id)
        await sql.use_link(c, _hash(token))
        return await _start(c, await sql.user_by_id(c, int(user_id)))


class _same:
    """``async with`` over a connection that is already one (not a pool)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def __aenter__(self) -> Any:
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        return None


async def set_role(conn: Conn, admin: Membership, user_id: int, role: Role) -> None:
    require_role(admin, "admin")
    if role not in ROLE_LEVEL:
        raise Invalid(f"role must be one of {', '.join(ROLE_LEVEL)}", "role")
    async with conn.acquire() if hasattr(conn, "acquire") else _same(conn) as c, c.transaction():
        current = await sql.role_of(c, admin.organization_id, user_id)
        if current is None:
            raise NotFound("member", user_id)
        if current == "admin" and role != "admin" and await sql.admin_count(c, admin.organization_id) <= 1:
            raise Conflict("the last admin cannot step down; make another member admin first")
        await sql.set_role(c, admin.organization_id, user_id, role)


async def remove_member(conn: Conn, admin: Membership, user_id: int) -> None:
    require_role(admin, "admin")
    async with conn.acquire() if hasattr(conn, "acquire") else _same(conn) as c, c.transaction():
        current = await sql.role_of(c, admin.organization_id, user_id)
        if current is None:
            raise NotFound("member", user_id)
        if current == "admin" and await sql.admin_count(c, admin.organization_id) <= 1:
            raise Conflict("the last admin cannot be removed")
        await sql.remove_membership(c, admin.organization_id, user_id)
        await cluster_owners.unassign_member(c, admin.organization_id, user_id, actor="system")


async def create_user(conn: Conn, org_slug: str, email: str, password: str, role: Role = "engineer") -> int:
    """For the CLI and tests: a user with a password, member of ``org_slug``."""
    email = normalise_email(email)
    _check_password(password, email)
    return await tenancy.create_user(conn, email, password, org_slug=org_slug, role=role)


async def prune(conn: Conn) -> int:
    return await sql.prune_sessions(conn, SESSION_IDLE)
