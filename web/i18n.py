"""Interface languages: English source strings; each other language has a folder ``locales/<code>/``
of JSON catalogues (one per area of the app, merged at load, so areas are edited apart).

Templates call ``_("English text", name=value)``; the catalogue maps the English text to its
translation, and ``{name}`` placeholders are filled after lookup, so word order can differ.
A missing entry falls back to English (tests/web/test_i18n.py keeps the Chinese ones complete).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

LOCALES: dict[str, str] = {"en": "English", "zh": "中文"}
DEFAULT = "en"
COOKIE = "crashdesk_locale"
CATALOGUES = Path(__file__).parent / "locales"


@functools.cache
def catalogue(locale: str) -> dict[str, str]:
    if locale == DEFAULT:
        return {}
    table: dict[str, str] = {}
    for path in sorted((CATALOGUES / locale).glob("*.json")):
        table.update(json.loads(path.read_text(encoding="utf-8")))
    return table


def translator(locale: str) -> Callable[..., str]:
    table = catalogue(locale)

    def gettext(text: str, **values: object) -> str:
        found = table.get(text) or text
        return found.format(**values) if values else found

    return gettext


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice, else the first supported language the browser asks for, else English."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
    return DEFAULT
