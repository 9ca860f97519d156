"""Pure rules of the knowledge base: affected ranges, fixed-in checks, stale articles, drafts, diffs.

Versions are ordered by ``kb_link.versions`` (the releases rules), never by date.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from kb_link.versions import Version, bare, compare, parse

_BOUND = re.compile(r"^(>=|<=|>|<|=)?\s*(\S+)$")


class Bound(msgspec.Struct, frozen=True):
    op: str  # '>=', '>', '<=', '<', '='
    version: Version


class VersionRange(msgspec.Struct, frozen=True):
    """An affected range: every bound must hold. ``'>=2.1.0 <2.4.1'``, ``'2.1.0 - 2.4.0'``, ``'2.3.0'``, ``'*'``."""

    text: str
    bounds: tuple[Bound, ...]


def parse_range(text: str) -> VersionRange:
    """The range ``text`` names; ValueError says what part is not a version."""
    text = text.strip()
    if text in ("", "*"):
        return VersionRange(text or "*", ())
    parts = text.split(" - ")
    if len(parts) == 2:
        pieces = [f">={parts[0].strip()}", f"<={parts[1].strip()}"]
    else:
        pieces = re.sub(r"(>=|<=|>|<|=)\s+", r"\1", text).replace(",", " ").split()
    bounds = []
    for piece in pieces:
        m = _BOUND.match(piece)
        if not m:
            raise ValueError(f"{piece!r} is not a version bound (use e.g. '>=2.1.0 <2.4.1')")
        version = parse(m.group(2))
        if not version.parsed:
            raise ValueError(f"{m.group(2)!r} is not a version the release rules can order")
        bounds.append(Bound(m.group(1) or "=", version))
    return VersionRange(text, tuple(bounds))


def _cmp(a: Version, b: Version) -> int | None:
    order = compare(a, b)
    if order is None and (a.package or b.package):
        order = compare(bare(a), bare(b))
    return order


def in_range(version: str, rng: VersionRange) -> bool | None:
    """Is ``version`` inside ``rng``? None when the versions cannot be ordered."""
    v = parse(version)
    for bound in rng.bounds:
        order = _cmp(v, bound.version)
        if order is None:
            return None
        ok = {">=": order >= 0, ">": order > 0, "<=": order <= 0, "<": order < 0, "=": order == 0}[bound.op]
        if not ok:
            return False
    return True


def check_fixed_in(fixed_in: str, affected: VersionRange | None) -> None:
    """A fix cannot be in a version the range still calls affected; ValueError says so."""
    if not parse(fixed_in).parsed:
        raise ValueError(f"{fixed_in!r} is not a version the release rules can order")
    if affected is not None and affected.bounds and in_range(fixed_in, affected) is True:
        raise ValueError(f"fixed_in {fixed_in} lies inside the affected range {affected.text}")


def regression_makes_stale(fixed_in: str | None, regressed_in: str | None) -> str | None:
    """The stale reason when a linked cluster regressed at or after the article's fixed-in version.

    A regression in an older release than the fix leaves the article right; one whose
    order cannot be known flags it (re-checking costs less than a wrong answer).
    """
    if not fixed_in:
        return None
    if regressed_in is None:
        return f"the cluster regressed after the fix in {fixed_in} (release unknown)"
    order = _cmp(parse(regressed_in), parse(fixed_in))
    if order is not None and order < 0:
        return None
    return f"the cluster regressed in {regressed_in}, at or after the fix in {fixed_in}"


def diff(a: str, b: str, a_label: str, b_label: str) -> str:
    """Unified line diff of two texts."""
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), a_label, b_label))


def trace_summary(normalized: Mapping[str, Any] | None, max_frames: int = 6) -> str:
    """A readable summary of an event's exceptions: type, message and the innermost frames."""
    if not normalized:
        return ""
    lines: list[str] = []
    for exc in reversed(normalized.get("exceptions") or []):
        head = ": ".join(x for x in (exc.get("type"), exc.get("value")) if x)
        if head:
            lines.append(f"**{head}**")
        frames: Sequence[Mapping[str, Any]] = exc.get("frames") or []
        chosen = [f for f in reversed(frames) if f.get("in_app")] or list(reversed(frames))
        for f in chosen[:max_frames]:
            where = f.get("filename") or f.get("module") or f.get("package") or "?"
            line = f":{f['lineno']}" if f.get("lineno") else ""
            lines.append(f"- `{f.get('function') or '?'}` in {where}{line}")
    if not lines and normalized.get("message"):
        lines.append(str(normalized["message"]))
    return "\n".join(lines)


def draft_from_cluster(
    title: str, culprit: str | None, summary: str, releases: Sequence[str], first_seen: dt.datetime, last_seen: dt.datetime
) -> tuple[str, str]:
    """Title and markdown body of a new article about a cluster, for a person to complete."""
    shown = ", ".join(releases[:10]) + (" …" if len(releases) > 10 else "") if releases else "unknown"
    body = "\n".join(
        [
            "## Symptom", "", f"{title}" + (f" (in `{culprit}`)" if culprit else ""), "",
            "## Trace", "", summary or "(no trace recorded)", "",
            "## Affected versions", "", shown, "",
            f"First seen {first_seen:%Y-%m-%d %H:%M} UTC, last seen {last_seen:%Y-%m-%d %H:%M} UTC.", "",
            "## Workaround", "", "(to be written)", "",
        ]
    )
    return title, body
