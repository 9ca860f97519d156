"""Ticket <-> cluster decision: rank clusters for a ticket's text and trace, and say why.

Three kinds of evidence, each scored in [0, 1] by a pure function here:
- a pasted trace: its exact hash names a cluster (1.0), or ``dedupe.similarity`` finds
  one it continues (the same fuzzy rule events follow);
- a lone error line: the same exception type, and how close the message is;
- words: BM25 of the ticket against cluster documents and earlier tickets, in units of
  the collection's rarest-term weight (``text_score``), so one threshold means the same
  for short and long tickets and small and large projects. Earlier tickets an agent
  confirmed count more.
A cluster's score is its best evidence, raised a little when independent kinds agree.
Listing a cluster needs ``known_threshold`` of the text (less for a ticket that reports a
failure, more for a question: ``dedupe.failure_cues``); joining a ticket to it on POST needs
``JOIN`` and a trace or error line (a wrong merge costs more than a missed one).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

import msgspec
from rapidfuzz import fuzz

from dedupe.failure_cues import reports_failure
from dedupe.model import Signature

KNOWN = 0.5
"""Best score from which the lookup answers ``known`` for a crash id alone, and from which a trace names
a cluster (tuned on the dev corpus; see bench/)."""
KNOWN_FAILURE = 0.33
"""... for a text that reports a failure: about 1.8 rarest-term weights of agreement list the crash. On the
dev tickets prose R@1 0.42 -> 0.58 and R@5 0.48 -> 0.88, no unrelated ticket called known (none reports a
failure); the lowest right first candidate scored 0.34."""
KNOWN_OTHER = 0.6
"""... for a text that reports none (a question, a request): the highest unrelated dev ticket scored 0.49,
so a margin above the old single threshold (0.5) costs nothing there and guards unseen questions."""
X_SCALE = 4.6
"""Words: ``text_score`` reaches ``KNOWN`` at about 3.2 rarest-term weights of agreement. Tuned with
``bench/tickets_calibrate.py`` on the dev tickets (no no-bug ticket above it) and SeaMonkey."""
TEXT_MAX = 0.98
"""Words alone are never as sure as the same crash (1.0); ties at the cap are ordered by strength."""
COVERAGE_X = 8.0
"""A text holding 40% of the query's own BM25 score is as sure as 3.2 rarest-term weights (``text_score``)."""
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
CONFIRMED_STRENGTH = 1.5
AGREEMENT_BONUS = 0.1
TITLE_REPEAT = 3  # subject / title terms count this many times (BM25F-style field weight)
SUBJECT_REPEAT = 3  # the query's own subject terms, likewise (SeaMonkey R@1 0.70 -> 0.74 offline, dev prose unchanged)
RECENT_BOOST = 0.5
"""An earlier ticket's word evidence is ordered up to this much stronger the more recently it was filed:
duplicates of a problem arrive while it is live. Orders candidates only, never makes one surer."""
RECENT_TICKETS = 50.0
"""The boost falls by ``e`` for each this many tickets filed in the project since (counted, not timed:
a busy project's week is a quiet one's quarter). Tuned on SeaMonkey offline (bench/tickets_calibrate.py):
boost 0.5-0.75 over 30-50 tickets all gave R@1 0.78-0.80 against 0.74 without."""
RECENT_WINDOW = 300  # tickets further back than this get no boost (e^-6 of it)
WHOLE_COUNT = 4096  # above this many (query hits x body terms) a document is counted whole (the same counts)
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
    strength: float = 0.0  # orders evidence whose ``score`` saturated (text: agreeing rarest-term weights)


class Ranked(msgspec.Struct, frozen=True):
    cluster_id: int
    score: float
    why: tuple[Why, ...]
    kinds: tuple[str, ...]
    strength: float = 0.0
    trace: float = 0.0  # best trace evidence alone: joining on POST looks at it, never at words
    line: float = 0.0  # best error-line evidence alone


class TextDoc(msgspec.Struct, frozen=True):
    """A searchable document already tokenised: title terms weigh more than body terms."""

    ref_id: int
    cluster_id: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    source: str = "cluster"  # cluster | ticket
    confirmed: bool = False
    label: str = ""
    newer: int | None = None  # tickets filed in the project since this one (None: ``RECENT_WINDOW`` or more, or not a ticket)


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
    query: Sequence[str], docs: Iterable[TextDoc], df: Mapping[str, int], n_docs: int, avg_len: float,
    subject: Collection[str] = (),
) -> list[Evidence]:
    """BM25 of ``query`` (distinct terms) against each doc, as a confidence in [0, 1] (``text_score``).

    ``avg_len`` is the mean number of distinct terms of the kind's documents (what the index
    counts); a document's length is its number of terms, title terms counted ``TITLE_REPEAT``
    times, so the mean is scaled by the docs' own ratio of terms to distinct terms. In the
    evidence's ``strength`` (how candidates are ordered, not how sure one is) query terms also
    in ``subject`` (the ticket's first line, its own summary) count ``SUBJECT_REPEAT`` times.
    """
    q = list(dict.fromkeys(query))
    docs = list(docs)
    if not q or not docs:
        return []
    shaped = []
    held: dict[str, int] = {}  # counts may be older than the documents: they hold at least these
    for d in docs:
        body, title = d.body, d.title
        present = set(body)
        present.update(title)
        hits = [t for t in q if t in present]  # in query order: the sums below add in the same order as ever
        # a term's frequency: its body count plus TITLE_REPEAT per title occurrence, counted for the
        # query terms alone unless that costs more than counting the whole document once
        tf: dict[str, int]
        if len(hits) * len(body) > WHOLE_COUNT:
            tf = Counter(body)
            for t in title:
                tf[t] += TITLE_REPEAT
        else:
            tf = {t: body.count(t) + TITLE_REPEAT * title.count(t) for t in hits}
        shaped.append((d, tf, len(body) + TITLE_REPEAT * len(title), len(present), hits))
        for t in hits:
            held[t] = held.get(t, 0) + 1
    counts = {t: max(df.get(t, 0), held.get(t, 0)) for t in q}
    n = max(n_docs, len(docs), *counts.values(), 1)
    weights = {t: idf(counts[t], n) for t in q}
    stress = {t: SUBJECT_REPEAT if t in subject else 1 for t in q}
    total_terms = sum(total for _, _, total, _, _ in shaped)
    spread = total_terms / max(sum(distinct for _, _, _, distinct, _ in shaped), 1)
    mean = avg_len * spread if avg_len > 0 else total_terms / len(shaped)
    rare = idf(1, n)
    whole = sum(weights.values()) * (K1 + 1)  # the query's score against itself, nearly
    floor = max(mean, 1.0)
    out = []
    for d, tf, total, _, matched in shaped:
        if not matched:
            continue
        norm = K1 * (1 - B + B * total / floor)
        score, stressed = 0.0, 0.0
        for t in matched:
            f = tf[t]
            part = weights[t] * f * (K1 + 1) / (f + norm)
            score += part
            stressed += part * stress[t]
        # the subject orders the candidates, it does not make one surer: on the dev tickets it lifted
        # the unrelated questions (a subject names its topic) more than the right matches
        value = text_score(score, rare, score / whole)
        strength = stressed / rare * (CONFIRMED_STRENGTH if d.confirmed else 1.0) * recency(d.newer)
        top = sorted(matched, key=weights.__getitem__, reverse=True)[:6]  # stable: ties keep query order
        if d.source == "ticket":
            why = [Why("confirmed" if d.confirmed else "ticket", d.label)] if d.label else []
            why += [Why("term", t) for t in top]
            value = min(1.0, value + (CONFIRMED_BOOST if d.confirmed else 0.0))
        else:
            why = [Why("term", t) for t in top]
        out.append(Evidence(d.cluster_id, "text", round(value, 4), tuple(why), round(strength, 4)))
    return out


def recency(newer: int | None) -> float:
    """How much stronger a ticket's evidence is ordered for having been filed ``newer`` tickets ago."""
    return 1.0 if newer is None else 1.0 + RECENT_BOOST * math.exp(-newer / RECENT_TICKETS)


def text_score(bm25: float, rare_idf: float, coverage: float = 0.0) -> float:
    """A BM25 sum as a confidence in [0, 1]: ``1 - exp(-x / X_SCALE)``.

    ``x`` is the sum in units of the rarest term's weight (about how many telling words agree,
    whatever the collection's size), not divided by the query's own score: a long, chatty
    ticket says as much about its problem as a short one. A short ticket cannot add up much,
    so the share of its own score a document holds (``coverage``) counts too, ``COVERAGE_X``
    rarest-term weights for all of it.
    """
    x = max(bm25 / max(rare_idf, 1e-9), COVERAGE_X * coverage)
    return min(TEXT_MAX, 1.0 - math.exp(-x / X_SCALE))


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
    """One entry per cluster: the best evidence, plus a bonus when another kind agrees.

    Order: clusters a trace names (at ``KNOWN`` or above) or an error line names (its message nearly
    the cluster's, ``JOIN_LINE``) first, by that score; then by the strength of their word evidence
    (which weighs the subject and how recently a ticket was filed), then by score. A line of the
    same type with another message ("x is not defined" for "y is not defined") is no name: on
    SeaMonkey it put two unrelated reports above the duplicate the words found.
    """
    by: dict[int, list[Evidence]] = {}
    for e in evidence:
        by.setdefault(e.cluster_id, []).append(e)
    out, keys = [], {}
    for cid, items in by.items():
        if len(items) == 1:  # most clusters: what the lines below make of one piece of evidence, sooner
            e = items[0]
            score = min(1.0, e.score + 0.0)
            strength = e.strength if e.kind == "text" else 0.0
            named = e.score if e.kind == "trace" and e.score >= KNOWN or e.kind == "line" and e.score >= JOIN_LINE else 0.0
            keys[cid] = (-named, -strength, -score, cid)
            out.append(Ranked(cid, round(score, 4), tuple(dict.fromkeys(e.why))[:8], (e.kind,), strength,
                              e.score if e.kind == "trace" else 0.0, e.score if e.kind == "line" else 0.0))
            continue
        items.sort(key=lambda e: (-e.score, -e.strength))
        best = items[0]
        kinds = tuple(dict.fromkeys(e.kind for e in items))
        others = [e.score for e in items if e.kind != best.kind]
        score = min(1.0, best.score + (AGREEMENT_BONUS * max(others) if others else 0.0))
        why = list(dict.fromkeys(w for e in items for w in e.why))  # each reason once, first seen first
        strength = max((e.strength for e in items if e.kind == "text"), default=0.0)
        named = max((e.score for e in items if e.kind == "trace" and e.score >= KNOWN
                     or e.kind == "line" and e.score >= JOIN_LINE), default=0.0)
        keys[cid] = (-named, -strength, -score, cid)
        trace = max((e.score for e in items if e.kind == "trace"), default=0.0)
        line = max((e.score for e in items if e.kind == "line"), default=0.0)
        out.append(Ranked(cid, round(score, 4), tuple(why[:8]), kinds, strength, trace, line))
    out.sort(key=lambda r: keys[r.cluster_id])
    return out


def known(ranked: Sequence[Ranked], threshold: float = KNOWN) -> bool:
    """Whether the best match is one the service stands behind (every kind on one scale)."""
    return bool(ranked) and ranked[0].score >= threshold


def known_threshold(text: str) -> float:
    """The score a lookup of ``text`` needs to answer ``known``: less when it reports a failure."""
    if not text.strip():
        return KNOWN
    return KNOWN_FAILURE if reports_failure(text) else KNOWN_OTHER


def join_target(ranked: Sequence[Ranked]) -> Ranked | None:
    """The cluster a posted ticket joins, or None to start its own (stricter than listing).

    Only the trace or error-line evidence counts: words raise how sure a listing is, but a
    weak trace plus many shared words must not merge a ticket into a crash it is not.
    """
    if not ranked:
        return None
    top = ranked[0]
    if "trace" in top.kinds:
        return top if top.trace >= JOIN else None
    return top if top.line >= JOIN_LINE else None
