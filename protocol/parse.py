"""Fold a raw Sentry event payload (any SDK, any protocol age) into an ``Event``.

Tolerant by design: a field of the wrong type is dropped with a note rather than
failing the event, because a crash report with one odd field is still a crash report.
Only a payload that is not a JSON object at all is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from protocol.errors import EventParseError
from protocol.model import DebugImage, Event, ExceptionValue, Frame, Thread

_LEGACY_KEYS = {
    "sentry.interfaces.Exception": "exception",
    "sentry.interfaces.Message": "logentry",
    "sentry.interfaces.Stacktrace": "stacktrace",
    "sentry.interfaces.User": "user",
    "sentry.interfaces.Http": "request",
    "sentry.interfaces.Threads": "threads",
    "sentry.interfaces.DebugMeta": "debug_meta",
}
_MAX_TEXT = 8192
_MAX_NAME = 250  # release and environment names (Sentry allows 200 and 64)
# Payloads come from a JSON decoder, so objects are plain dicts: ``isinstance(x, dict)`` is
# several times cheaper than the ``Mapping`` ABC check, and this runs for every field of
# every frame of every event.


def parse_event(payload: object, *, event_id: str, received: float | None = None) -> Event:
    """Normalise ``payload``; ``event_id`` is the id the event was stored under."""
    if not isinstance(payload, dict):
        raise EventParseError(event_id, f"event payload is a JSON {type(payload).__name__}, not an object")
    data: dict[str, Any] = dict(payload)
    for legacy, modern in _LEGACY_KEYS.items():
        if legacy in data and modern not in data:
            data[modern] = data[legacy]
    notes: list[str] = []

    exceptions = _exceptions(data.get("exception"), notes)
    stack = _frames(_get(data.get("stacktrace"), "frames"), notes)
    threads = _threads(data.get("threads"), notes)
    if stack and exceptions and not exceptions[-1].frames:
        exceptions = (*exceptions[:-1], msgspec.structs.replace(exceptions[-1], frames=stack))
    elif stack and not exceptions:
        threads = (Thread(crashed=True, current=True, frames=stack), *threads)

    message, template = _message(data, notes)
    sdk = data.get("sdk") if isinstance(data.get("sdk"), dict) else {}
    request = data.get("request") if isinstance(data.get("request"), dict) else {}
    return Event(
        event_id=event_id,
        timestamp=_timestamp(data.get("timestamp"), received),
        platform=_text(data.get("platform")) or "other",
        level=(_text(data.get("level")) or "error").lower(),
        logger=_text(data.get("logger")),
        transaction=_text(data.get("transaction")) or _text(data.get("culprit")),
        server_name=_text(data.get("server_name")),
        release=_name(data.get("release"), "release", notes),
        dist=_text(data.get("dist")),
        environment=_name(data.get("environment"), "environment", notes),
        message=message,
        message_template=template,
        exceptions=exceptions,
        threads=threads,
        fingerprint=_fingerprint(data.get("fingerprint"), notes),
        tags=_tags(data.get("tags"), notes),
        user=_user(data.get("user")),
        contexts=_contexts(data.get("contexts")),
        sdk_name=_text(sdk.get("name")),
        sdk_version=_text(sdk.get("version")),
        request_url=_text(request.get("url")),
        request_method=_text(request.get("method")),
        debug_images=_images(_get(data.get("debug_meta"), "images")),
        notes=tuple(notes),
    )


def _get(obj: object, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _text(value: object, limit: int = _MAX_TEXT) -> str | None:
    if type(value) is str:
        text = value
    elif value is None or isinstance(value, (dict, list)):
        return None
    else:
        text = str(value)
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        text = text.replace("\x00", "\ufffd")
    return text[:limit] if text else None


def _name(value: object, what: str, notes: list[str]) -> str | None:
    """A release or environment name: one that long is no name (it keys counters and indexes), so drop it, noted."""
    text = _text(value)
    if text is not None and len(text) > _MAX_NAME:
        notes.append(f"{what} dropped: {len(text)} characters, over the limit of {_MAX_NAME}")
        return None
    return text


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _addr(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return hex(value)
    if isinstance(value, str) and value:
        try:
            return hex(int(value, 0))
        except ValueError:
            return None
    return None


def _timestamp(value: object, fallback: float | None) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    return fallback


def _values(obj: object) -> list[Any]:
    """Sentry allows both ``{"values": [...]}`` and a bare list."""
    if isinstance(obj, list):
        return obj
    values = _get(obj, "values")
    return values if isinstance(values, list) else []


def _frame(raw: object) -> Frame | None:
    if not isinstance(raw, dict):
        return None
    return Frame(
        function=_text(raw.get("function"), 1024),
        raw_function=_text(raw.get("raw_function"), 1024),
        module=_text(raw.get("module"), 1024),
        package=_text(raw.get("package"), 1024),
        filename=_text(raw.get("filename"), 1024),
        abs_path=_text(raw.get("abs_path"), 2048),
        lineno=_int(raw.get("lineno")),
        colno=_int(raw.get("colno")),
        context_line=_text(raw.get("context_line"), 1024),
        pre_context=_lines(raw.get("pre_context")),
        post_context=_lines(raw.get("post_context")),
        in_app=_bool(raw.get("in_app")),
        platform=_text(raw.get("platform")),
        instruction_addr=_addr(raw.get("instruction_addr")),
        symbol_addr=_addr(raw.get("symbol_addr")),
        image_addr=_addr(raw.get("image_addr")),
        addr_mode=_text(raw.get("addr_mode")),
        trust=_text(raw.get("trust")),
    )


def _lines(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(line[:1024] if isinstance(line, str) else "" for line in value[:20])


def _frames(raw: object, notes: list[str]) -> tuple[Frame, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        notes.append("stacktrace.frames is not a list; ignored")
        return ()
    frames = [f for f in (_frame(r) for r in raw) if f is not None]
    if len(frames) != len(raw):
        notes.append(f"{len(raw) - len(frames)} frame(s) were not objects; ignored")
    return tuple(frames)


def _exceptions(raw: object, notes: list[str]) -> tuple[ExceptionValue, ...]:
    out = []
    for item in _values(raw):
        if not isinstance(item, dict):
            notes.append("an exception value is not an object; ignored")
            continue
        mechanism = item.get("mechanism") if isinstance(item.get("mechanism"), dict) else {}
        stack = item.get("stacktrace") or item.get("raw_stacktrace")
        out.append(
            ExceptionValue(
                type=_text(item.get("type"), 512),
                value=_text(item.get("value")),
                module=_text(item.get("module"), 512),
                mechanism=_text(mechanism.get("type")),
                handled=_bool(mechanism.get("handled")),
                synthetic=mechanism.get("synthetic") is True,
                exception_id=_int(mechanism.get("exception_id")),
                parent_id=_int(mechanism.get("parent_id")),
                thread_id=_text(item.get("thread_id")),
                frames=_frames(_get(stack, "frames"), notes),
                frames_omitted=bool(_get(stack, "frames_omitted")),
            )
        )
    return tuple(out)


def _threads(raw: object, notes: list[str]) -> tuple[Thread, ...]:
    out = []
    for item in _values(raw):
        if not isinstance(item, dict):
            continue
        out.append(
            Thread(
                id=_text(item.get("id")),
                name=_text(item.get("name"), 256),
                crashed=item.get("crashed") is True,
                current=item.get("current") is True,
                frames=_frames(_get(item.get("stacktrace"), "frames"), notes),
            )
        )
    return tuple(out)


def _message(data: Mapping[str, Any], notes: list[str]) -> tuple[str | None, str | None]:
    """Return (formatted message, template) from ``logentry`` or ``message``."""
    for key in ("logentry", "message"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value[:_MAX_TEXT], None
        if isinstance(value, dict):
            template = _text(value.get("message"))
            formatted = _text(value.get("formatted"))
            params = value.get("params")
            if formatted is None and template is not None and params:
                formatted = _format(template, params)
            if formatted or template:
                return formatted or template, template
    return None, None


def _format(template: str, params: object) -> str:
    try:
        if isinstance(params, list):
            return template % tuple(params)
        if isinstance(params, dict):
            return template % dict(params)
    except (TypeError, ValueError, KeyError):
        pass
    return template


def _fingerprint(raw: object, notes: list[str]) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        notes.append("fingerprint is not a non-empty list; ignored")
        return None
    parts = []
    for part in raw:
        if isinstance(part, (str, int, float)) and not isinstance(part, bool):
            parts.append(str(part)[:512])
        else:
            notes.append("a fingerprint part is not a string; ignored")
    return tuple(parts) or None


def _tags(raw: object, notes: list[str]) -> dict[str, str]:
    pairs: list[tuple[object, object]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                notes.append("a tag is not a [key, value] pair; ignored")
    tags = {}
    for key, value in pairs:
        k, v = _text(key, 200), _text(value, 200)
        if k and v is not None:
            tags[k] = v
    return tags


def _user(raw: object) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        return None
    user = {k: _text(raw.get(k), 256) for k in ("id", "email", "username", "ip_address")}
    kept = {k: v for k, v in user.items() if v}
    return kept or None


def _contexts(raw: object) -> dict[str, dict[str, object]]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): dict(v) for k, v in raw.items() if isinstance(v, dict)}


def _images(raw: object) -> tuple[DebugImage, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        out.append(
            DebugImage(
                type=_text(item.get("type")),
                code_file=_text(item.get("code_file") or item.get("name"), 1024),
                debug_file=_text(item.get("debug_file"), 1024),
                debug_id=_text(item.get("debug_id") or item.get("id")),
                code_id=_text(item.get("code_id")),
                image_addr=_addr(item.get("image_addr")),
                image_size=_int(item.get("image_size")),
                image_vmaddr=_addr(item.get("image_vmaddr")),
                arch=_text(item.get("arch")),
                uuid=_text(item.get("uuid")),
            )
        )
    return tuple(out)
