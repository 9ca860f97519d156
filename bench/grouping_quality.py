"""Grouping quality on the labelled corpus, through an in-memory copy of the server's store.

    .venv/bin/python bench/grouping_quality.py [--truth /work/shared/corpus/dev] [--out DIR]

Events are replayed in timestamp order. For each: ``group_event``; if any hash is known
the event joins that cluster; otherwise the clusters sharing a candidate key are passed
to ``decide`` (most recently touched first), and a join adds the event's hashes and keys
to the cluster. On a fuzzy join the cluster's signature is replaced by the newest one,
because a fuzzy join means the code moved and later events look like the new code.
Only event payloads are read; labels are left to the scorer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dedupe import Candidate, GroupingConfig, decide, group_event  # noqa: E402
from protocol import parse_event  # noqa: E402


class MemoryStore:
    """What the server keeps: hash -> cluster, key -> clusters, cluster -> signature."""

    def __init__(self) -> None:
        self.by_hash: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.signature: dict[int, object] = {}
        self.touched: dict[int, int] = {}
        self.next_id = 1
        self.stats: Counter[str] = Counter()

    def assign(self, grouping, tick: int) -> int:  # type: ignore[no-untyped-def]
        cluster = next((self.by_hash[h] for h in grouping.hashes if h in self.by_hash), None)
        if cluster is not None:
            self.stats["exact"] += 1
        else:
            ids = dict.fromkeys(c for k in grouping.candidate_keys for c in self.by_key.get(k, ()))
            ordered = sorted(ids, key=lambda c: -self.touched[c])
            self.stats["max_candidates"] = max(self.stats["max_candidates"], len(ordered))
            decision = decide(grouping, [Candidate(c, self.signature[c]) for c in ordered])  # type: ignore[arg-type]
            cluster = decision.cluster_id
            if cluster is None:
                cluster = self.next_id
                self.next_id += 1
                self.stats["new"] += 1
            else:
                self.stats["fuzzy"] += 1
            self.signature[cluster] = grouping.signature
        for h in grouping.hashes:
            self.by_hash.setdefault(h, cluster)
        for k in grouping.candidate_keys:
            if cluster not in self.by_key[k]:
                self.by_key[k].append(cluster)
        self.touched[cluster] = tick
        return cluster


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", default="/work/shared/corpus/dev")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--no-baselines", action="store_true")
    args = ap.parse_args(argv)
    events = []
    with open(os.path.join(args.truth, "events.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            payload = json.loads(line)["event"]
            events.append(parse_event(payload, event_id=payload["event_id"]))
    events.sort(key=lambda e: (e.timestamp or 0.0, e.event_id))
    store, config = MemoryStore(), GroupingConfig()
    started = time.perf_counter()
    assignments = [(e.event_id, store.assign(group_event(e, config), i)) for i, e in enumerate(events)]
    elapsed = time.perf_counter() - started
    os.makedirs(args.out, exist_ok=True)
    pred = os.path.join(args.out, "assignments.jsonl")
    with open(pred, "w", encoding="utf-8") as fh:
        for eid, cluster in assignments:
            fh.write(json.dumps({"id": eid, "cluster": f"c{cluster}"}) + "\n")
    print(f"{len(events)} events in {elapsed:.2f}s ({1000 * elapsed / max(len(events), 1):.2f} ms/event); "
          f"exact {store.stats['exact']}, fuzzy joins {store.stats['fuzzy']}, new clusters {store.stats['new']}, "
          f"most candidates for one event {store.stats['max_candidates']}")
    corpus = os.path.dirname(os.path.normpath(args.truth))
    subprocess.run([sys.executable, os.path.join(corpus, "score.py"), "--truth", args.truth, "--pred", pred,
                    "--breakdown"], check=True)
    if not args.no_baselines:
        print("\n--- baselines ---")
        subprocess.run([sys.executable, os.path.join(corpus, "baselines.py"), "--truth", args.truth,
                        "--out", os.path.join(args.out, "baselines")], check=True)


if __name__ == "__main__":
    main()
