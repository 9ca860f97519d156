"""The pure core (protocol, dedupe, symbolication, kb_link) never reaches the edges.

No server or web import, no framework or driver, no network, no clock: the core takes
plain data and returns plain data, which is what makes it testable by tables of cases
and benchmarkable in isolation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import REPO

CORE = ("protocol", "dedupe", "symbolication", "kb_link")
FORBIDDEN = {"server", "web", "litestar", "asyncpg", "psycopg", "httpx", "requests", "socket", "asyncio", "time", "urllib.request"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offending(names: set[str]) -> set[str]:
    return {n for n in names if n in FORBIDDEN or n.split(".")[0] in FORBIDDEN - {"urllib.request"}}


@pytest.mark.parametrize("package", CORE)
def test_core_package_imports_no_edge(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    bad = {f"{p.relative_to(REPO)}: {sorted(offending(imported(p)))}" for p in files if offending(imported(p))}
    assert not bad


@pytest.mark.parametrize("package", CORE)
def test_core_modules_stay_small(package: str) -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in (REPO / package).rglob("*.py")}
    assert max(sizes.values()) <= 350, sizes


def test_the_walker_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import asyncpg\nfrom server.db import x\nfrom urllib.request import urlopen\nimport time\n")
    assert offending(imported(probe)) == {"asyncpg", "server.db", "urllib.request", "time"}


def test_web_pages_reach_data_only_through_services() -> None:
    """The web app calls service functions: no driver, no SQL module, no SQL text in ``web/``."""
    files = sorted((REPO / "web").rglob("*.py"))
    assert files
    bad = {
        f"{p.relative_to(REPO)}: {sorted(n for n in imported(p) if n == 'asyncpg' or n.startswith('server.db'))}"
        for p in files
        if any(n == "asyncpg" or n.startswith("server.db") for n in imported(p))
    }
    assert not bad
    sql = {str(p.relative_to(REPO)) for p in files if re.search(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b", p.read_text())}
    assert not sql
