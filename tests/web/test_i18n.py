"""Every interface string the pages ask for has a Chinese translation, and placeholders survive."""

from __future__ import annotations

import json
import re

from web import catalogue, i18n


def test_chinese_catalogue_covers_every_interface_string() -> None:
    assert len(catalogue.wanted()) > 30  # the extractor sees the templates and the code
    assert catalogue.missing("zh") == [], "run: python -m web.catalogue zh"


def test_translations_keep_their_placeholders() -> None:
    for path in sorted((i18n.CATALOGUES / "zh").glob("*.json")):
        table = json.loads(path.read_text(encoding="utf-8"))
        for english, chinese in table.items():
            assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", chinese)), (path.name, english)


def test_catalogues_do_not_translate_one_string_twice() -> None:
    seen: dict[str, str] = {}
    for path in sorted((i18n.CATALOGUES / "zh").glob("*.json")):
        for english in json.loads(path.read_text(encoding="utf-8")):
            assert english not in seen, f"{english!r} is in both {seen[english]} and {path.name}"
            seen[english] = path.name


def test_locale_choice_prefers_the_cookie_then_the_browser() -> None:
    assert i18n.choose("zh", "en-US,en") == "zh"
    assert i18n.choose(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.choose("xx", "fr-FR, de") == "en"
    assert i18n.translator("zh")("Join {org} as {role}", org="acme", role="管理员") == "以管理员身份加入 acme"
