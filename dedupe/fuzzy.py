"""Fuzzy matching: join an event whose exact hash is new to a cluster it clearly continues.

The exact hash changes when code changes: a function renamed, moved or split, a line
edited. ``decide`` accepts such an event into an existing cluster only when the root
exception type is the same, the crash sites are related (same function, the same caller,
or one was extracted from the other) and the crashing statement and message agree
enough. Cost is bounded: at most ``MAX_CANDIDATES`` signatures are scored per event.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from dedupe.model import Candidate, Decision, Grouping, Score, Signature

MAX_CANDIDATES = 50
THRESHOLD = 0.62
COMPARED_FRAMES = 4
# weights when both sides have a crashing source line, and when they do not
W_CONTEXT, W_MESSAGE, W_FRAMES = 0.5, 0.3, 0.2
W_MESSAGE_NO_CONTEXT, W_FRAMES_NO_CONTEXT = 0.4, 0.6


def _related(a: Signature, b: Signature, fa: Sequence[str], fb: Sequence[str]) -> str | None:
    """How two crash sites (function names, innermost first) are related, if at all."""
    if not fa or not fb:
        return None
    if a.context and a.context == b.context and a.modules[:1] == b.modules[:1]:
        return "same statement in the same module"
    if fa[0] == fb[0]:
        return "same crash function"
    if (len(fa) > 1 and fa[1] == fb[0]) or (len(fb) > 1 and fb[1] == fa[0]):
        return "helper extracted from the crash function"
    if len(fa) > 1 and len(fb) > 1 and fa[1] == fb[1]:
        return "same caller"
    return None


def similarity(a: Signature, b: Signature) -> tuple[float, str]:
    """Score in [0, 1] and the reason, comparing two signatures of the same platform."""
    if not a.types or not b.types or a.types[0] != b.types[0]:
        return 0.0, "root exception type differs"
    fa, fb = a.frames[:COMPARED_FRAMES], b.frames[:COMPARED_FRAMES]
    if not fa and not fb:
        msg = fuzz.ratio(a.message, b.message) / 100
        return msg, f"no frames; message similarity {msg:.2f}"
    relation = _related(a, b, fa, fb)
    if relation is None:
        return 0.0, "crash sites unrelated"
    frames = Levenshtein.normalized_similarity(list(fa), list(fb))
    msg = fuzz.ratio(a.message, b.message) / 100 if (a.message or b.message) else 1.0
    if a.context and b.context:
        ctx = fuzz.ratio(a.context, b.context) / 100
        score = W_CONTEXT * ctx + W_MESSAGE * msg + W_FRAMES * frames
        return score, f"{relation}; line {ctx:.2f}, message {msg:.2f}, frames {frames:.2f}"
    score = W_MESSAGE_NO_CONTEXT * msg + W_FRAMES_NO_CONTEXT * frames
    return score, f"{relation}; message {msg:.2f}, frames {frames:.2f}"


def decide(grouping: Grouping, candidates: Sequence[Candidate]) -> Decision:
    """Pick the best candidate cluster above ``THRESHOLD``, or ``None`` for a new cluster.

    Only the first ``MAX_CANDIDATES`` are scored; the caller should pass the most
    recently seen clusters first. Ties go to the lower (older) cluster id.
    """
    if not grouping.fuzzy:
        return Decision(None, None, "fingerprint forced by SDK or project rule; no fuzzy join")
    if not candidates:
        return Decision(None, None, "no candidate clusters share a key")
    scored: list[tuple[float, int, str]] = []
    for cand in candidates[:MAX_CANDIDATES]:
        value, why = similarity(grouping.signature, cand.signature)
        scored.append((round(value, 4), cand.cluster_id, why))
    scored.sort(key=lambda s: (-s[0], s[1]))
    scores = tuple(Score(cid, value) for value, cid, _ in scored)
    best, cid, why = scored[0]
    note = "" if len(candidates) <= MAX_CANDIDATES else f" (scored {MAX_CANDIDATES} of {len(candidates)})"
    if best >= THRESHOLD:
        return Decision(cid, best, f"joined: {why}{note}", scores)
    return Decision(None, best, f"best {best:.2f} below {THRESHOLD}: {why}{note}", scores)
