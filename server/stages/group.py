"""Grouping stage: put each event of a batch in a cluster, and say why.

For each project in the batch: compute groupings (pure ``dedupe``), look all hashes up
in one query, lock the new ones so two workers cannot create twin clusters, ask
``dedupe.decide`` about candidates read through the key index for events whose hash
is new, then write fingerprints, keys and counters in a few batched statements.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import asyncpg
import msgspec

from dedupe import Candidate, Decision, Grouping, GroupingConfig, Signature, decide, group_event
from server.db import clusters as clusters_sql
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


async def _configs(conn: asyncpg.Connection, project_ids: set[int]) -> dict[int, GroupingConfig]:
    out = {}
    for project_id, raw in (await clusters_sql.grouping_configs(conn, sorted(project_ids))).items():
        try:
            out[project_id] = msgspec.convert(raw, GroupingConfig)
        except msgspec.ValidationError as exc:
            log.error("project %s has an unreadable grouping config (%s); using defaults", project_id, exc)
    return out


async def _group_project(
    conn: asyncpg.Connection,
    project_id: int,
    items: list[tuple[Work, Grouping]],
    counters: dict[int, clusters_sql.Counter],
) -> None:
    known = await clusters_sql.lookup_hashes(conn, project_id, sorted({h for _, g in items for h in g.hashes}))
    new = {g.hashes[0] for _, g in items if not any(h in known for h in g.hashes)}
    if new:
        await clusters_sql.lock_hashes(conn, project_id, new)
        known.update(await clusters_sql.lookup_hashes(conn, project_id, sorted(new)))
    fingerprints: list[tuple[int, str, int, str, str, float | None]] = []
    keys: list[tuple[int, str, int]] = []
    signatures: dict[int, bytes] = {}
    local: dict[str, list[Candidate]] = defaultdict(list)  # clusters this batch made or widened, by key
    adopted: set[int] = set()
    for work, grouping in items:
        event = work.event
        assert event is not None
        matched = next((h for h in grouping.hashes if h in known), None)
        if matched is not None:
            owner, target = known[matched]
            explanation = _explain(grouping, "exact", f"hash {matched} is known", matched=matched)
            origin, score = "exact", None
        else:
            decision = decide(grouping, await _candidates(conn, project_id, grouping, local))
            if decision.cluster_id is not None:
                owner = target = decision.cluster_id
                origin, score = "fuzzy", decision.score
                signatures[target] = _encode_sig.encode(grouping.signature)
            elif work.previous_cluster_id and await _adoptable(conn, work.previous_cluster_id, adopted):
                owner = target = work.previous_cluster_id  # regrouping: keep the cluster's identity and status
                origin, score = "new", None
                adopted.add(target)
            else:
                owner = target = await clusters_sql.create_cluster(
                    conn,
                    project_id,
                    title=grouping.title,
                    culprit=grouping.culprit,
                    level=grouping.level,
                    platform=grouping.platform,
                    seen=work.when,
                    config_id=grouping.config_id,
                    signature=_encode_sig.encode(grouping.signature),
                )
                origin, score = "new", None
            explanation = _explain(grouping, origin, decision.reason, decision=decision)
            keys.extend((project_id, k, target) for k in grouping.candidate_keys)
            for k in grouping.candidate_keys:
                local[k].insert(0, Candidate(target, grouping.signature))
        for h in grouping.hashes:
            if h not in known:
                known[h] = (owner, target)
                fingerprints.append((project_id, h, owner, grouping.config_id, origin, score))
        work.cluster_id, work.grouping_cluster_id, work.grouping = target, owner, explanation
        work.title = grouping.title
        if work.previous_cluster_id != target:
            counters[target].add(work.when, event.release, event.environment, work.user_key)
    await clusters_sql.add_fingerprints(conn, fingerprints)
    await clusters_sql.add_candidate_keys(conn, keys)
    await clusters_sql.set_signatures(conn, list(signatures.items()))


async def _adoptable(conn: asyncpg.Connection, cluster_id: int, adopted: set[int]) -> bool:
    """A regrouped event may take back its old cluster once its hashes were cleared, once only."""
    return cluster_id not in adopted and not await clusters_sql.has_fingerprints(conn, cluster_id)


async def _candidates(
    conn: asyncpg.Connection, project_id: int, grouping: Grouping, local: dict[str, list[Candidate]]
) -> list[Candidate]:
    """Newest first: clusters touched in this batch, then those read through the key index."""
    if not grouping.fuzzy or not grouping.candidate_keys:
        return []
    seen: set[int] = set()
    out: list[Candidate] = []
    for key in grouping.candidate_keys:
        for cand in local.get(key, ()):
            if cand.cluster_id not in seen:
                seen.add(cand.cluster_id)
                out.append(cand)
    for cluster_id, blob in await clusters_sql.candidates(conn, project_id, grouping.candidate_keys, CANDIDATES_PER_KEY):
        if cluster_id not in seen:
            seen.add(cluster_id)
            out.append(Candidate(cluster_id, _decode_sig.decode(blob)))
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
