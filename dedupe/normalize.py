"""Per-platform normalisation of function, module and file names.

Each platform family has an ordered tuple of (name, pattern, replacement) rules. They
remove what changes between builds of the same code (lambda counters, generated class
names, bundle hashes, argument lists, Rust hashes, release directories) and keep what
names the code location. Rules are plain data so a reviewer can read them as a table.
"""

from __future__ import annotations

import re
from functools import lru_cache

Rule = tuple[str, re.Pattern[str], str]
CACHED = 16384
"""Distinct names remembered per normaliser: a project's frames repeat across its events,
so each name goes through the regex tables once per process, not once per frame."""

FAMILIES = {
    "python": "python",
    "javascript": "javascript", "node": "javascript", "typescript": "javascript",
    "java": "java", "kotlin": "java", "android": "java", "scala": "java", "groovy": "java",
    "native": "native", "c": "native", "cpp": "native", "cocoa": "native", "objc": "native",
    "swift": "native", "rust": "native", "minidump": "native",
    "csharp": "dotnet", "dotnet": "dotnet",
    "go": "go", "ruby": "ruby", "php": "php", "elixir": "other",
}
UNKNOWN_FUNCTIONS = frozenset({"", "?", "??", "<unknown>", "unknown", "stripped_application_code",
                               "<anonymous>", "anonymous", "anonymous function", "<anonymous function>",
                               "(anonymous function)", "{anonymous}", "[anonymous]", "<redacted>"})


def _r(name: str, pattern: str, repl: str, flags: int = 0) -> Rule:
    return (name, re.compile(pattern, flags), repl)


FUNCTION_RULES: dict[str, tuple[Rule, ...]] = {
    "python": (
        _r("comprehension", r"^<(listcomp|dictcomp|setcomp|genexpr)>$", "<comprehension>"),
    ),
    "javascript": (
        _r("async/new prefix", r"^(?:async\*?|new|bound|get|set)\s+", ""),
        _r("firefox closure suffix", r"(?:/<)+$|/<?$", "/<"),
        _r("qualified name", r"^(?:.*\.)?([^.\s/]+)$", r"\1"),
        _r("webpack module id", r"^__webpack_require__\.\w+$", "__webpack_require__"),
    ),
    "java": (
        _r("java lambda", r"^lambda\$(.+?)\$\d+$", r"lambda$\1"),
        _r("synthetic accessor", r"^access\$\d+$", "access$"),
        _r("generated suffix", r"\$\$(?:Lambda|EnhancerBy\w+|FastClassBy\w+)\$.*$", "$$generated"),
    ),
    "native": (
        _r("cold split", r"\.cold(?:\.\d+)?$", ""),
        _r("rust hash", r"::h[0-9a-f]{16}$", ""),
        _r("c++ arguments", r"(?<!operator)(?<=[\w>\]])\((?:[^()]|\([^()]*\))*\)(?:\s*const)?(?:\s*&{1,2})?$", ""),
        _r("template arguments", r"<(?:[^<>]|<(?:[^<>]|<[^<>]*>)*>)+>", "<T>"),
        _r("address", r"^0x[0-9a-f]+$", ""),
    ),
    "dotnet": (
        _r("generic arity", r"`\d+", ""),
        _r("lambda ordinal", r"(<\w*>b__)\d+(?:_\d+)?", r"\1"),
        _r("display class", r"<>c__DisplayClass\d+(?:_\d+)?", "<>c__DisplayClass"),
        _r("async state machine", r"^<(\w+)>d__\d+\.MoveNext$", r"\1"),
    ),
    "go": (
        _r("closure counter", r"\.func\d+(?:\.\d+)*$", ".func"),
        _r("generic shape", r"\[[^\]]*\]", "[...]"),
        _r("gowrap", r"\.gowrap\d+$", ".gowrap"),
    ),
    "ruby": (
        _r("block levels", r"^block \(\d+ levels\) in ", "block in "),
        _r("rescue/ensure", r"^(?:rescue|ensure) in ", ""),
        _r("compiled template", r"^(_app_views\w+?)_+\d+_\d+$", r"\1"),
    ),
    "php": (
        _r("anonymous class", r"class@anonymous.*$", "class@anonymous"),
        _r("closure file", r"\{closure\}.*$", "{closure}"),
    ),
    "other": (),
}

MODULE_RULES: dict[str, tuple[Rule, ...]] = {
    "java": (
        _r("anonymous class", r"\$\d+(?=\$|$)", "$<anon>"),
        _r("generated class", r"\$\$(?:Lambda|EnhancerBy\w+|FastClassBy\w+)\$.*$", "$$generated"),
        _r("proxy class", r"^(?:com\.sun\.proxy\.|jdk\.proxy\d+\.)\$Proxy\d+$", "$Proxy"),
    ),
    "dotnet": (_r("generic arity", r"`\d+", ""), _r("display class", r"\+<>c__DisplayClass\d+(?:_\d+)?", "+<>c")),
    "go": (_r("module version", r"@v\d+(?:\.\d+)*(?:-[\w.]+)?", ""),),
}

FILE_RULES: tuple[Rule, ...] = (
    _r("webpack prefix", r"^webpack:///?(?:\.\/)?", ""),
    _r("query or fragment", r"[?#].*$", ""),
    _r("scheme and host", r"^[a-z][a-z0-9+.-]*://[^/]*", "", re.I),
    _r("site-packages", r"^.*/(?:site|dist)-packages/", ""),
    _r("node_modules", r"^.*/node_modules/", "node_modules/"),
    _r("vendor", r"^.*/vendor/(?=[\w.-]+/[\w.-]+/)", "vendor/"),
    _r("release dir", r"/(?:releases?|builds?|deploy(?:ments)?)/[^/]+/", "/"),
    _r("capistrano/heroku dir", r"^/(?:app|srv|opt|var/www|home/\w+)/(?:[\w.-]+/)?(?:current|releases/\d+)/", ""),
    _r("version segment", r"/v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?/", "/<version>/"),
    _r("python version dir", r"/python\d(?:\.\d+)?/", "/python/"),
    _r("bundle hash", r"([.-])[0-9a-f]{6,32}(?=\.(?:m?js|css|map|bundle)\b)", r"\1<hash>", re.I),
    _r("chunk id", r"(?<=/)\d+(?=\.(?:chunk\.)?m?js$)", "<chunk>"),
)


def family(platform: str | None) -> str:
    """Map an SDK platform string to the normaliser family (``other`` when unknown)."""
    return FAMILIES.get((platform or "").lower(), "other")


def _run(text: str, rules: tuple[Rule, ...]) -> str:
    for _name, pattern, repl in rules:
        text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=CACHED)
def function_name(name: str | None, fam: str) -> str:
    """Normalised function name, or ``""`` when the name says nothing (anonymous, stripped)."""
    text = (name or "").strip()
    if text.lower() in UNKNOWN_FUNCTIONS:
        return ""
    text = _run(text, FUNCTION_RULES.get(fam, ()))
    if fam == "javascript" and (text.endswith("/<") or text.lower() in UNKNOWN_FUNCTIONS):
        return ""
    return "" if text.lower() in UNKNOWN_FUNCTIONS else text


@lru_cache(maxsize=CACHED)
def module_name(module: str | None, fam: str) -> str:
    return _run((module or "").strip(), MODULE_RULES.get(fam, ()))


@lru_cache(maxsize=CACHED)
def file_name(path: str | None) -> str:
    """A file path without hosts, hashes, versions and deploy directories."""
    return _run((path or "").strip().replace("\\", "/"), FILE_RULES)


def image_name(package: str | None) -> str:
    """Basename of a native image (``/usr/lib/libc.so.6`` -> ``libc.so.6``)."""
    return (package or "").replace("\\", "/").rsplit("/", 1)[-1]
