"""Chinese ticket words glossed in English, so a Chinese ticket can find English crash text.

Pure: the caller passes the dictionary (``server.services.zh_gloss`` loads CC-CEDICT).
Each Chinese word of two or more characters (jieba segmentation, longest dictionary words
first) is replaced by the first English words of each of its senses; the result is added to the query.
Every sense, not the first few: a word's technical sense is often listed last (导出 "to derive; to
induce; to export (data)"), and words of the other senses that crash text lacks cost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec
import rjieba

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = re.compile(r"^(?:CL:|variant of|old variant|see |surname|abbr\.|used in|Japanese variant|also written|pr\.)", re.I)
WORDS_PER_SENSE = 3
"""Words kept of each sense. Dev tickets (bench/tickets_calibrate.py), every sense against the first two:
prose R@1 0.58 -> 0.67, R@5 0.88 -> 0.97; 3 to 6 words a sense scored the same, 2 one ticket less."""


class Gloss(msgspec.Struct, frozen=True):
    """English words for one dictionary headword."""

    words: tuple[str, ...]


def parse_cedict_line(line: str) -> tuple[str, tuple[str, ...]] | None:
    """``Trad Simp [pinyin] /sense/sense/`` -> (simplified, the first English words of each sense)."""
    if not line or line.startswith("#"):
        return None
    head, _, rest = line.partition(" [")
    parts = head.split(" ")
    if len(parts) != 2 or "/" not in rest:
        return None
    senses = [s for s in rest.split("/")[1:-1] if s and not _SKIP.match(s)]
    words: list[str] = []
    for sense in senses:
        clean = _PAREN.sub(" ", sense).replace("to ", " ", 1)
        words += [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", clean)][:WORDS_PER_SENSE]
    return (parts[1], tuple(dict.fromkeys(words))) if words else None


def gloss(text: str, dictionary: Mapping[str, tuple[str, ...]]) -> str:
    """English words for the Chinese words of ``text`` ('' when it has none or none are known)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        for word in rjieba.cut(run):
            if len(word) < 2:
                continue  # a lone character's senses are mostly noise ("上" -> on top upon)
            found = dictionary.get(word)
            if found is None and len(word) > 2:
                # an unknown compound: its known two-character parts
                found = tuple(w for i in range(0, len(word) - 1, 2) for w in dictionary.get(word[i : i + 2], ()))
            out.extend(found or ())
    return " ".join(out)
