"""Ticket <-> cluster decision: rank clusters for a ticket's text and trace, and say why.

Three kinds of evidence, each scored in [0, 1] by a pure function here:
- a pasted trace: its exact hash names a cluster (1.0), or ``dedupe.similarity`` finds
  one it continues (the same fuzzy rule events follow);
- a lone error line: the same exception type, and how close the message is;
- words: BM25 of the ticket against cluster documents and earlier tickets, normalised
  by the query's own best score, so one threshold means the same for short and long
  tickets. Earlier tickets an agent confirmed count more.
A cluster's score is its best evidence, raised a little when independent kinds agree.
Listing a cluster needs ``KNOWN``; joining a ticket to it on POST needs ``JOIN`` and a
trace or error line (a wrong merge costs more than a missed one).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import msgspec
from rapidfuzz import fuzz

from dedupe.model import Signature

KNOWN = 0.5
"""Best score from which the lookup answers ``known`` (tuned on the dev corpus; see bench/)."""
PEAK_MIN, PEAK_RATIO = 0.1, 2.0
"""A text-only best match this far above the runner-up is also ``known`` (see ``known``)."""
JOIN = 0.75
"""Score a ticket with a pasted trace needs to join an existing cluster when posted."""
JOIN_LINE = 0.85
"""An error line alone joins only when its message is nearly the cluster's (ratio >= 0.875)."""
# Words alone never join a posted ticket to a cluster: on real bug reports near-identical
# texts (templates, "port bug N") are often different problems, and a wrong merge costs
# more than a missed one. They list the cluster (lookup, ``match`` stays null) and an
# agent's confirmation joins it.
K1, B = 1.2, 0.75
CONFIRMED_BOOST = 0.15
AGREEMENT_BONUS = 0.1
TITLE_REPEAT = 3  # subject / title terms count this many times (BM25F-style field weight)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Why(msgspec.Struct, frozen=True):
    kind: str  # frame | message | term | ticket | confirmed
    text: str


class Evidence(msgspec.Struct, frozen=True):
    """One reason to think ``cluster_id`` is the ticket's problem."""

    cluster_id: int
    kind: str  # trace | line | text
    score: float
    why: tuple[Why, ...] = ()


class Ranked(msgspec.Struct, frozen=True):
    cluster_id: int
    score: float
    why: tuple[Why, ...]
    kinds: tuple[str, ...]


class TextDoc(msgspec.Struct, frozen=True):
    """A searchable document already tokenised: title terms weigh more than body terms."""

    ref_id: int
    cluster_id: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    source: str = "cluster"  # cluster | ticket
    confirmed: bool = False
    label: str = ""


def detect_language(text: str) -> str:
    """``zh`` when Chinese characters make up a real part of the letters, else ``en``."""
    letters = sum(1 for c in text if c.isalpha())
    cjk = len(_CJK.findall(text))
    return "zh" if letters and cjk / letters >= 0.2 else "en"


def idf(df: int, n: int) -> float:
    """BM25's idf; a term no document has counts as seen once (a typo or new word is not the most telling)."""
    df = max(df, 1)
    return math.log(1 + (max(n, df) - df + 0.5) / (df + 0.5))


def bm25_text(
    query: Sequence[str], docs: Iterable[TextDoc], df: Mapping[str, int], n_docs: int, avg_len: float
) -> list[Evidence]:
    """BM25 of ``query`` (distinct terms) against each doc, divided by the query's self-score.

    ``avg_len`` is the mean number of distinct terms of the kind's documents.
    """
    q = list(dict.fromkeys(query))
    if not q:
        return []
    n = max(n_docs, 1)
    weights = {t: idf(df.get(t, 0), n) for t in q}
    best = sum(w * (K1 + 1) for w in weights.values()) or 1.0  # every term matched, tf -> inf: never reached, so no ties at 1
    out = []
    for d in docs:
        tf = Counter(d.body)
        for t in d.title:
            tf[t] += TITLE_REPEAT
        length = len(set(d.body) | set(d.title))  # distinct terms, as the index counts them
        norm = K1 * (1 - B + B * length / (avg_len or 1.0))
        score, matched = 0.0, []
        for t in q:
            f = tf.get(t)
            if f:
                score += weights[t] * f * (K1 + 1) / (f + norm)
                matched.append(t)
        if not matched:
            continue
        value = min(1.0, score / best)
        top = sorted(matched, key=lambda t: -weights[t])[:6]
        if d.source == "ticket":
            why = [Why("confirmed" if d.confirmed else "ticket", d.label)] if d.label else []
            why += [Why("term", t) for t in top]
            value = min(1.0, value + (CONFIRMED_BOOST if d.confirmed else 0.0))
        else:
            why = [Why("term", t) for t in top]
        out.append(Evidence(d.cluster_id, "text", round(value, 4), tuple(why)))
    return out


def _short_type(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1].lower()


def line_score(exc_type: str | None, message: str | None, sig: Signature) -> float:
    """An error line against a cluster's signature: same type, then how alike the messages are."""
    if not sig.types or _short_type(exc_type) != _short_type(sig.types[0]):
        return 0.0
    if not message or not sig.message:
        return 0.55
    from dedupe.params import parameterize

    # plain ratio: a short message must not match a long one just by being a subset of its words
    ratio = fuzz.ratio(parameterize(message), sig.message) / 100
    return round(0.5 + 0.4 * ratio, 4)  # at most 0.9: a line is less than a trace


def combine(evidence: Iterable[Evidence]) -> list[Ranked]:
    """One entry per cluster: the best evidence, plus a bonus when another kind agrees."""
    by: dict[int, list[Evidence]] = {}
    for e in evidence:
        by.setdefault(e.cluster_id, []).append(e)
    out = []
    for cid, items in by.items():
        items.sort(key=lambda e: -e.score)
        best = items[0]
        kinds = tuple(dict.fromkeys(e.kind for e in items))
        others = [e.score for e in items if e.kind != best.kind]
        score = min(1.0, best.score + (AGREEMENT_BONUS * max(others) if others else 0.0))
        why: list[Why] = []
        for e in items:
            for w in e.why:
                if w not in why:
                    why.append(w)
        out.append(Ranked(cid, round(score, 4), tuple(why[:8]), kinds))
    out.sort(key=lambda r: (-r.score, r.cluster_id))
    return out


def known(ranked: Sequence[Ranked]) -> bool:
    """Whether the best match is one the service stands behind.

    Words alone score low on long, chatty tickets, so a clear peak also counts: the best
    text match at least ``PEAK_RATIO`` times the runner-up (unrelated questions match
    many clusters a little, none clearly).
    """
    if not ranked:
        return False
    top = ranked[0]
    if top.score >= KNOWN:
        return True
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return top.kinds == ("text",) and top.score >= PEAK_MIN and top.score >= PEAK_RATIO * second


def join_target(ranked: Sequence[Ranked]) -> Ranked | None:
    """The cluster a posted ticket joins, or None to start its own (stricter than listing)."""
    if not ranked:
        return None
    top = ranked[0]
    if "trace" in top.kinds:
        return top if top.score >= JOIN else None
    return top if "line" in top.kinds and top.score >= JOIN_LINE else None
