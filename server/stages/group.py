"""Grouping stage: put each event of a batch in a cluster, and say why.

For each project in the batch: compute groupings (pure ``dedupe``), look all hashes up
in one query, lock the new ones so two workers cannot create twin clusters, then read in
one query each what deciding the new ones needs (candidates through the key index, which
old clusters a regrouped event may take back, ids for clusters it may create). Deciding
is then pure and in batch order; clusters, fingerprints, keys and counters are written
in a few batched statements. A batch costs the same round trips for 1 new bug or 50.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import msgspec

from dedupe import Candidate, Decision, Grouping, GroupingConfig, Signature, decide, group_event
from server.db import clusters as clusters_sql
from server.services import cluster_events
from server.stages.work import Work

log = logging.getLogger(__name__)
CANDIDATES_PER_KEY = 20
_encode_sig = msgspec.msgpack.Encoder()
_decode_sig = msgspec.msgpack.Decoder(Signature)


async def group_batch(conn: asyncpg.Connection, batch: list[Work]) -> None:
    configs = await _configs(conn, {w.project_id for w in batch})
    by_project: dict[int, list[tuple[Work, Grouping]]] = defaultdict(list)
    for work in batch:
        assert work.event is not None
        try:
            grouping = group_event(work.event, configs.get(work.project_id))
        except Exception as exc:  # noqa: BLE001 - a grouping bug must fail one event, not the batch
            log.exception("grouping failed for event %s", work.event_id)
            work.failure = f"grouping failed: {type(exc).__name__}: {exc}"
            continue
        by_project[work.project_id].append((work, grouping))
    counters: dict[int, clusters_sql.Counter] = defaultdict(clusters_sql.Counter)
    for project_id, items in sorted(by_project.items()):
        await _group_project(conn, project_id, items, counters)
    await clusters_sql.apply_counters(conn, counters)
    created = {w.cluster_id for w in batch if w.grouping and w.grouping["method"] == "new" and w.cluster_id is not None
               and w.cluster_id != w.previous_cluster_id}
    await cluster_events.clusters_created(conn, sorted(created), now=dt.datetime.now(dt.UTC))


async def _configs(conn: asyncpg.Connection, project_ids: set[int]) -> dict[int, GroupingConfig]:
    out = {}
    for project_id, raw in (await clusters_sql.grouping_configs(conn, sorted(project_ids))).items():
        try:
            out[project_id] = msgspec.convert(raw, GroupingConfig)
        except msgspec.ValidationError as exc:
            log.error("project %s has an unreadable grouping config (%s); using defaults", project_id, exc)
    return out


@dataclass
class _Store:
    """What deciding a project's new hashes needs from the database, read before the batch's
    loop in one query each, and what the loop adds for the statements after it."""

    known: dict[str, tuple[int, int]]  # hash -> (owning cluster, cluster after merges)
    by_key: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)  # newest first
    has_fingerprints: set[int] = field(default_factory=set)
    free_ids: list[int] = field(default_factory=list)
    local: dict[str, list[Candidate]] = field(default_factory=lambda: defaultdict(list))  # made or widened here
    adopted: set[int] = field(default_factory=set)
    new_clusters: list[tuple[Any, ...]] = field(default_factory=list)
    fingerprints: list[tuple[int, str, int, str, str, float | None]] = field(default_factory=list)
    keys: list[tuple[int, str, int]] = field(default_factory=list)
    signatures: dict[int, bytes] = field(default_factory=dict)
    decoded: dict[int, Signature] = field(default_factory=dict)


async def _read_store(conn: asyncpg.Connection, project_id: int, items: list[tuple[Work, Grouping]]) -> _Store:
    store = _Store(await clusters_sql.lookup_hashes(conn, project_id, sorted({h for _, g in items for h in g.hashes})))
    new = {g.hashes[0] for _, g in items if not any(h in store.known for h in g.hashes)}
    if not new:
        return store
    await clusters_sql.lock_hashes(conn, project_id, new)
    store.known.update(await clusters_sql.lookup_hashes(conn, project_id, sorted(new)))
    fresh = [(w, g) for w, g in items if not any(h in store.known for h in g.hashes)]
    if not fresh:
        return store
    keys = sorted({k for _, g in fresh if g.fuzzy for k in g.candidate_keys})
    if keys:
        store.by_key = await clusters_sql.candidates_by_key(conn, project_id, keys, CANDIDATES_PER_KEY)
    previous = sorted({w.previous_cluster_id for w, _ in fresh if w.previous_cluster_id})
    if previous:
        store.has_fingerprints = await clusters_sql.with_fingerprints(conn, previous)
    # At most one new cluster per distinct new hash; ids a fuzzy join leaves unused are gaps.
    store.free_ids = await clusters_sql.reserve_cluster_ids(conn, len({g.hashes[0] for _, g in fresh}))
    return store


async def _group_project(
    conn: asyncpg.Connection,
    project_id: int,
    items: list[tuple[Work, Grouping]],
    counters: dict[int, clusters_sql.Counter],
) -> None:
    store = await _read_store(conn, project_id, items)
    for work, grouping in items:
        _assign(project_id, work, grouping, store)
        event = work.event
        assert event is not None and work.cluster_id is not None
        if work.previous_cluster_id != work.cluster_id:
            counters[work.cluster_id].add(work.when, event.release, event.environment, work.user_key)
    await clusters_sql.insert_clusters(conn, store.new_clusters)
    await clusters_sql.add_fingerprints(conn, store.fingerprints)
    await clusters_sql.add_candidate_keys(conn, store.keys)
    await clusters_sql.set_signatures(conn, list(store.signatures.items()))


def _assign(project_id: int, work: Work, grouping: Grouping, store: _Store) -> None:
    """Exact hash, else a fuzzy candidate, else the old cluster (regroup), else a new one."""
    known = store.known
    matched = next((h for h in grouping.hashes if h in known), None)
    if matched is not None:
        owner, target = known[matched]
        explanation = _explain(grouping, "exact", f"hash {matched} is known", matched=matched)
        origin, score = "exact", None
    else:
        decision = decide(grouping, _candidates(grouping, store))
        origin, score = "new", None
        if decision.cluster_id is not None:
            owner = target = decision.cluster_id
            origin, score = "fuzzy", decision.score
            store.signatures[target] = _encode_sig.encode(grouping.signature)
        elif (
            work.previous_cluster_id
            and work.previous_cluster_id not in store.adopted
            and work.previous_cluster_id not in store.has_fingerprints
        ):
            owner = target = work.previous_cluster_id  # regrouping: keep the cluster's identity and status
            store.adopted.add(target)
        else:
            owner = target = store.free_ids.pop(0)
            store.new_clusters.append((
                target, project_id, grouping.title, grouping.culprit, grouping.level, grouping.platform, work.when,
                grouping.config_id, _encode_sig.encode(grouping.signature),
            ))
        explanation = _explain(grouping, origin, decision.reason, decision=decision)
        store.keys.extend((project_id, k, target) for k in grouping.candidate_keys)
        for k in grouping.candidate_keys:
            store.local[k].insert(0, Candidate(target, grouping.signature))
    for h in grouping.hashes:
        if h not in known:
            known[h] = (owner, target)
            store.fingerprints.append((project_id, h, owner, grouping.config_id, origin, score))
    work.cluster_id, work.grouping_cluster_id, work.grouping = target, owner, explanation
    work.title = grouping.title


def _candidates(grouping: Grouping, store: _Store) -> list[Candidate]:
    """Newest first: clusters touched in this batch, then those read through the key index."""
    if not grouping.fuzzy or not grouping.candidate_keys:
        return []
    seen: set[int] = set()
    out: list[Candidate] = []
    for key in grouping.candidate_keys:
        for cand in store.local.get(key, ()):
            if cand.cluster_id not in seen:
                seen.add(cand.cluster_id)
                out.append(cand)
    stored = {cid: blob for key in grouping.candidate_keys for cid, blob in store.by_key.get(key, ())}
    for cluster_id in sorted(stored, reverse=True):
        if cluster_id not in seen:
            seen.add(cluster_id)
            if cluster_id not in store.decoded:
                store.decoded[cluster_id] = _decode_sig.decode(stored[cluster_id])
            out.append(Candidate(cluster_id, store.decoded[cluster_id]))
    return out


def _explain(
    grouping: Grouping, method: str, reason: str, *, matched: str | None = None, decision: Decision | None = None
) -> dict[str, Any]:
    """What the event page shows under "why is this event in this cluster"."""
    out: dict[str, Any] = {
        "config_id": grouping.config_id,
        "method": method,
        "reason": reason,
        "hashes": list(grouping.hashes),
        "matched_hash": matched,
        "components": grouping.components,  # a Struct: the jsonb codec encodes it directly
        "notes": list(grouping.notes),
    }
    if decision is not None:
        out["score"] = decision.score
        out["candidates"] = [{"cluster_id": s.cluster_id, "score": s.score} for s in decision.scores]
    return out
