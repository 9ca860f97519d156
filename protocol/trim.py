"""Trim a normalised event to a byte budget, the way Sentry's SDKs and Relay do (pure).

An oversized crash is still a crash: rather than refuse it, the parts that matter least
go first, one step at a time, until the event fits. Local variables never reach the
normalised event (``protocol.parse`` leaves them in the raw payload, kept as received);
then source context of middle frames, then middle frames themselves (the outermost and
innermost are kept, ``frames_omitted`` set), then long strings, contexts and other
threads. Every exception of the chain and every kept frame's ``context_line`` survive,
so the event groups as it would have whole. Each step that ran is noted on the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from protocol.model import Event, ExceptionValue, Frame, Thread

CONTEXT_FRAMES = 10  # innermost frames of each stack that keep their source context
KEEP_OUTER, KEEP_INNER = 25, 100  # frames kept at each end of a stack that is cut
LAST_OUTER, LAST_INNER = 5, 20  # the last resort
SHORT_TEXT = 1024

_encode = msgspec.json.Encoder().encode


def event_size(event: Event) -> int:
    return len(_encode(event))


def trim_event(event: Event, budget: int) -> Event:
    """``event`` if it fits in ``budget`` bytes of JSON, else a trimmed copy noting what went."""
    if event_size(event) <= budget:
        return event
    done: list[str] = []
    for note, step in _STEPS:
        trimmed = step(event)
        if trimmed is not event:
            event = trimmed
            done.append(note)
            if event_size(event) <= budget:
                break
    if not done:
        return event
    return msgspec.structs.replace(
        event, notes=(*event.notes, f"trimmed to the event budget of {budget} bytes: " + "; ".join(done))
    )


# --- the steps, least valuable first ------------------------------------------------------------


PerStack = Callable[[tuple[Frame, ...]], tuple[tuple[Frame, ...], bool]]
_Stack = TypeVar("_Stack", ExceptionValue, Thread)


def _restack(stacks: tuple[_Stack, ...], per_stack: PerStack) -> tuple[_Stack, ...]:
    out = []
    for stack in stacks:
        frames, omitted = per_stack(stack.frames)
        if frames is not stack.frames:
            stack = msgspec.structs.replace(stack, frames=frames, frames_omitted=stack.frames_omitted or omitted)
        out.append(stack)
    return tuple(out)


def _stacks(event: Event, per_stack: PerStack) -> Event:
    """Apply ``per_stack`` to every stack; the same object back if nothing changed."""
    exceptions = _restack(event.exceptions, per_stack)
    threads = _restack(event.threads, per_stack)
    if exceptions == event.exceptions and threads == event.threads:
        return event
    return msgspec.structs.replace(event, exceptions=exceptions, threads=threads)


def _without_context(frames: tuple[Frame, ...], keep_inner: int) -> tuple[tuple[Frame, ...], bool]:
    """Drop pre/post context outside the innermost ``keep_inner`` frames; ``context_line``
    stays everywhere, because grouping reads it at the crash site."""
    cut = len(frames) - keep_inner
    if cut <= 0 or not any(f.pre_context or f.post_context for f in frames[:cut]):
        return frames, False
    slim = tuple(msgspec.structs.replace(f, pre_context=(), post_context=()) for f in frames[:cut])
    return slim + frames[cut:], False


def _middle_cut(frames: tuple[Frame, ...], outer: int, inner: int) -> tuple[tuple[Frame, ...], bool]:
    if len(frames) <= outer + inner:
        return frames, False
    return frames[:outer] + frames[-inner:], True


def _short(text: str | None) -> str | None:
    return text[:SHORT_TEXT] + "..." if text is not None and len(text) > SHORT_TEXT else text


def _shorten_strings(event: Event) -> Event:
    exceptions = tuple(msgspec.structs.replace(e, value=_short(e.value)) for e in event.exceptions)
    shortened = msgspec.structs.replace(
        event,
        message=_short(event.message),
        message_template=_short(event.message_template),
        exceptions=exceptions,
        tags={k[:200]: v[:200] for k, v in event.tags.items()},
        request_url=_short(event.request_url),
    )
    return event if shortened == event else shortened


def _drop_contexts(event: Event) -> Event:
    """Contexts other than ``minidump`` (symbolication reads it); debug images stay for the same reason."""
    kept = {k: v for k, v in event.contexts.items() if k == "minidump"}
    return event if len(kept) == len(event.contexts) else msgspec.structs.replace(event, contexts=kept)


def _crashed_thread_only(event: Event) -> Event:
    kept = tuple(t for t in event.threads if t.crashed)
    return event if len(kept) == len(event.threads) else msgspec.structs.replace(event, threads=kept)


_STEPS: tuple[tuple[str, Callable[[Event], Event]], ...] = (
    (
        f"source context dropped from all but the innermost {CONTEXT_FRAMES} frames of each stack",
        lambda e: _stacks(e, lambda fs: _without_context(fs, CONTEXT_FRAMES)),
    ),
    (
        f"middle frames omitted (kept the outermost {KEEP_OUTER} and innermost {KEEP_INNER} of each stack)",
        lambda e: _stacks(e, lambda fs: _middle_cut(fs, KEEP_OUTER, KEEP_INNER)),
    ),
    ("source context dropped from every frame (context lines kept)", lambda e: _stacks(e, lambda fs: _without_context(fs, 0))),
    (f"long strings shortened to {SHORT_TEXT} characters", _shorten_strings),
    ("contexts dropped", _drop_contexts),
    ("threads other than the crashed one dropped", _crashed_thread_only),
    (
        f"middle frames omitted (kept the outermost {LAST_OUTER} and innermost {LAST_INNER} of each stack)",
        lambda e: _stacks(e, lambda fs: _middle_cut(fs, LAST_OUTER, LAST_INNER)),
    ),
)
