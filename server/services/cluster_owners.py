"""Cluster ownership: the member of the organization responsible for a cluster.

An owner is named by e-mail (API and pages alike) and must be a member of the cluster's
organization; each change is a line of the cluster's activity log (kind ``owner``).
The list filters on it: one member's clusters, or those nobody owns.
"""

from __future__ import annotations

from typing import Any

from server.db import cluster_owners as sql
from server.db import resolution as resolution_sql
from server.db import tenancy
from server.db.clusters import Conn
from server.db.resolution import Activity
from server.errors import Invalid, NotFound

UNOWNED = "none"  # the list filter's value for clusters nobody owns
NOT_A_MEMBER = "owner must be the e-mail of a member of this organization"


def _email(owner: str) -> str:
    value = owner.strip().lower()
    if not value or len(value) > 254 or "\x00" in value:
        raise Invalid(NOT_A_MEMBER, "owner")
    return value


async def _member(conn: Conn, organization_id: int, owner: str) -> int:
    user_id = await sql.member_id(conn, organization_id, _email(owner))
    if user_id is None:
        raise Invalid(NOT_A_MEMBER, "owner")
    return user_id


async def owner_filter(conn: Conn, organization_id: int, owner: str | None) -> int | None:
    """The list's ``owner`` value as ``cluster_admin.list_clusters`` takes it: None (anyone), 0 (nobody), a user id."""
    if owner is None or not owner.strip():
        return None
    if owner.strip().lower() == UNOWNED:
        return 0
    return await _member(conn, organization_id, owner)


async def set_owner(
    conn: Any, organization_id: int, project_id: int, cluster_id: int, owner: str | None, *, actor: str
) -> None:
    """Make ``owner`` (an e-mail; None: nobody) the cluster's owner and log it; no change, no log line."""
    async with conn.transaction():
        await tenancy.project_in_org(conn, organization_id, project_id)
        row = await sql.owner_of(conn, project_id, cluster_id, lock=True)
        if row is None:
            raise NotFound("cluster", cluster_id)
        user_id = None if owner is None else await _member(conn, organization_id, owner)
        if user_id == row["owner_id"]:
            return
        await sql.set_owner(conn, cluster_id, user_id)
        email = None if owner is None else _email(owner)
        await resolution_sql.log(conn, [Activity(cluster_id, project_id, actor, "owner", None, None, None,
                                                 {"owner": email, "previous": row["owner"]})])


async def unassign_member(conn: Any, organization_id: int, user_id: int, *, actor: str) -> int:
    """A member leaving the organization owns none of its clusters any more (logged on each); answers how many."""
    cleared = await sql.clear_member(conn, organization_id, user_id)
    await resolution_sql.log(conn, [Activity(r["id"], r["project_id"], actor, "owner", None, None, None,
                                             {"owner": None, "previous": r["email"], "reason": "left the organization"})
                                    for r in cleared])
    return len(cleared)
