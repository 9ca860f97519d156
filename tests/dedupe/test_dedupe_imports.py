"""The pure core never imports the edges (server, web) or their frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import dedupe

FORBIDDEN = {"server", "web", "litestar", "asyncpg", "asyncio", "psycopg", "httpx", "requests", "socket"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_dedupe_imports_no_edge_package() -> None:
    files = sorted(Path(dedupe.__file__).parent.rglob("*.py"))
    assert len(files) >= 5
    bad = {str(p.name): sorted(imported_roots(p) & FORBIDDEN) for p in files if imported_roots(p) & FORBIDDEN}
    assert not bad, bad


def test_the_walker_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import asyncpg\nfrom server.db import x\n")
    assert imported_roots(probe) >= {"asyncpg", "server"}
