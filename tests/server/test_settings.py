"""Settings: read and checked in one place; a wrong value stops every command with one line."""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.cli import build_parser, main
from server.settings import Settings, sources
from tests.support import CRASHDESK, REPO


def commands() -> dict[str, list[str]]:
    """Every ``crashdesk`` command (``import tickets`` for nested ones) with arguments argparse accepts
    (their values don't matter here)."""
    return dict(_walk(build_parser(), []))


def _walk(parser: argparse.ArgumentParser, prefix: list[str]) -> Iterator[tuple[str, list[str]]]:
    argv = list(prefix)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, [*argv, name])
            return
        if action.option_strings and not action.required:
            continue
        value = str(action.choices and next(iter(action.choices)) or "x")
        argv += [action.option_strings[0], value] if action.option_strings else [value]
    yield " ".join(prefix), argv


BAD = [(name, source.var, source.parse.bad) for name, source in sources().items()]


def test_every_field_declares_its_variable_and_defaults_are_valid() -> None:
    assert len({source.var for source in sources().values()}) == len(Settings.__struct_fields__)
    defaults = Settings.from_env({"HOME": "/home/someone"})
    assert defaults.data_dir == "/home/someone/.local/share/crashdesk" and defaults.port == 8000


def test_values_are_parsed() -> None:
    s = Settings.from_env({"CRASHDESK_PORT": " 9000 ", "CRASHDESK_PROCESS_EVENTS": "off", "CRASHDESK_KEY_CACHE_SECONDS": "0.5",
                           "CRASHDESK_PUBLIC_URL": "https://crash.example.com/", "CRASHDESK_DATA_DIR": "/srv/crashdesk"})
    assert (s.port, s.process_events, s.key_cache_seconds, s.public_url, s.data_dir) == (
        9000, False, 0.5, "https://crash.example.com", "/srv/crashdesk")


@pytest.mark.parametrize(("field", "var", "bad"), BAD, ids=[var for _, var, _ in BAD])
def test_each_command_refuses_each_bad_setting_in_one_line(field: str, var: str, bad: str, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, argv in commands().items():
        code = main(argv, {"HOME": str(tmp_path), var: bad})
        err = capsys.readouterr().err
        assert code == 2, f"crashdesk {name} with {var}={bad!r} exited {code}"
        assert err.count("\n") == 1 and var in err and repr(bad) in err and "expected" in err, (name, err)
    assert not (tmp_path / ".local").exists(), "nothing was created"


@pytest.mark.parametrize(("argv", "var", "bad"), [(["migrate"], "CRASHDESK_PORT", "abc"), (["serve"], "CRASHDESK_WORKERS", "two")])
def test_bad_setting_in_a_real_process_prints_no_traceback(tmp_path: Path, argv: list[str], var: str, bad: str) -> None:
    env = {**os.environ, "CRASHDESK_DATA_DIR": str(tmp_path), var: bad}
    out = subprocess.run([*CRASHDESK, *argv], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr == f"crashdesk: {var}: got {bad!r}, expected {sources()[_field(var)].parse.expected}\n"
    assert not list(tmp_path.iterdir()), "nothing was started or created"


def _field(var: str) -> str:
    return next(name for name, source in sources().items() if source.var == var)


_ENVIRON = ("os.environ", "environ", "os.environb")


def _environ_writes(tree: ast.AST) -> Iterator[int]:
    """Line numbers that change the process environment."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        targets += node.targets if isinstance(node, ast.Delete) else []
        if any(isinstance(t, ast.Subscript) and ast.unparse(t.value) in _ENVIRON for t in targets):
            yield node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, method = ast.unparse(node.func.value), node.func.attr
            if (owner in _ENVIRON and method in ("update", "setdefault", "pop", "popitem", "clear")) or method in ("putenv", "unsetenv"):
                yield node.lineno


def test_no_code_changes_the_process_environment() -> None:
    """Settings are passed on as values, never through ``os.environ`` (which every later read would see)."""
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for folder in ("server", "protocol", "dedupe", "symbolication", "kb_link", "web")
        for path in sorted((REPO / folder).rglob("*.py"))
        for line in _environ_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
