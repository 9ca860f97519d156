"""Message parameterisation: volatile data in messages replaced by named placeholders.

Two strengths, because a message carries two kinds of variation. ``parameterize``
replaces data that is never the bug (ids, addresses, numbers, e-mails, paths, dates).
``parameterize_all`` also replaces quoted values, which are sometimes the data
(``KeyError('LOYAL2025')``) and sometimes the defect (``KeyError('vat_id')``); it is
used only for blocking keys and titles, never to tell two crash sites apart.
Order matters: the most specific patterns run first so a uuid is not eaten as hex.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dedupe.normalize import CACHED

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("url", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.I)),
    ("uuid", re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)),
    ("ip", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")),
    ("date", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")),
    ("date", re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")),
    ("time", re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b")),
    ("ip", re.compile(r"\b(?:[0-9a-f]{1,4}:){4,7}[0-9a-f]{1,4}\b", re.I)),
    ("sha", re.compile(r"\b[0-9a-f]{32,64}\b", re.I)),
    ("hex", re.compile(r"\b0x[0-9a-f]+\b", re.I)),
    ("path", re.compile(r"(?<![\w<])(?:[a-z]:)?(?:[\\/][\w.@~+-]+){2,}[\\/]?", re.I)),
    ("float", re.compile(r"(?<![\w.-])-?\d+\.\d+(?![\w.])")),
    ("int", re.compile(r"(?<![\w.-])-?\d+(?![\w.])")),
)
QUOTED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("quoted", re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`")),
    ("word-id", re.compile(r"\b(?=\w*\d)(?=\w*[a-z])[\w-]{6,}\b", re.I)),
)
_MAX = 512


def _apply(text: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    for name, pattern in patterns:
        text = pattern.sub(f"<{name}>", text)
    return text


@lru_cache(maxsize=CACHED)
def parameterize(text: str | None) -> str:
    """Replace ids, numbers, addresses, e-mails, urls, ips, paths and dates; keep words."""
    if not text:
        return ""
    return _apply(text[: _MAX * 4], PATTERNS)[:_MAX]


@lru_cache(maxsize=CACHED)
def parameterize_all(text: str | None) -> str:
    """Like ``parameterize`` and also replace quoted values and id-like words."""
    if not text:
        return ""
    return _apply(_apply(text[: _MAX * 4], PATTERNS), QUOTED)[:_MAX]
