"""The core stays pure: no edge package, web framework or database driver imports."""

from __future__ import annotations

import ast
from pathlib import Path

import symbolication

FORBIDDEN = {"server", "web", "litestar", "asyncpg", "httpx", "requests", "urllib.request", "socket", "asyncio", "time"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_edge_imports() -> None:
    root = Path(symbolication.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in root.glob("*.py")
        for name in _imports(path)
        if name in FORBIDDEN or name.split(".")[0] in FORBIDDEN - {"urllib.request"}
    }
    assert offenders == set()


def test_modules_stay_small() -> None:
    root = Path(symbolication.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in root.glob("*.py")}
    assert max(sizes.values()) <= 300, sizes
