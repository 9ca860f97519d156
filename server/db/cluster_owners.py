"""Cluster ownership SQL: who owns a cluster, which member an e-mail names, setting and clearing owners."""

from __future__ import annotations

from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def owner_of(conn: Conn, project_id: int, cluster_id: int, *, lock: bool = False) -> Any:
    """The cluster's row (``owner_id``, ``owner`` e-mail) if it is the project's and not merged away, else None."""
    return await conn.fetchrow(
        "SELECT c.id, c.owner_id, u.email AS owner FROM clusters c LEFT JOIN users u ON u.id = c.owner_id"
        " WHERE c.project_id = $1 AND c.id = $2 AND c.merged_into IS NULL" + (" FOR UPDATE OF c" if lock else ""),
        project_id,
        cluster_id,
    )


async def member_id(conn: Conn, organization_id: int, email: str) -> int | None:
    """The user id of the organization's member with this (normalised) e-mail, or None."""
    return await conn.fetchval(
        "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id AND m.organization_id = $1 WHERE u.email = $2",
        organization_id,
        email,
    )


async def set_owner(conn: Conn, cluster_id: int, user_id: int | None) -> None:
    await conn.execute("UPDATE clusters SET owner_id = $2 WHERE id = $1", cluster_id, user_id)


async def clear_member(conn: Conn, organization_id: int, user_id: int) -> list[Any]:
    """Unassign a member leaving the organization from its clusters; answers (id, project_id, email) of those."""
    return await conn.fetch(
        "UPDATE clusters c SET owner_id = NULL FROM projects p, users u"
        " WHERE c.owner_id = $2 AND p.id = c.project_id AND p.organization_id = $1 AND u.id = $2"
        " RETURNING c.id, c.project_id, u.email",
        organization_id,
        user_id,
    )
