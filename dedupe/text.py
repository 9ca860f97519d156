"""Text to search terms, for English, Chinese and the code names that appear in both.

One tokenizer for every searchable thing (articles, clusters, tickets), run in Python
before text reaches PostgreSQL, so the index never depends on the database's locale or
parser (``pg_trgm`` makes no trigrams of CJK text under the C locale):

- text is NFKC-folded (full-width letters become ASCII) and stripped of accents;
- a run of Chinese characters is segmented into words by jieba (``rjieba``, the
  maintained Rust port with the same dictionary); ``segment="bigram"`` gives overlapping
  character bigrams instead and ``"both"`` indexes both, kept for comparison
  (``bench/search_quality.py``);
- an English word is lowercased and Snowball-stemmed (``crashes`` -> ``crash``);
- a code name (``NullPointerException``, ``requests.ConnectionError``, ``on_create``,
  ``MainActivity.onCreate``) is kept whole, lowercased, and also split into its parts so
  "connection error" finds ``ConnectionError``.

Each term is a plain string of letters, digits, ``_``, ``.``, ``:`` and ``$`` never appears
in one, so callers can add their own ``$``-prefixed filter terms without clashes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Literal

import msgspec
import rjieba
import Stemmer

Segment = Literal["jieba", "bigram", "both"]
Mode = Literal["index", "query"]

MAX_TERM = 60
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_W = rf"[^\W{_CJK}]"  # a word character that is not Chinese: a code name ends where Chinese text starts
_W0 = rf"[^\W\d{_CJK}]"
_SCAN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:{_W0}|\$)(?:{_W}|\$)*(?:[.:]{{1,2}}(?:{_W0}|\$)(?:{_W}|\$)*)*)|(?P<num>\d+(?:\.\d+)*)")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Words too common to tell articles apart; Chinese single characters are dropped from
# queries by the same rule unless nothing else is left.
_EN_STOP = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its"
    " me my no not of on or our so that the their them then there these they this to was we were what when"
    " where which who why will with you your".split()
)
_ZH_STOP = frozenset("的 了 在 是 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 这个 那个 时 后 吗 呢 吧 啊 把 被 让 给 从 对 也 很 还 又 请 怎么 为什么 什么 如何".split())
_STEMMER = Stemmer.Stemmer("english")


class Terms(msgspec.Struct, frozen=True):
    """The terms of one text, in order (repeats kept, for term frequency), its code names, and the
    terms that only come from splitting a code name (``connect`` of ``ConnectionError``)."""

    terms: tuple[str, ...]
    code: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()


def fold(text: str) -> str:
    """NFKC, then accents removed: ``Ｃａｆé`` -> ``Cafe``."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def _is_code(word: str) -> bool:
    """A name from code: dotted, snake_case, camelCase or an ``...Error``/``...Exception`` type."""
    if "." in word or ":" in word or "_" in word.strip("_") or "$" in word:
        return True
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


@lru_cache(maxsize=262144)
def _word(word: str, mode: Mode) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(terms, code names, split parts) of one word; cached, as words repeat (Zipf) and a bulk
    import tokenises millions of them."""
    if _is_code(word):
        whole = word.lower()[:MAX_TERM].replace("$", "")
        out = [whole]
        parts: list[str] = []
        for segment in re.split(r"[.:]+", word):
            pieces = [p.lower() for p in _CAMEL.findall(segment)]
            split: list[str] = []
            if len(pieces) > 1 or "_" in segment:
                seg = segment.lower().replace("$", "")
                if seg and seg != whole:
                    split.append(seg)
            split.extend(_stem(p) for p in pieces if p not in _EN_STOP and len(p) > 1)
            out.extend(split)
            parts.extend(split)
        return tuple(out), (whole,), tuple(parts)
    low = word.lower()
    if low in _EN_STOP or len(low) < 2 and mode == "query":
        return (), (), ()
    return (_stem(low)[:MAX_TERM],), (), ()


def _cjk_terms(run: str, mode: Mode, segment: Segment, out: list[str]) -> None:
    if segment == "bigram" or (segment == "both" and mode == "index"):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        if segment == "bigram":
            return
    words = rjieba.cut_for_search(run) if mode == "index" else rjieba.cut(run)
    out.extend(w for w in words if w.strip() and w not in _ZH_STOP)


def terms(text: str, *, mode: Mode = "index", segment: Segment = "jieba") -> Terms:
    """The search terms of ``text``; ``mode="index"`` adds finer Chinese sub-words for recall."""
    out: list[str] = []
    code: list[str] = []
    parts: list[str] = []
    for m in _SCAN.finditer(fold(text)):
        kind = m.lastgroup
        if kind == "word":  # the common case, inline: a call less per word (bulk imports tokenise millions)
            t, c, p = _word(m.group(), mode)
            out += t
            if c:
                code += c
                parts += p
        elif kind == "cjk":
            _cjk_terms(m.group(), mode, segment, out)
        elif mode == "index" or len(m.group()) > 1:
            out.append(m.group()[:MAX_TERM])
    if mode == "query":
        singles = [t for t in out if len(t) == 1 and not t.isascii()]
        kept = [t for t in out if t not in singles]
        out = kept or out
    # a lone "$" is a code-looking word with no letters: it must not become an empty term
    out = [t for t in out if t]
    only_parts: tuple[str, ...] = ()
    if parts:
        seen, split = Counter(out), Counter(parts)
        only_parts = tuple(dict.fromkeys(p for p in parts if p and seen[p] == split[p]))
    return Terms(tuple(out), tuple(dict.fromkeys(c for c in code if c)), only_parts)


def query_terms(text: str, *, segment: Segment = "jieba") -> tuple[str, ...]:
    """Distinct query terms in order of appearance."""
    return tuple(dict.fromkeys(terms(text, mode="query", segment=segment).terms))
