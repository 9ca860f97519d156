"""The default fingerprint: which exception, which frames, and the explanation tree.

The principle: a bug is the code location that has to change. So the hash is the root
cause's exception type plus the crash site -- the innermost in-app frame (its module,
function and crashing statement when the SDK sent source context), or the innermost
few in-app frames when it did not. Outer frames (entry points, callers) and line
numbers never contribute: they change with every caller and every release. Without
in-app frames the innermost system frames stand in, after the crash-reporting machinery
(abort, raise, terminate handlers) is set aside.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

import msgspec

from dedupe.frames import normalise_frames, trim_machinery
from dedupe.model import CONFIG_ID, Component, GroupingConfig, NormFrame, Signature
from dedupe.params import parameterize, parameterize_all
from protocol.model import Event, ExceptionValue

SITE_FRAMES_NO_CONTEXT = 3
"""In-app frames hashed when there is no source context to tell two lines apart."""
SITE_FRAMES_SYSTEM = 4
"""System frames hashed when no frame is in-app."""
SIGNATURE_FRAMES = 8
OVERFLOW_TYPE = re.compile(r"(?i)^(?:[\w.$]*\.)?(?:RecursionError|StackOverflow(?:Error|Exception)?|SystemStackError)$")
OVERFLOW_MESSAGE = re.compile(r"(?i)maximum (?:recursion depth|call stack)|stack (?:level too deep|overflow)|too much recursion")


class Analysis(msgspec.Struct, frozen=True):
    """Everything later steps need from one event, computed once."""

    exc_type: str
    value: str
    frames: tuple[NormFrame, ...]
    site: tuple[NormFrame, ...]
    mode: str
    hash_parts: tuple[str, ...]
    components: Component
    signature: Signature
    keys: tuple[str, ...]
    crash: NormFrame | None


def digest(parts: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def _key(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def frame_identity(frame: NormFrame) -> str:
    """Module and function; an unsymbolicated frame falls back to its image or file."""
    if frame.function:
        return f"{frame.module}:{frame.function}" if frame.module else frame.function
    return frame.module or "<unknown>"


def _primary(event: Event) -> int | None:
    """The root cause of the chain: the first exception (Sentry order) that has frames."""
    for i, exc in enumerate(event.exceptions):
        if exc.frames:
            return i
    return 0 if event.exceptions else None


def _raw_frames(event: Event, exc: ExceptionValue | None):  # type: ignore[no-untyped-def]
    if exc is not None and exc.frames:
        return exc.frames
    for thread in event.threads:
        if thread.crashed and thread.frames:
            return thread.frames
    for thread in event.threads:
        if thread.current and thread.frames:
            return thread.frames
    return ()


def _recursing(exc_type: str, value: str, raw, app: Sequence[NormFrame]) -> NormFrame | None:  # type: ignore[no-untyped-def]
    """For a stack overflow, the innermost in-app frame of the most repeated function."""
    if not (OVERFLOW_TYPE.match(exc_type) or OVERFLOW_MESSAGE.search(value)):
        return None
    counts = Counter(f.function for f in raw if f.in_app and f.function)
    if not counts:
        return None
    name, n = counts.most_common(1)[0]
    if n < 2:
        return None
    for f in reversed(app):
        if f.function == name:
            return f
    return None


def analyse(event: Event, config: GroupingConfig, notes: list[str]) -> Analysis:
    """Compute the default hash parts, explanation tree, signature and blocking keys."""
    idx = _primary(event)
    exc = event.exceptions[idx] if idx is not None else None
    exc_type = (exc.type or "").strip() if exc else ""
    value = (exc.value or "") if exc else (event.message_template or event.message or "")
    frames = normalise_frames(_raw_frames(event, exc), event.platform, config, notes, event.debug_images)
    app = tuple(f for f in frames if f.in_app)
    if app:
        mode = "in-app"
        grouping_frames = app
        crash: NormFrame | None = app[-1]
        recursing = _recursing(exc_type, value, _raw_frames(event, exc), app)
        if recursing is not None:
            # a stack overflow fails wherever the limit is hit; the recursion is the bug
            notes.append(f"stack overflow: crash site is the recursing frame {recursing.function}")
            grouping_frames = app[: app.index(recursing) + 1]
            crash = recursing
        site = (crash,) if crash.context else grouping_frames[-SITE_FRAMES_NO_CONTEXT:]
    elif frames:
        mode = "system"
        grouping_frames = trim_machinery(frames)
        crash = grouping_frames[-1]
        site = grouping_frames[-SITE_FRAMES_SYSTEM:]
    else:
        mode = "message"
        grouping_frames, crash, site = (), None, ()

    parts: list[str] = [CONFIG_ID, mode, exc_type]
    if site:
        parts += [frame_identity(f) for f in site]
        if len(site) == 1 and site[0].context:
            parts.append(site[0].context)
    else:
        parts.append(event.message_template or parameterize(value))

    components = _components(event, idx, exc_type, value, frames, grouping_frames, site, mode)
    signature = Signature(
        types=tuple(t for t in [exc_type, *(e.type or "" for j, e in enumerate(event.exceptions) if j != idx)]),
        message=parameterize(value),
        frames=tuple(f.function or frame_identity(f) for f in reversed(grouping_frames[-SIGNATURE_FRAMES:])),
        modules=tuple(f.module for f in reversed(grouping_frames[-SIGNATURE_FRAMES:])),
        context=crash.context if crash else "",
        platform=event.platform,
    )
    return Analysis(exc_type, value, frames, site, mode, tuple(parts), components, signature,
                    _keys(exc_type, value, grouping_frames, mode, event), crash)


def _keys(exc_type: str, value: str, frames: Sequence[NormFrame], mode: str, event: Event) -> tuple[str, ...]:
    """Blocking keys: each names one crash-site trait that survives a refactor.

    The crashing statement survives renames and moves; the function survives edits of
    the line; the caller's function name finds the cluster a helper was extracted from.
    """
    if not frames:
        return (_key("msg", exc_type, event.message_template or parameterize_all(value)),)
    crash = frames[-1]
    keys = []
    if crash.context and len(crash.context) >= 8:
        keys.append(_key("ctx", exc_type, crash.context))
    keys.append(_key("fn", exc_type, frame_identity(crash) if mode == "system" else crash.function or crash.module))
    if len(frames) > 1:
        caller = frames[-2]
        keys.append(_key("fn", exc_type, frame_identity(caller) if mode == "system" else caller.function or caller.module))
    return tuple(dict.fromkeys(keys))


def _components(
    event: Event, idx: int | None, exc_type: str, value: str, frames: Sequence[NormFrame],
    grouping_frames: Sequence[NormFrame], site: Sequence[NormFrame], mode: str,
) -> Component:
    site_ids = {id(f) for f in site}
    grouping_ids = {id(f) for f in grouping_frames}
    frame_nodes = []
    for f in reversed(frames):
        if id(f) in site_ids:
            hint = None
        elif mode == "in-app" and not f.in_app:
            hint = "not in-app"
        elif id(f) not in grouping_ids:
            hint = "crash-reporting machinery"
        else:
            hint = "outside the crash site (callers differ between entry points)"
        children = [Component("function", value=f.function or None, contributes=bool(f.function) and hint is None)]
        children.append(Component("module", value=f.module or None, contributes=hint is None and bool(f.module)))
        if f.context:
            use_ctx = hint is None and len(site) == 1
            children.append(Component("context-line", value=f.context, contributes=use_ctx,
                                      hint=None if use_ctx else "source line used only for the crash frame"))
        children.append(Component("lineno", contributes=False, hint="line numbers never contribute"))
        frame_nodes.append(Component("frame", contributes=hint is None, hint=hint, children=tuple(children)))
    stack = Component("stacktrace", contributes=bool(site), hint=None if site else "no frames",
                      children=tuple(frame_nodes))
    chain = []
    for j, e in enumerate(event.exceptions):
        primary = j == idx
        hint = None if primary else "only the root cause of a chain groups; wrappers vary by release"
        kids = [
            Component("type", value=e.type, contributes=primary),
            Component("value", value=parameterize(e.value) or None, contributes=primary and not site,
                      hint=None if primary and not site else "stack trace takes precedence" if primary else hint),
        ]
        if primary:
            kids.append(stack)
        chain.append(Component("exception", contributes=primary, hint=hint, children=tuple(kids)))
    if not event.exceptions:
        chain.append(Component("message", value=event.message_template or parameterize(value),
                               contributes=not site, hint="stack trace takes precedence" if site else None))
        if site:
            chain.append(stack)
    return Component("default", hint=f"{mode} grouping", children=tuple(chain))
