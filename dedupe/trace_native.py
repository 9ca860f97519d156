"""Parsers for native-ish traces in text: Go panics, Rust panics, gdb and lldb backtraces,
Apple crash reports. Same contract as ``trace_managed``: cause first, frames innermost last.
"""

from __future__ import annotations

import re

from dedupe.trace_managed import _next_nonblank
from dedupe.traces import FoundTrace, frame
from protocol.model import ExceptionValue, Frame

# ---------------------------------------------------------------- Go
GO_PANIC = re.compile(r"^\s*(?P<kind>panic|fatal error): (?P<value>.*?)(?: \[recovered\])?\s*$")
GO_GOROUTINE = re.compile(r"^\s*goroutine \d+ \[[^\]]*\]:\s*$")
GO_FUNC = re.compile(r"^\s*(?:created by )?(?P<func>[\w./*()\[\]{}-]+?)(?:\((?P<args>[^)]*)\))?(?: in goroutine \d+)?\s*$")
GO_LOC = re.compile(r"^\s+(?P<file>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?\s*$|^\s*(?P<file2>/\S+\.go):(?P<line2>\d+)")


def _go_split(func: str) -> tuple[str, str]:
    """``github.com/a/pkg.(*T).M`` -> (``github.com/a/pkg``, ``(*T).M``)."""
    slash = func.rfind("/")
    dot = func.find(".", slash + 1)
    return (func[:dot], func[dot + 1 :]) if dot > 0 else ("", func)


def parse_go(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        p = GO_PANIC.match(lines[i])
        if not p:
            i += 1
            continue
        start, j = i, i + 1
        while j < len(lines) and j < i + 4 and not GO_GOROUTINE.match(lines[j]):
            j += 1
        if j >= len(lines) or not GO_GOROUTINE.match(lines[j]):
            i += 1
            continue
        frames: list[Frame] = []
        j += 1
        while j + 1 < len(lines) and (fm := GO_FUNC.match(lines[j])) and (loc := GO_LOC.match(lines[j + 1])):
            module, function = _go_split(fm.group("func"))
            first = module.split("/", 1)[0]
            in_app = (module == "main" or "." in first) and not module.startswith("runtime")
            frames.insert(0, frame(module=module, function=function, filename=loc.group("file") or loc.group("file2"),
                                   lineno=int(loc.group("line") or loc.group("line2")), in_app=in_app, platform="go"))
            j += 2
        if frames:
            exc = ExceptionValue(type=p.group("kind"), value=p.group("value").strip() or None, frames=tuple(frames))
            out.append(FoundTrace("go", "go", "trace", (exc,), start, j - 1))
        i = j
    return out


# ---------------------------------------------------------------- Rust
RUST_PANIC_NEW = re.compile(r"^\s*thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at (?P<loc>\S+?):\s*$")
RUST_PANIC_OLD = re.compile(r"^\s*thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at '(?P<value>.*)', (?P<loc>\S+)\s*$")
RUST_FRAME = re.compile(r"^\s*(?P<n>\d+):\s+(?:0x[0-9a-f]+ - )?(?P<func>\S.*?)\s*$")
RUST_AT = re.compile(r"^\s+at (?P<file>.+?):(?P<line>\d+)(?::\d+)?\s*$")
RUST_LIBRARY = re.compile(r"^(?:<?(?:std|core|alloc|__rustc|backtrace|test)::|rust_begin_unwind|__rust|<\w+ as (?:std|core|alloc)::)")


def parse_rust(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        new, old = RUST_PANIC_NEW.match(lines[i]), RUST_PANIC_OLD.match(lines[i])
        if not new and not old:
            i += 1
            continue
        start = i
        if old:
            value = old.group("value")
            j = i + 1
        else:
            msg = []
            j = i + 1
            while j < len(lines) and lines[j].strip() and not lines[j].startswith(("stack backtrace:", "note:")):
                msg.append(lines[j].strip())
                j += 1
            value = "\n".join(msg)
        frames: list[Frame] = []
        while j < len(lines) and not lines[j].strip().startswith("stack backtrace:") and j < start + 12:
            j += 1
        j += 1
        while j < len(lines) and (fm := RUST_FRAME.match(lines[j])):
            func = fm.group("func")
            at = RUST_AT.match(lines[j + 1]) if j + 1 < len(lines) else None
            path = at.group("file") if at else None
            lib = bool(RUST_LIBRARY.match(func)) or bool(path and ("/rustc/" in path or "/.cargo/registry/" in path))
            frames.insert(0, frame(function=func, filename=path, lineno=int(at.group("line")) if at else None,
                                   in_app=not lib, platform="native"))
            j += 2 if at else 1
        exc = ExceptionValue(type="panic", value=value or None, frames=tuple(frames))
        out.append(FoundTrace("rust", "native", "trace", (exc,), start, max(start, j - 1)))
        i = max(j, i + 1)
    return out


# ---------------------------------------------------------------- gdb / lldb
GDB_SIGNAL = re.compile(r"^\s*Program (?:received|terminated with) signal (?P<sig>SIG\w+), (?P<desc>[^.]+)\.?\s*$")
GDB_FRAME = re.compile(
    r"^\s*#(?P<n>\d+)\s+(?:0x[0-9a-f]+ in )?(?P<func>[^\s(][^(]*?)\s*(?:\((?P<args>.*?)\))?"
    r"(?: at (?P<file>\S+):(?P<line>\d+)| from (?P<lib>\S+))?\s*$"
)
LLDB_STOP = re.compile(r"stop reason = (?P<reason>[^\n(]+?)(?: \((?P<detail>[^)]*)\))?\s*$")
LLDB_FRAME = re.compile(
    r"^\s*\*?\s*frame #(?P<n>\d+): 0x[0-9a-f]+ (?P<image>[^`\s]+)`(?P<func>.+?)(?: \+ \d+)?"
    r"(?: at (?P<file>[^:\s]+):(?P<line>\d+)(?::\d+)?)?\s*$"
)
SYSTEM_PATH = re.compile(r"^(?:/usr/|/lib|/System/|\.\./sysdeps/|\./(?:nptl|stdlib|signal|string|posix)/)")


def parse_gdb(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        g, ll = GDB_FRAME.match(lines[i]), LLDB_FRAME.match(lines[i])
        if not (g and g.group("n") == "0") and not (ll and ll.group("n") == "0"):
            i += 1
            continue
        start = i
        frames: list[Frame] = []
        fmt = "gdb" if g else "lldb"
        while i < len(lines):
            g, ll = GDB_FRAME.match(lines[i]), LLDB_FRAME.match(lines[i])
            m = g if fmt == "gdb" else ll
            if m is None:
                if lines[i].strip():
                    break
                i += 1
                continue
            path = m.group("file")
            package = m.group("lib") if fmt == "gdb" else m.group("image")
            in_app = bool(path) and not SYSTEM_PATH.match(path) and not (package and SYSTEM_PATH.match(package))
            func = m.group("func").strip() if fmt == "gdb" else re.sub(r"\((?:[^()]|\([^()]*\))*\)$", "", m.group("func").strip())
            frames.insert(0, frame(function=func, filename=path, package=package,
                                   lineno=int(m.group("line")) if m.group("line") else None, in_app=in_app,
                                   platform="native"))
            i += 1
        etype, value = _native_reason(lines[max(0, start - 12) : start])
        exc = ExceptionValue(type=etype, value=value, frames=tuple(frames))
        out.append(FoundTrace(fmt, "native", "trace", (exc,), start, i - 1))
    return out


def _native_reason(before: list[str]) -> tuple[str, str | None]:
    for line in reversed(before):
        if (s := GDB_SIGNAL.match(line)) is not None:
            return s.group("sig"), s.group("desc")
        if (r := LLDB_STOP.search(line)) is not None:
            return r.group("reason").strip().split()[0], r.group("detail")
    return "crash", None


# ---------------------------------------------------------------- Apple crash reports
APPLE_TYPE = re.compile(r"^\s*Exception Type:\s+(?P<type>\S+)(?:\s+\((?P<sig>\w+)\))?")
APPLE_PROCESS = re.compile(r"^\s*Process:\s+(?P<name>.+?)\s+\[\d+\]")
APPLE_REASON = re.compile(r"Terminating app due to uncaught exception '(?P<type>\w+)', reason: '(?P<reason>.*?)'")
APPLE_THREAD = re.compile(r"^\s*(?:Thread \d+ Crashed|Last Exception Backtrace)(?:::.*)?:?\s*$")
APPLE_FRAME = re.compile(
    r"^\s*(?P<n>\d+)\s+(?P<image>\S+)\s+(?P<addr>0x[0-9a-f]+)\s+(?P<sym>.+?)"
    r"(?: \+ (?P<off>\d+))?(?: \((?P<file>[^():]+):(?P<line>\d+)\))?\s*$"
)


def parse_apple(lines: list[str]) -> list[FoundTrace]:
    header = next((m for line in lines if (m := APPLE_TYPE.match(line))), None)
    if header is None:
        return []
    process = next((m.group("name") for line in lines if (m := APPLE_PROCESS.match(line))), None)
    reason = next((m for line in lines if (m := APPLE_REASON.search(line))), None)
    starts = [n for n, line in enumerate(lines) if APPLE_THREAD.match(line)]
    # the last exception backtrace, when present, is where the exception was thrown
    starts.sort(key=lambda n: not lines[n].strip().startswith("Last Exception"))
    for start in starts:
        frames: list[Frame] = []
        i = start + 1
        while i < len(lines) and (m := APPLE_FRAME.match(lines[i])):
            sym = m.group("sym")
            unsymbolicated = sym.startswith("0x")
            image = m.group("image")
            frames.insert(0, frame(
                function=None if unsymbolicated else sym, package=image, filename=m.group("file"),
                lineno=int(m.group("line")) if m.group("line") else None,
                instruction_addr=m.group("addr"),
                image_addr=sym.split()[0] if unsymbolicated else None,
                in_app=bool(process) and image == process, platform="cocoa"))
            i += 1
        if frames:
            etype = reason.group("type") if reason else header.group("type")
            value = reason.group("reason") if reason else header.group("sig")
            exc = ExceptionValue(type=etype, value=value, frames=tuple(frames))
            first = next(n for n, line in enumerate(lines) if APPLE_TYPE.match(line))
            return [FoundTrace("apple", "cocoa", "trace", (exc,), min(first, start), i - 1)]
    return []


PARSERS = (parse_go, parse_rust, parse_apple, parse_gdb)
__all__ = ["PARSERS", "_next_nonblank"]
