"""Stack traces and error lines pasted into free text (tickets, e-mails), as events.

``find_traces`` cleans a paste (e-mail quoting, CRLF, logcat prefixes, wrapped frame
lines), runs every format's parser over it, and, when no full trace is found, looks for
a lone last line (``KeyError: 'sku'``). Each result carries the exceptions in Sentry's
order (the cause first, frames innermost last), so ``trace_event`` hands grouping the
same ``Event`` shape an SDK would have sent: a pasted trace is fingerprinted exactly as
the crash it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from dedupe.model import Grouping, GroupingConfig
from protocol.model import Event, ExceptionValue, Frame


class FoundTrace(msgspec.Struct, frozen=True):
    """One trace (or error line) found in text; ``kind`` is ``trace`` or ``last_line``."""

    format: str
    platform: str
    kind: str
    exceptions: tuple[ExceptionValue, ...]
    start: int = 0
    end: int = 0

    @property
    def last(self) -> ExceptionValue:
        return self.exceptions[-1]


Parser = Callable[[list[str]], list[FoundTrace]]

QUOTE = re.compile(r"^(?:[ \t]*>)+[ \t]?")
LOGCAT = re.compile(
    r"^(?:\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+[VDIWEF]\s+[\w/.$-]+\s*:\s?|[VDIWEF]/[\w.$-]+\(\s*\d+\):\s?)"
)
# A frame line cut by an e-mail client: joined with its continuation before parsing.
OPEN_FRAME = (
    (re.compile(r'^\s*File "'), re.compile(r'^\s*File "[^"]+", line \d+, in \S')),
    (re.compile(r"^\s*at\s+\S"), re.compile(r"^\s*at\s+[^()]*(?:\([^()]*\)|\S:\d+|\(native\))")),
)
LAST_LINE = re.compile(
    r"(?<![A-Za-z0-9_.$])(?P<type>(?:[A-Za-z_][\w$]*\.)*[A-Z][A-Za-z0-9_$]*"
    r"(?:Error|Exception|Exit|Interrupt|Warning|Fault|Failure|Panic))(?:(?::|：)[ \t]*(?P<value>[^\n]*))?"
)


def clean_lines(text: str) -> list[str]:
    """Lines of ``text`` without quoting and log prefixes, wrapped frame lines joined."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "").split("\n")
    lines = [LOGCAT.sub("", QUOTE.sub("", line)).rstrip() for line in raw]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line, used = _unwrap(lines, i)
        out.append(line)
        i += 1 + used
    return out


def _unwrap(lines: list[str], i: int) -> tuple[str, int]:
    """Line ``i`` joined with up to two continuation lines when that completes a frame."""
    line = lines[i]
    for opened, complete in OPEN_FRAME:
        if opened.match(line) and not complete.match(line):
            for n in (1, 2):
                if i + n >= len(lines):
                    break
                parts = [x.strip() for x in lines[i + 1 : i + n + 1]]
                # a cut inside a dotted name or a path rejoins without a space
                glued = (parts[0][:1] in tuple(".(/:$\\") or line[-1:] in tuple("./\\")) if parts[0] else False
                for sep in ("", " ") if glued else (" ", ""):
                    joined = line + sep.join([""] + parts)
                    if complete.match(joined):
                        return joined, n
    return line, 0


def _parsers() -> tuple[Parser, ...]:
    from dedupe import trace_managed, trace_native

    return (*trace_managed.PARSERS, *trace_native.PARSERS)


def find_traces(text: str) -> tuple[FoundTrace, ...]:
    """Every trace in ``text`` in order of appearance; a lone error line only when no trace is."""
    lines = clean_lines(text or "")
    found: list[FoundTrace] = []
    taken: set[int] = set()
    for parser in _parsers():
        for trace in parser(lines):
            span = set(range(trace.start, trace.end + 1))
            if span & taken:
                continue
            taken |= span
            found.append(trace)
    if found:
        return tuple(sorted(found, key=lambda t: t.start))
    for n, line in enumerate(lines):
        m = LAST_LINE.search(line)
        if m:
            value = (m.group("value") or "").strip() or None
            exc = ExceptionValue(type=m.group("type"), value=value)
            return (FoundTrace("last-line", "other", "last_line", (exc,), n, n),)
    return ()


def trace_event(trace: FoundTrace, event_id: str = "ticket") -> Event:
    """The event an SDK would have sent for this trace (grouping reads only these fields)."""
    return Event(event_id=event_id, platform=trace.platform, exceptions=trace.exceptions)


def python_module_variants(trace: FoundTrace) -> list[FoundTrace]:
    """The trace with Python modules cut at each plausible package root.

    A pasted path does not say where the import root is (``/srv/app/releases/1.0/app/x.py``
    is ``app.x`` to the SDK); each variant yields its own hash and the caller keeps the
    one its clusters know.
    """
    if trace.format != "python":
        return [trace]
    out = [trace]
    for depth in range(1, 6):
        excs = tuple(
            msgspec.structs.replace(e, frames=tuple(
                msgspec.structs.replace(f, module=_module_suffix(f.module, depth)) for f in e.frames))
            for e in trace.exceptions
        )
        variant = msgspec.structs.replace(trace, exceptions=excs)
        if variant not in out:
            out.append(variant)
    return out


def _module_suffix(module: str | None, depth: int) -> str | None:
    if not module:
        return module
    return ".".join(module.split(".")[-depth:])


def groupings(trace: FoundTrace, config: GroupingConfig | None = None) -> list[Grouping]:
    """Groupings of the trace (first: the best guess), for exact-hash and fuzzy lookups."""
    from dedupe.grouping import group_event

    return [group_event(trace_event(v), config) for v in python_module_variants(trace)]


def frame(**kw: object) -> Frame:
    return Frame(**{k: v for k, v in kw.items() if v not in (None, "")})  # type: ignore[arg-type]
