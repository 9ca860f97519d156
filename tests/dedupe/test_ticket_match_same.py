"""``bm25_text`` and ``combine`` take shorter ways (query terms counted alone; one piece of evidence weighed
at once): the same results, bit for bit, as the versions kept here as reference."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

import pytest

from dedupe import ticket_match as tm
from dedupe.ticket_match import Evidence, TextDoc, Why, bm25_text, idf, text_score


def _reference(query: Sequence[str], docs: Iterable[TextDoc], df: Mapping[str, int], n_docs: int, avg_len: float,
               subject: Collection[str] = ()) -> list[Evidence]:
    """``bm25_text`` as it was before it counted query terms alone (05917b3)."""
    q = list(dict.fromkeys(query))
    docs = list(docs)
    if not q or not docs:
        return []
    shaped = []
    held: Counter[str] = Counter()
    for d in docs:
        tf = Counter(d.body)
        for t in d.title:
            tf[t] += tm.TITLE_REPEAT
        hits = [t for t in q if t in tf]
        shaped.append((d, tf, len(d.body) + tm.TITLE_REPEAT * len(d.title), len(tf), hits))
        held.update(hits)
    counts = {t: max(df.get(t, 0), held[t]) for t in q}
    n = max(n_docs, len(docs), *counts.values(), 1)
    weights = {t: idf(counts[t], n) for t in q}
    stress = {t: tm.SUBJECT_REPEAT if t in subject else 1 for t in q}
    total_terms = sum(total for _, _, total, _, _ in shaped)
    spread = total_terms / max(sum(distinct for _, _, _, distinct, _ in shaped), 1)
    mean = avg_len * spread if avg_len > 0 else total_terms / len(shaped)
    rare = idf(1, n)
    whole = sum(weights.values()) * (tm.K1 + 1)
    out = []
    for d, tf, total, _, matched in shaped:
        if not matched:
            continue
        norm = tm.K1 * (1 - tm.B + tm.B * total / max(mean, 1.0))
        score, stressed = 0.0, 0.0
        for t in matched:
            f = tf[t]
            part = weights[t] * f * (tm.K1 + 1) / (f + norm)
            score += part
            stressed += part * stress[t]
        value = text_score(score, rare, score / whole)
        strength = stressed / rare * (tm.CONFIRMED_STRENGTH if d.confirmed else 1.0) * tm.recency(d.newer)
        top = sorted(matched, key=lambda t: -weights[t])[:6]
        if d.source == "ticket":
            why = [Why("confirmed" if d.confirmed else "ticket", d.label)] if d.label else []
            why += [Why("term", t) for t in top]
            value = min(1.0, value + (tm.CONFIRMED_BOOST if d.confirmed else 0.0))
        else:
            why = [Why("term", t) for t in top]
        out.append(Evidence(d.cluster_id, "text", round(value, 4), tuple(why), round(strength, 4)))
    return out


def _case(rnd: random.Random) -> tuple[list[str], list[TextDoc], dict[str, int], int, float, frozenset[str]]:
    vocab = [f"w{i}" for i in range(rnd.choice([5, 40, 400]))] + ["发票", "导出", "pdf"]
    pick = lambda k: [rnd.choice(vocab) for _ in range(k)]  # noqa: E731
    # long bodies too: they are counted whole (tm.WHOLE_COUNT), short ones by query term
    docs = [TextDoc(i, rnd.randint(1, 8), tuple(pick(rnd.randint(0, 8))), tuple(pick(rnd.choice([0, 3, 60, 3000]))),
                    source=rnd.choice(["cluster", "ticket"]), confirmed=rnd.random() < 0.2,
                    label=rnd.choice(["", f"ticket {i}"]), newer=rnd.choice([None, 0, 7, 299]))
            for i in range(rnd.randint(1, 40))]
    query = pick(rnd.randint(1, 60))
    # counts may be older than the documents (lower than what they hold), or say nothing of a term
    df = {t: rnd.randint(0, 50) for t in vocab if rnd.random() < 0.7}
    return query, docs, df, rnd.randint(0, 5000), rnd.choice([0.0, 3.5, 40.0, 900.0]), frozenset(pick(3))


@pytest.mark.parametrize("seed", range(300))
def test_bm25_is_the_same_as_counting_every_document_whole(seed: int) -> None:
    query, docs, df, n, avg, subject = _case(random.Random(seed))
    assert bm25_text(query, docs, df, n, avg, subject) == _reference(query, docs, df, n, avg, subject)


def test_both_ways_of_counting_are_taken() -> None:
    long = tuple(f"w{i % 50}" for i in range(tm.WHOLE_COUNT))
    docs = [TextDoc(1, 1, ("w1",), long), TextDoc(2, 2, ("w1", "w1"), ("w2", "w3", "w1"))]
    for query in (["w1", "w2"], ["w1", "w2", "w3", "nothing"]):
        got = bm25_text(query, docs, {"w1": 2}, 10, 20.0, {"w2"})
        assert got == _reference(query, docs, {"w1": 2}, 10, 20.0, {"w2"}) and len(got) == 2
    assert not math.isnan(got[0].score)


def _combine_reference(evidence: Iterable[Evidence]) -> list[tm.Ranked]:
    """``combine`` as it was before one piece of evidence took a shorter way (05917b3)."""
    by: dict[int, list[Evidence]] = {}
    for e in evidence:
        by.setdefault(e.cluster_id, []).append(e)
    out, keys = [], {}
    for cid, items in by.items():
        items.sort(key=lambda e: (-e.score, -e.strength))
        best = items[0]
        kinds = tuple(dict.fromkeys(e.kind for e in items))
        others = [e.score for e in items if e.kind != best.kind]
        score = min(1.0, best.score + (tm.AGREEMENT_BONUS * max(others) if others else 0.0))
        why: list[Why] = []
        for e in items:
            for w in e.why:
                if w not in why:
                    why.append(w)
        strength = max((e.strength for e in items if e.kind == "text"), default=0.0)
        named = max((e.score for e in items if e.kind == "trace" and e.score >= tm.KNOWN
                     or e.kind == "line" and e.score >= tm.JOIN_LINE), default=0.0)
        keys[cid] = (-named, -strength, -score, cid)
        trace = max((e.score for e in items if e.kind == "trace"), default=0.0)
        line = max((e.score for e in items if e.kind == "line"), default=0.0)
        out.append(tm.Ranked(cid, round(score, 4), tuple(why[:8]), kinds, strength, trace, line))
    out.sort(key=lambda r: keys[r.cluster_id])
    return out


@pytest.mark.parametrize("seed", range(200))
def test_combine_is_the_same_as_before(seed: int) -> None:
    rnd = random.Random(seed)
    whys = [Why(k, f"{k} {i}") for k in ("frame", "message", "term", "ticket") for i in range(4)]
    # scores and strengths from a small set: ties, saturated scores and repeated reasons are common
    evidence = [Evidence(rnd.randint(1, rnd.choice([3, 30, 300])), rnd.choice(["trace", "line", "text"]),
                         rnd.choice([0.0, 0.3, 0.5, 0.55, 0.7401, 0.85, 0.8501, 0.98, 1.0]),
                         tuple(rnd.choice(whys) for _ in range(rnd.randint(0, 10))), rnd.choice([0.0, 1.5, 7.9168]))
                for _ in range(rnd.randint(0, 400))]
    assert tm.combine(list(evidence)) == _combine_reference(list(evidence))
