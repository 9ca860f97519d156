"""Parsers for managed-runtime traces in text: Python, Java/Kotlin/Android, JavaScript, .NET.

Each takes cleaned lines and returns ``FoundTrace`` values with exceptions cause first
and frames innermost last. Indentation is never relied on: pastes lose it.
"""

from __future__ import annotations

import re

from dedupe.traces import FoundTrace, frame
from protocol.model import ExceptionValue, Frame

# ---------------------------------------------------------------- Python
PY_HEADER = re.compile(r"^\s*Traceback \(most recent call last\):?\s*$")
PY_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S.*?))?\s*$')
PY_EXC = re.compile(r"^\s*(?P<type>(?:[A-Za-z_]\w*\.)*[A-Z]\w*)(?::\s?(?P<value>.*))?$")
PY_CHAIN = re.compile(r"During handling of the above exception|The above exception was the direct cause")
PY_SKIP = re.compile(r"^\s*(?:[~^\s]+|\[Previous line repeated \d+ more times?\]|\.\.\.)\s*$")
PY_ROOT = re.compile(r"^.*/(?:site-packages|dist-packages)/|^.*/(?:releases?|builds?|deploy(?:ments)?)/[^/]+/")
PY_LIBRARY = re.compile(r"site-packages|dist-packages|<frozen |/lib/python\d|\\lib\\|^<")
PY_MODULE_DEPTH = 3


def _py_module(path: str) -> str:
    """Best guess at the dotted module the SDK reports (the import root is unknown)."""
    clean = path.replace("\\", "/")
    rooted = PY_ROOT.sub("", clean)
    parts = [p for p in re.sub(r"\.pyw?$", "", rooted).split("/") if p]
    if rooted == clean:
        lib = re.search(r"/lib/python[\d.]+/(.*)$", clean)
        parts = [p for p in re.sub(r"\.pyw?$", "", lib.group(1)).split("/") if p] if lib else parts[-PY_MODULE_DEPTH:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def parse_python(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    chain: list[ExceptionValue] = []
    chain_start = None
    i = 0
    last_end = -1
    while i < len(lines):
        if not PY_HEADER.match(lines[i]):
            i += 1
            continue
        start = i
        frames: list[Frame] = []
        i += 1
        exc: ExceptionValue | None = None
        while i < len(lines):
            line = lines[i]
            m = PY_FRAME.match(line)
            if m:
                path = m.group("path")
                frames.append(frame(
                    filename=path, abs_path=path, module=_py_module(path), function=(m.group("func") or "").strip(),
                    lineno=int(m.group("line")), in_app=not PY_LIBRARY.search(path), platform="python"))
                i += 1
                # the source line, unless the next line is another frame or the exception
                if i < len(lines) and lines[i].strip() and not PY_FRAME.match(lines[i]) and not PY_SKIP.match(lines[i]):
                    nxt = lines[i]
                    if not (PY_EXC.match(nxt) and _looks_like_exception(nxt, lines, i)):
                        frames[-1] = Frame(**{**_asdict(frames[-1]), "context_line": nxt.strip()})
                        i += 1
                continue
            if not line.strip() or PY_SKIP.match(line):
                i += 1
                continue
            e = PY_EXC.match(line)
            if e and frames:
                # the SDK reports the class name, and its module apart
                module, _, name = e.group("type").rpartition(".")
                exc = ExceptionValue(type=name, module=module or None, value=(e.group("value") or "").strip() or None,
                                     frames=tuple(frames))
            break
        if exc is None:
            i += 1
            continue
        between = "\n".join(lines[last_end + 1 : start]) if last_end >= 0 else ""
        if chain and PY_CHAIN.search(between):
            chain.append(exc)
        else:
            if chain:
                out.append(FoundTrace("python", "python", "trace", tuple(chain), chain_start or 0, last_end))
            chain, chain_start = [exc], start
        last_end = i
        i += 1
    if chain:
        out.append(FoundTrace("python", "python", "trace", tuple(chain), chain_start or 0, last_end))
    return out


def _looks_like_exception(line: str, lines: list[str], i: int) -> bool:
    """An exception line ends a traceback: a blank line, prose, or a chain note follows it."""
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return ": " in line or not nxt.strip() or not PY_FRAME.match(nxt)


def _asdict(f: Frame) -> dict[str, object]:
    return {k: getattr(f, k) for k in f.__struct_fields__ if getattr(f, k) not in (None, (), False) or k == "in_app"}


# ---------------------------------------------------------------- Java / Kotlin / Android
JAVA_HEADER = re.compile(
    r"^\s*(?:Exception in thread \"[^\"]*\"\s+|FATAL EXCEPTION:[^\n]*?\s|(?P<caused>Caused by:)\s*)?"
    r"(?P<type>(?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*)(?::\s?(?P<value>.*))?$"
)
JAVA_FRAME = re.compile(
    r"^\s*at\s+(?:[^\s/()]+/)*(?P<qual>[^\s/()]+)\((?P<src>[\w$.-]+(?::\d+)?|Unknown Source(?::\d+)?|Native Method)\)\s*$"
)
JAVA_MORE = re.compile(r"^\s*\.\.\.\s*(?P<n>\d+)\s+(?:more|common frames omitted)")
JAVA_SUPPRESSED = re.compile(r"^\s*Suppressed:")
JAVA_LIBRARY = re.compile(r"^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|android|androidx|dalvik|com\.android|libcore|scala)\.")


def _java_frame(m: re.Match[str]) -> Frame:
    qual, src = m.group("qual"), m.group("src")
    cls, _, method = qual.rpartition(".")
    fname, _, line = src.partition(":")
    return frame(module=cls, function=method, filename=fname if fname and " " not in fname else None,
                 lineno=int(line) if line.isdigit() else None, in_app=not JAVA_LIBRARY.match(cls), platform="java")


def parse_java(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        h = JAVA_HEADER.match(lines[i])
        if not h or h.group("caused") or i + 1 >= len(lines) or not JAVA_FRAME.match(_next_nonblank(lines, i)):
            i += 1
            continue
        start = i
        chain: list[tuple[str, str | None, list[Frame]]] = []
        current = (h.group("type"), h.group("value"), [])
        i += 1
        suppressed = False
        while i < len(lines):
            line = lines[i]
            f = JAVA_FRAME.match(line)
            if f:
                if not suppressed:
                    current[2].insert(0, _java_frame(f))
            elif (more := JAVA_MORE.match(line)) and chain is not None:
                n = int(more.group("n"))
                if not suppressed and chain:
                    outer = chain[-1][2]
                    current[2][:0] = outer[:n]
            elif JAVA_SUPPRESSED.match(line):
                suppressed = True
            elif (c := JAVA_HEADER.match(line)) and c.group("caused"):
                suppressed = False
                chain.append(current)
                current = (c.group("type"), c.group("value"), [])
            elif line.strip():
                break
            i += 1
        chain.append(current)
        excs = tuple(ExceptionValue(type=t, value=(v or "").strip() or None, frames=tuple(fr))
                     for t, v, fr in reversed(chain))
        out.append(FoundTrace("java", "java", "trace", excs, start, i - 1))
    return out


def _next_nonblank(lines: list[str], i: int) -> str:
    for line in lines[i + 1 : i + 3]:
        if line.strip():
            return line
    return ""


# ---------------------------------------------------------------- JavaScript (V8, Firefox, Safari)
JS_HEADER = re.compile(r"^\s*(?:Uncaught\s+)?(?P<type>[A-Z][\w$]*(?:Error|Exception)|Error|[A-Z][\w$]*)(?::\s?(?P<value>.*))?$")
V8_FRAME = re.compile(
    r"^\s*at\s+(?:(?P<func>.+?)\s+\((?P<loc>.+?)\)|(?P<bare>\S+?))\s*$"
)
GECKO_FRAME = re.compile(r"^\s*(?P<func>[^@\s]*(?:\([^)]*\))?)@(?P<loc>\S.*?)\s*$")
SAFARI_BARE = re.compile(r"^\s*(?P<loc>(?:https?|file|blob|webpack|app|capacitor)://\S+?:\d+(?::\d+)?)\s*$")
JS_LOC = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?$")
JS_LIBRARY = re.compile(r"/node_modules/|^node:|^internal/|^<anonymous>$|^native$|^\[native code\]$")


def _js_frame(func: str | None, loc: str) -> Frame:
    m = JS_LOC.match(loc.strip())
    path = m.group("file") if m else loc
    return frame(function=(func or "").strip() or None, filename=path, abs_path=path,
                 lineno=int(m.group("line")) if m and m.group("line") else None,
                 colno=int(m.group("col")) if m and m.group("col") else None,
                 in_app=not JS_LIBRARY.search(path), platform="javascript")


def _js_line(line: str) -> Frame | None:
    v = V8_FRAME.match(line)
    if v and (v.group("loc") or v.group("bare")):
        loc = v.group("loc") or v.group("bare")
        if ":" not in loc and loc not in ("native", "<anonymous>"):
            return None
        return _js_frame(v.group("func"), loc)
    g = GECKO_FRAME.match(line)
    if g and re.search(r":\d+(?::\d+)?$|\[native code\]", g.group("loc")):
        return _js_frame(re.sub(r"\(.*\)$", "", g.group("func")), g.group("loc"))
    b = SAFARI_BARE.match(line)
    return _js_frame(None, b.group("loc")) if b else None


def parse_javascript(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        if _js_line(lines[i]) is None:
            i += 1
            continue
        start = i
        frames: list[Frame] = []
        while i < len(lines) and (f := _js_line(lines[i])) is not None:
            frames.insert(0, f)
            i += 1
        # the error line sits above the frames (V8) or is pasted beside them (Firefox/Safari)
        etype, value, first = None, None, start
        for j in range(start - 1, max(-1, start - 4), -1):
            h = JS_HEADER.match(lines[j])
            if h and (h.group("value") is not None or h.group("type").endswith(("Error", "Exception"))):
                etype, value, first = h.group("type"), h.group("value"), j
                break
        if etype is None and len(frames) < 2:
            continue
        exc = ExceptionValue(type=etype or "Error", value=(value or "").strip() or None, frames=tuple(frames))
        out.append(FoundTrace("javascript", "javascript", "trace", (exc,), first, i - 1))
    return out


# ---------------------------------------------------------------- .NET
NET_HEADER = re.compile(
    r"^\s*(?:Unhandled [Ee]xception[.:]?\s*|\[ERROR\] FATAL UNHANDLED EXCEPTION:\s*|---> )?"
    r"(?P<type>(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*(?:`\d+)?)(?::\s?(?P<rest>.*))?$"
)
NET_FRAME = re.compile(
    r"^\s*at\s+(?P<qual>[^(\s][^(]*?)\s?\((?P<args>[^)]*)\)(?:\s*\[0x[0-9a-f]+\])?"
    r"(?:\s+in\s+(?P<file>.+?):(?:line\s+)?(?P<line>\d+))?\s*$"
)
NET_END_INNER = re.compile(r"^\s*---\s*End of inner exception stack trace\s*---")
NET_NOISE = re.compile(r"^\s*---\s*End of stack trace from previous location")
NET_LIBRARY = re.compile(r"^(?:System|Microsoft|Mono|Newtonsoft)\.")


def _net_frame(m: re.Match[str]) -> Frame:
    qual = m.group("qual").strip()
    parts = qual.split(".")
    if len(parts) >= 3 and re.match(r"^<\w+>d__\d+$", parts[-2]) and parts[-1] == "MoveNext":
        module, function = ".".join(parts[:-2]), ".".join(parts[-2:])
    else:
        module, function = ".".join(parts[:-1]), parts[-1]
    return frame(module=module, function=function, filename=m.group("file"),
                 lineno=int(m.group("line")) if m.group("line") else None,
                 in_app=not NET_LIBRARY.match(module), platform="csharp")


def parse_dotnet(lines: list[str]) -> list[FoundTrace]:
    out: list[FoundTrace] = []
    i = 0
    while i < len(lines):
        h = NET_HEADER.match(lines[i])
        nxt = _next_nonblank(lines, i)
        if not h or not NET_FRAME.match(nxt) or JAVA_FRAME.match(nxt):
            i += 1
            continue
        start = i
        headers = [(h.group("type"), h.group("rest") or "")]
        # "A: msg ---> B: msg2": outer first, innermost last
        while " ---> " in headers[-1][1]:
            msg, _, inner = headers[-1][1].partition(" ---> ")
            t, _, v = inner.partition(": ")
            headers[-1] = (headers[-1][0], msg)
            headers.append((t.strip(), v))
        groups: list[list[Frame]] = [[]]
        i += 1
        while i < len(lines):
            line = lines[i]
            if (f := NET_FRAME.match(line)) is not None:
                groups[-1].insert(0, _net_frame(f))
            elif NET_END_INNER.match(line):
                groups.append([])
            elif (inner := NET_HEADER.match(line)) and line.strip().startswith("--->"):
                headers.append((inner.group("type"), inner.group("rest") or ""))
            elif not NET_NOISE.match(line) and line.strip():
                break
            i += 1
        # frames come innermost exception first; headers outermost first
        excs = []
        for n, (t, v) in enumerate(reversed(headers)):
            fr = groups[n] if n < len(groups) else []
            excs.append(ExceptionValue(type=t, value=v.strip() or None, frames=tuple(fr)))
        out.append(FoundTrace("dotnet", "csharp", "trace", tuple(excs), start, i - 1))
    return out


PARSERS = (parse_python, parse_java, parse_dotnet, parse_javascript)
