"""Symbolication stage: resolve frames with the project's uploaded artifacts (before grouping).

Per batch: minidump attachments become events, then rounds of ``needed_artifacts`` are
answered with one lookup query per round for the whole batch (bytes fetched only for
what the in-process LRU lacks). Missing or unreadable artifacts become notes, and the
keys of what was missing are stored so a later upload can requeue exactly these events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg

from protocol import Event
from server.services.artifacts import debug_id_key, release_key
from server.db import artifacts as artifacts_sql
from server.stages.artifact_cache import ArtifactCache, Key
from server.stages.work import Work
from symbolication import (
    ArtifactRef,
    ArtifactValue,
    MinidumpError,
    SymbolicationError,
    load_artifact,
    needed_artifacts,
    parse_minidump,
    symbolicate,
)
from symbolication.cfi import CfiTable, parse_cfi
from symbolication.minidump_event import module_debug_ids

log = logging.getLogger(__name__)
@dataclass
class _Job:
    work: Work
    event: Event
    found: dict[ArtifactRef, ArtifactValue] = field(default_factory=dict)
    tried: set[ArtifactRef] = field(default_factory=set)

    @property
    def scope(self) -> tuple[int, str, str]:
        return self.work.project_id, self.event.release or "", self.event.dist or ""


async def symbolicate_batch(conn: asyncpg.Connection, batch: list[Work], cache: ArtifactCache) -> None:
    """Rewrite ``work.event`` in place for events that have something to symbolicate.

    ``cache`` holds parsed artifacts across batches; the worker keeps one per process.
    """
    await expand_minidumps(conn, batch, cache)
    jobs = [_Job(w, w.event) for w in batch if w.event is not None and needed_artifacts(w.event)]
    if not jobs:
        return
    await artifacts_sql.lock_projects_shared(conn, (j.work.project_id for j in jobs))
    while True:
        wanted = [(job, ref) for job in jobs for ref in needed_artifacts(job.event, job.found) if ref not in job.tried]
        if not wanted:
            break
        for job, ref in wanted:
            job.tried.add(ref)
        await _fetch(conn, wanted, cache)
    missing: list[tuple[int, list[str]]] = []
    for job in jobs:
        try:
            result = symbolicate(job.event, job.found)
        except Exception as exc:  # noqa: BLE001 - symbolicate should not raise; if it does, keep the event
            log.exception("symbolication of event %s failed", job.work.event_id)
            job.work.notes.append(f"symbolication failed, frames left as sent: {type(exc).__name__}: {exc}")
            continue
        job.work.event = result.event
        job.work.notes.extend(n for n in result.notes if n not in job.work.notes)
        broken = [r for r, v in job.found.items() if isinstance(v, SymbolicationError)]
        keys = _keys(job.event.release or "", [*result.missing, *broken])
        if keys:
            missing.append((job.work.row_id, keys))
    await artifacts_sql.set_missing(conn, missing)


def _keys(release: str, refs: Iterable[ArtifactRef]) -> list[str]:
    keys = [debug_id_key(r.debug_id) if r.debug_id else release_key(release) for r in refs if r.debug_id or release]
    return list(dict.fromkeys(keys))


def _lookups(n: int, scope: tuple[int, str, str], ref: ArtifactRef) -> list[artifacts_sql.Lookup]:
    project_id, release, dist = scope
    if ref.debug_id:
        return [artifacts_sql.Lookup(n, 0, project_id, release, dist, ref.kind, debug_id=ref.debug_id.lower())]
    names = ref.names or ((ref.url,) if ref.url else ())
    return [artifacts_sql.Lookup(n, i, project_id, release, dist, ref.kind, name=name) for i, name in enumerate(names)]


async def _fetch(conn: asyncpg.Connection, wanted: list[tuple[_Job, ArtifactRef]], cache: ArtifactCache) -> None:
    """Answer every (job, ref) of one round: one lookup query, one bytes query for LRU misses."""
    numbers: dict[tuple[tuple[int, str, str], ArtifactRef], int] = {}
    lookups: list[artifacts_sql.Lookup] = []
    for job, ref in wanted:
        key = (job.scope, ref)
        if key not in numbers:
            numbers[key] = len(numbers)
            lookups.extend(_lookups(numbers[key], job.scope, ref))
    best: dict[int, artifacts_sql.Found] = {}
    for found in await artifacts_sql.resolve(conn, lookups):
        if found.n not in best or found.prio < best[found.n].prio:
            best[found.n] = found
    values: dict[Key, ArtifactValue] = {}
    for found in best.values():
        hit = cache.get((found.source, found.row_id))
        if hit is not None:
            values[(found.source, found.row_id)] = hit
    cold = [f for f in best.values() if (f.source, f.row_id) not in values]
    if cold:
        data = await artifacts_sql.fetch_bytes(
            conn, [f.row_id for f in cold if f.source == "a"], [f.row_id for f in cold if f.source == "o"]
        )
        kinds = {n: ref.kind for (_, ref), n in numbers.items()}
        for f in cold:
            raw = data.get((f.source, f.row_id))
            if raw is None:
                continue  # deleted between the two queries: treated as missing
            loaded = await asyncio.to_thread(_load, kinds[f.n], raw, f.name)
            cache.put((f.source, f.row_id), loaded, len(raw))
            values[(f.source, f.row_id)] = loaded
    for job, ref in wanted:
        found = best.get(numbers[(job.scope, ref)])
        value = values.get((found.source, found.row_id)) if found else None
        if value is not None:
            job.found[ref] = value


def _load(kind: str, data: bytes, name: str) -> ArtifactValue:
    try:
        return load_artifact(kind, data, name)  # type: ignore[arg-type]
    except SymbolicationError as exc:
        return exc


async def expand_minidumps(conn: asyncpg.Connection, batch: list[Work], cache: ArtifactCache | None = None) -> None:
    """Events that came as minidumps get their crash, threads and modules from the dump."""
    wanted: list[tuple[int, str, str | None]] = []
    for work in batch:
        event = work.event
        if event is None:
            continue
        mark = event.contexts.get("minidump") or {}
        name = mark.get("attachment") if "crash_reason" not in mark else None
        if isinstance(name, str) or (event.platform == "native" and not event.exceptions and not event.threads):
            wanted.append((work.project_id, work.event_id, name if isinstance(name, str) else None))
    if not wanted:
        return
    dumps = await artifacts_sql.minidumps(conn, wanted)
    for work in batch:
        if work.event is None:
            continue
        data = dumps.get((work.project_id, work.event_id))
        mark = work.event.contexts.get("minidump") or {}
        if data is None:
            if isinstance(mark.get("attachment"), str) and "crash_reason" not in mark:
                work.notes.append(f"minidump attachment {mark['attachment']} not found; event kept without it")
            continue
        try:
            cfi = await _unwind_rules(conn, work.project_id, data, work.event_id, cache)
            work.event = await asyncio.to_thread(parse_minidump, data, event_id=work.event_id, base=work.event, cfi=cfi)
        except MinidumpError as exc:
            work.notes.append(f"minidump unreadable, event kept without it: {exc.reason}")



async def _unwind_rules(conn: asyncpg.Connection, project_id: int, dump: bytes, event_id: str,
                        cache: ArtifactCache | None) -> dict[str, CfiTable]:
    """STACK CFI of the dump's modules that uploaded debug files carry, indexed for the walk.

    A big module's CFI takes a second or more to index, so tables stay in the worker's
    artifact cache by object row (rows never change) and bytes are fetched only on a miss.
    """
    ids = await asyncio.to_thread(module_debug_ids, dump, event_id)
    found = await artifacts_sql.cfi_objects(conn, [(project_id, d) for d in dict.fromkeys(ids)])
    tables: dict[str, CfiTable] = {}
    missing: dict[int, tuple[str, int]] = {}
    for (_, debug_id), (object_id, size) in found.items():
        hit = cache.get(("c", object_id)) if cache is not None else None
        if isinstance(hit, CfiTable):
            tables[debug_id] = hit
        else:
            missing[object_id] = (debug_id, size)
    if missing:
        texts = await artifacts_sql.cfi_texts(conn, list(missing))
        parsed = await asyncio.to_thread(lambda: {i: parse_cfi(t.decode("utf-8", "replace")) for i, t in texts.items()})
        for object_id, table in parsed.items():
            debug_id, size = missing[object_id]
            tables[debug_id] = table
            if cache is not None:
                cache.put(("c", object_id), table, size)  # type: ignore[arg-type]  # a CfiTable beside parsed artifacts
    return tables
