"""One event in full: its normalised fields, stack frames with context lines (in-app ones
emphasised), breadcrumbs, tags, contexts, processing notes and the raw payload as received."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get

from server.services import events, projects
from web.render import render
from web.session import member, pool

Request_ = Request[Any, Any, Any]
MAX_RAW = 500_000  # characters of pretty JSON shown; the API gives the whole payload
TRANSLATED = ["pending", "processed", "failed", "fatal", "error", "warning", "info", "debug"]


class LineView(msgspec.Struct, frozen=True):
    number: int | None
    text: str
    current: bool


class FrameView(msgspec.Struct, frozen=True):
    where: str  # function, or the module/file when the SDK sent no function name
    location: str  # file:line:column
    in_app: bool
    lines: list[LineView]
    raw_location: str | None  # the frame as sent, when symbolication rewrote it


class StackView(msgspec.Struct, frozen=True):
    title: str  # "ValueError: bad input", or a thread's name
    kind: str  # "exception" or "thread"
    mechanism: str | None
    handled: bool | None
    frames: list[FrameView]  # innermost last, as in a Python traceback


def _location(frame: dict[str, Any]) -> str:
    place = frame.get("filename") or frame.get("abs_path") or frame.get("module") or frame.get("package") or ""
    for part in ("lineno", "colno"):
        if frame.get(part) is not None:
            place += f":{frame[part]}"
    if not place and frame.get("instruction_addr"):
        place = str(frame["instruction_addr"])
    return place


def frame_view(frame: dict[str, Any]) -> FrameView:
    pre, post = list(frame.get("pre_context") or []), list(frame.get("post_context") or [])
    lineno = frame.get("lineno")
    first = lineno - len(pre) if isinstance(lineno, int) else None
    lines = [LineView(first + i if first is not None else None, text, False) for i, text in enumerate(pre)]
    if frame.get("context_line") is not None:
        lines.append(LineView(lineno, frame["context_line"], True))
        lines += [LineView(lineno + 1 + i if isinstance(lineno, int) else None, text, False) for i, text in enumerate(post)]
    raw = frame.get("raw")
    return FrameView(
        where=frame.get("function") or frame.get("module") or "?",
        location=_location(frame),
        in_app=frame.get("in_app") is True,
        lines=lines if frame.get("context_line") is not None else [],
        raw_location=f"{raw.get('function') or '?'} {_location(raw)}" if isinstance(raw, dict) else None,
    )


def stacks(normalized: dict[str, Any] | None) -> list[StackView]:
    """Exceptions (the cause first, as sent), else the threads that have frames (the crashed one first)."""
    data = normalized or {}
    out = [
        StackView(
            title=": ".join(p for p in (e.get("type"), e.get("value")) if p) or "?",
            kind="exception", mechanism=e.get("mechanism"), handled=e.get("handled"),
            frames=[frame_view(f) for f in e.get("frames") or []],
        )
        for e in data.get("exceptions") or []
    ]
    if not out:
        threads = sorted((t for t in data.get("threads") or [] if t.get("frames")), key=lambda t: not t.get("crashed"))
        out = [
            StackView(title=t.get("name") or f"thread {t.get('id') or '?'}", kind="thread", mechanism=None,
                      handled=None if not t.get("crashed") else False, frames=[frame_view(f) for f in t["frames"]])
            for t in threads
        ]
    return out


def _plain(value: object) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def context_view(contexts: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each context (os, runtime, device, ...) as (name, [(field, text)]), both sorted."""
    return [
        (name, sorted((k, _plain(v)) for k, v in fields.items()) if isinstance(fields, dict) else [("", _plain(fields))])
        for name, fields in sorted(contexts.items())
    ]


@get("/o/{org_slug:str}/projects/{project_id:int}/events/{event_id:str}")
async def event_page(request: Request_, org_slug: str, project_id: int, event_id: str) -> Response[Any]:
    _, m = await member(request, org_slug)
    db = pool(request)
    project, event = await asyncio.gather(
        projects.require(db, m.organization_id, project_id), events.get_event(db, m.organization_id, project_id, event_id)
    )
    normalized = event.normalized or {}
    raw = msgspec.json.format(msgspec.json.encode(event.payload), indent=2).decode() if event.payload is not None else ""
    return render(
        request, "events/event.html", project=project, event=event, stacks=stacks(event.normalized),
        breadcrumbs=events.breadcrumbs(event.payload), tags=sorted((normalized.get("tags") or {}).items()),
        contexts=context_view(normalized.get("contexts") or {}), user=normalized.get("user") or {},
        raw=raw[:MAX_RAW], raw_cut=len(raw) > MAX_RAW, sdk=normalized.get("sdk_name"),
        sdk_version=normalized.get("sdk_version"),
    )


ROUTES = [event_page]
