"""Bulk ticket import: a batch of rows in one transaction, as if each were posted in turn.

A row with a pasted trace or error line goes through the same matching as ``POST /tickets``,
in file order, inside the batch's transaction, so it sees every row before it. A row of
words alone cannot join a cluster (``dedupe.ticket_match.join_target`` never joins on
text), so it starts its own cluster whatever the search says: such rows skip the search
and are written together (one statement each for their clusters, tickets, history rows and
search documents), flushed before the next matched row so that row sees them.

If the batch fails (a row the checks could not foresee, a concurrent import of the same
``external_ref``), it is rolled back and retried in halves down to the row at fault, so a
bad row costs only itself and is reported with its line number.
"""

from __future__ import annotations

import asyncpg
import msgspec

from dedupe import CONFIG_ID, Signature
from dedupe.ticket_match import Ranked, join_target
from dedupe.traces import find_traces
from server.db import ticket_history
from server.db import tickets as tickets_sql
from server.db.search import Conn
from server.errors import CrashdeskError
from server.services import search, tickets
from server.services.ticket_model import TicketCreate

_EMPTY_SIGNATURE = msgspec.msgpack.encode(Signature())

# What one row can cause (bad data, a constraint); an outage or a bug still stops the import.
ROW_ERRORS = (CrashdeskError, asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
Row = tuple[int, TicketCreate]  # (line number, ticket)
Failure = dict[str, object]  # {"line": n, "error": text}


def words_can_join() -> bool:
    """Whether text evidence alone could ever join a posted ticket to a cluster (asked of the
    matcher, so a change of its rule turns the shortcut off instead of changing decisions)."""
    return join_target([Ranked(0, 1.0, (), ("text",))]) is not None


async def import_batch(pool: Conn, organization_id: int, project_id: int, rows: list[Row]) -> tuple[int, list[Failure]]:
    """Import ``rows`` (validated, external_refs not yet imported); (imported, failures by line).

    A batch that fails is split in halves and each retried, down to the row at fault, which
    is retried alone the way ``POST /tickets`` would take it: a bad row costs its batch about
    log2(batch) retries, not a fall back to one row at a time.
    """
    if not rows:
        return 0, []
    if len(rows) == 1:
        line, data = rows[0]
        try:
            await tickets.create(pool, organization_id, project_id, data)
            return 1, []
        except CrashdeskError as exc:
            return 0, [{"line": line, "error": exc.detail}]
        except ROW_ERRORS as exc:
            return 0, [{"line": line, "error": f"refused by the database: {exc}"}]
    async with pool.acquire() as conn:  # type: ignore[union-attr]
        try:
            async with conn.transaction():
                await _batch(conn, organization_id, project_id, rows)
            return len(rows), []
        except ROW_ERRORS:
            pass  # rolled back
    half = len(rows) // 2
    a_done, a_failed = await import_batch(pool, organization_id, project_id, rows[:half])
    b_done, b_failed = await import_batch(pool, organization_id, project_id, rows[half:])
    return a_done + b_done, a_failed + b_failed


async def _batch(conn: asyncpg.Connection, organization_id: int, project_id: int, rows: list[Row]) -> None:
    shortcut = not words_can_join()
    plain: list[tuple[TicketCreate, str]] = []
    for _, data in rows:
        language = tickets.validate(data)
        if shortcut and not find_traces(f"{data.subject}\n\n{data.body}"):
            plain.append((data, language))
            continue
        await _write_plain(conn, organization_id, project_id, plain)
        plain = []
        await tickets.create_in(conn, organization_id, project_id, data, language)
    await _write_plain(conn, organization_id, project_id, plain)


async def _write_plain(conn: asyncpg.Connection, organization_id: int, project_id: int,
                       plain: list[tuple[TicketCreate, str]]) -> None:
    """Tickets of words alone: each starts its own cluster (as ``tickets.create`` would), written in bulk."""
    if not plain:
        return
    clusters = await tickets_sql.create_ticket_clusters(
        conn, project_id, [d.subject for d, _ in plain], [d.created_at for d, _ in plain], _EMPTY_SIGNATURE, CONFIG_ID)
    ids = await tickets_sql.insert_tickets(conn, organization_id, project_id, [
        (d.external_ref, d.subject, d.body, d.customer, d.version, language, cid, d.created_at)
        for (d, language), cid in zip(plain, clusters, strict=True)
    ])
    await ticket_history.add_filed(conn, [(tid, "new", cid, d.created_at)
                                          for (d, _), tid, cid in zip(plain, ids, clusters, strict=True)])
    await search.index(conn, [
        search.Document(organization_id, "ticket", tid, d.subject, body=d.body, project_id=project_id, language=language)
        for (d, language), tid in zip(plain, ids, strict=True)
    ])
