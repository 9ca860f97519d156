"""The interface strings the code and templates ask for: what each catalogue must translate.

``python -m web.catalogue`` lists the strings missing from ``locales/zh/*.json``; the i18n test
fails on the same list, so a new page cannot ship half-translated.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from web.i18n import catalogue
from web.render import ENV, TEMPLATES

WEB = Path(__file__).parent
# Values that reach _() as variables (roles, statuses, verdicts, service messages) are declared
# where they are used, in a module-level ``TRANSLATED`` list of the page module; see dynamic_strings().


def template_strings() -> set[str]:
    found: set[str] = set()
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for _line, _func, message in ENV.extract_translations(source):
            if isinstance(message, str):
                found.add(message)
            elif isinstance(message, tuple):
                found.update(m for m in message if isinstance(m, str))
    return found


def code_strings() -> set[str]:
    """``_("literal")`` calls in the web package's Python files."""
    found: set[str] = set()
    for path in sorted(WEB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def dynamic_strings() -> set[str]:
    """Every ``TRANSLATED = [...]`` list of string literals in the web package."""
    found: set[str] = set()
    for path in sorted(WEB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TRANSLATED" for t in node.targets)
                and isinstance(node.value, (ast.List, ast.Tuple))
            ):
                found.update(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return found


def wanted() -> set[str]:
    return template_strings() | code_strings() | dynamic_strings()


def missing(locale: str = "zh") -> list[str]:
    table = catalogue(locale)
    return sorted(s for s in wanted() if not table.get(s))


if __name__ == "__main__":
    json.dump({s: "" for s in missing(sys.argv[1] if len(sys.argv) > 1 else "zh")}, sys.stdout, ensure_ascii=False, indent=1)
