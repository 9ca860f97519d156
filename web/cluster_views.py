"""View models of the cluster pages: frames with their context, the grouping explanation as lines,
filters read from a query string. Plain data in, plain data out; the templates only loop over it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from server.errors import Invalid
from web import svg

STATUSES = ("unresolved", "regressed", "resolved", "ignored")
SORTS = ("last_seen", "first_seen", "count", "users", "trending")
DEPTH_CLASSES = 6  # .depth-0 ... .depth-5 in clusters.css


@dataclass(frozen=True)
class Filters:
    """The list's GET form; empty fields are None, so links keep only what was chosen."""

    project: int | None = None
    status: str | None = None
    release: str | None = None
    environment: str | None = None
    q: str | None = None
    sort: str = "last_seen"
    owner: str | None = None  # "me", "none" (nobody) or a member's e-mail

    def params(self, **override: Any) -> dict[str, Any]:
        values = {"project": self.project, "status": self.status, "release": self.release,
                  "environment": self.environment, "q": self.q, "sort": self.sort, "owner": self.owner}
        values.update(override)
        return values

    @property
    def narrowed(self) -> bool:
        return any((self.status, self.release, self.environment, self.q, self.owner))


def _text(value: str | None, name: str, limit: int = 200) -> str | None:
    value = (value or "").strip()
    if "\x00" in value or len(value) > limit:
        raise Invalid(f"{name} is too long or holds a NUL character", name)
    return value or None


def filters_of(project: str | None, status: str | None, release: str | None, environment: str | None,
               q: str | None, sort: str | None, owner: str | None = None) -> Filters:
    """The query string checked: an unknown status or sort is a 400 naming it, blanks mean "any"."""
    status = _text(status, "status")
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    sort = _text(sort, "sort") or "last_seen"
    if sort not in SORTS:
        raise Invalid(f"sort must be one of {', '.join(SORTS)}", "sort")
    project_text = _text(project, "project", 20)
    if project_text is not None and not project_text.isdigit():
        raise Invalid("project must be a project id", "project")
    return Filters(int(project_text) if project_text else None, status, _text(release, "release"),
                   _text(environment, "environment"), _text(q, "q"), sort, _text(owner, "owner", 254))


def when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def spark(counts: Sequence[int], label: str) -> Markup:
    return Markup(svg.sparkline([float(c) for c in counts], width=112, height=24, label=label))  # noqa: S704 - escaped in web.svg


def bar_chart(rows: Sequence[tuple[str, int]], label: str) -> Markup:
    return Markup(svg.bars([(name, float(n)) for name, n in rows], label=label))  # noqa: S704 - escaped in web.svg


@dataclass
class FrameView:
    where: str  # function, file and line as one line of text
    in_app: bool
    lines: list[tuple[int | None, str, bool]]  # (line number, source, is the crashing line)
    raw: str | None  # the frame as the SDK sent it, when symbolication rewrote it


@dataclass
class ExceptionView:
    type: str
    value: str
    frames: list[FrameView] = field(default_factory=list)
    in_app_count: int = 0


def _where(frame: dict[str, Any]) -> str:
    function = frame.get("function") or frame.get("raw_function") or "?"
    place = frame.get("filename") or frame.get("abs_path") or frame.get("module") or frame.get("package") or ""
    line = frame.get("lineno")
    col = frame.get("colno")
    at = f"{place}:{line}" if line else place
    if col:
        at += f":{col}"
    addr = frame.get("instruction_addr")
    return " ".join(x for x in (function, f"({at})" if at else "", addr or "") if x)


def _lines(frame: dict[str, Any]) -> list[tuple[int | None, str, bool]]:
    line = frame.get("lineno")
    pre = list(frame.get("pre_context") or ())
    post = list(frame.get("post_context") or ())
    if frame.get("context_line") is None:
        return []
    start = line - len(pre) if isinstance(line, int) else None
    out: list[tuple[int | None, str, bool]] = []
    for i, text in enumerate([*pre, frame["context_line"], *post]):
        out.append((start + i if start is not None else None, text, i == len(pre)))
    return out


def exceptions_of(event: Any | None) -> list[ExceptionView]:
    """The latest event's chain, cause first (Sentry's order); frames innermost last, as Python prints them."""
    if event is None:
        return []
    views = []
    for exc in event.exception:
        frames = [
            FrameView(_where(f), bool(f.get("in_app")), _lines(f), _where(f["raw"]) if isinstance(f.get("raw"), dict) else None)
            for f in exc.get("frames") or ()
        ]
        views.append(ExceptionView(exc.get("type") or "", exc.get("value") or "", frames, sum(f.in_app for f in frames)))
    return views


@dataclass
class GroupingLine:
    depth: int
    name: str
    value: str | None
    contributes: bool
    hint: str | None

    @property
    def depth_class(self) -> str:
        return f"depth-{min(self.depth, DEPTH_CLASSES - 1)}"


def grouping_lines(components: Any, depth: int = 0) -> list[GroupingLine]:
    """The explanation tree, depth first, as indented lines (what counted, and why not where it did not)."""
    if not isinstance(components, dict):
        return []
    out = [GroupingLine(depth, str(components.get("id", "")), components.get("value"),
                        bool(components.get("contributes", True)), components.get("hint"))]
    for child in components.get("children") or ():
        out.extend(grouping_lines(child, depth + 1))
    return out


def method_sentence(grouping: dict[str, Any] | None, _: Callable[..., str]) -> str:
    """One sentence a person reads: how the latest event found this cluster."""
    if not grouping:
        return _("The latest event has no grouping record (it was grouped before explanations were kept).")
    method = grouping.get("method")
    if method == "new":
        return _("The first event with this fingerprint started the cluster: no known cluster was close enough.")
    if method == "exact":
        return _("The latest event's fingerprint is one this cluster already has.")
    if method == "fuzzy":
        score = grouping.get("score")
        return _("The latest event's fingerprint was new, but its stack was similar enough to join (similarity {score}).",
                 score=f"{score:.2f}" if isinstance(score, (int, float)) else "?")
    return _("Grouped by {method}.", method=str(method))


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
