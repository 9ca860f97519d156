"""From raw frames to the frames grouping compares, each step an entry of ``FRAME_RULES``.

A step takes the frame list (innermost last) and returns a new one plus hints for the
frames it set aside, so the explanation tree can say why a frame did not count. A step
that raises is skipped and noted: one odd frame must not fail a crash report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import msgspec

from dedupe import normalize
from dedupe.model import GroupingConfig, NormFrame
from protocol.model import DebugImage, Frame

# Frames at the innermost end that are the crash reporting machinery, not the crash:
# everything from the outermost match inwards is set aside (Sentry's ``^-group``).
CRASH_MACHINERY = re.compile(
    r"^(?:abort|__abort|raise|__pthread_kill|pthread_kill|__kill|kill|_?_?assert_rtn|__assert_fail"
    r"|std::terminate|std::__terminate|abort_message|\w*terminate_handler\w*|__cxa_throw|_CxxThrowException"
    r"|__stack_chk_fail|__fortify_fail|panic|core::panicking::\w+|std::panicking::\w+|rust_panic\w*"
    r"|crashpad::.*|google_breakpad::.*|sentry_\w+|objc_exception_throw|__exceptionPreprocess"
    r"|gpusGenerateCrashLog|RaiseException|KiUserExceptionDispatcher|_purecall)$"
)
# Python frames that only forward a call (decorators, functools.wraps idiom).
FORWARDING_LINE = re.compile(r"^(?:return\s+)?(?:await\s+)?[\w.]+\(\s*\*\w+\s*,\s*\*\*\w+\s*\)$")
WRAPPER_NAMES = frozenset({"wrapper", "wrapped", "_wrapper", "inner", "decorated", "_decorated", "wrapped_f", "wrapper_func"})
JS_NOISE_FILES = frozenset({"<anonymous>", "[native code]", "native code", "eval code", "eval", "<eval>"})
ASSIGNMENT = re.compile(r"^(?:[\w.\[\]'\"]+\s*,\s*)*[\w.\[\]'\"]+\s*(?::\s*[\w\[\]., ]+)?\s*(?:[-+*/|&]?=)(?!=)\s*")
LEADING_KEYWORD = re.compile(r"^(?:return|await|yield(?:\s+from)?|raise)\b\s*")

Hints = dict[int, str]
FrameRule = Callable[[list[NormFrame], Hints], list[NormFrame]]


@lru_cache(maxsize=normalize.CACHED)
def normalise_context(line: str | None) -> str:
    """The crashing statement without indentation, ``return``/``await`` or assignment target.

    Extracting a helper (``fee = TABLE[k]`` -> ``return TABLE[k]``) keeps the statement.
    """
    text = " ".join((line or "").split())
    for _ in range(2):
        text = LEADING_KEYWORD.sub("", text)
        text = ASSIGNMENT.sub("", text, count=1)
    return text[:300]


def _in_app(frame: Frame, fam: str, module: str, path: str, config: GroupingConfig) -> bool:
    key = module or path
    if any(key.startswith(p) for p in config.in_app_exclude if p):
        return False
    if any(key.startswith(p) for p in config.in_app_include if p):
        return True
    raw_path = frame.abs_path or frame.filename or ""
    if fam == "python" and ("<frozen " in raw_path or "site-packages/" in raw_path or "dist-packages/" in raw_path):
        return False
    if fam == "javascript" and "/node_modules/" in raw_path:
        return False
    return frame.in_app is True


def to_norm(frame: Frame, platform: str, config: GroupingConfig) -> NormFrame:
    """Normalise one frame; line numbers, columns and addresses are dropped here."""
    fam = normalize.family(frame.platform or platform)
    function = normalize.function_name(frame.function or frame.raw_function, fam)
    path = normalize.file_name(frame.filename or frame.abs_path)
    if fam == "native":
        module = normalize.image_name(frame.package) or path.rsplit("/", 1)[-1]
    elif fam == "javascript":
        module = _js_module(path) or normalize.module_name(frame.module, fam) or ""
    else:
        module = normalize.module_name(frame.module, fam) or path
    return NormFrame(
        function=function,
        module=module,
        context=normalise_context(frame.context_line),
        in_app=_in_app(frame, fam, module, frame.module or path, config),
        family=fam,
    )


_JS_EXTENSION = re.compile(r"\.(?:[cm]?[jt]sx?|html?)$")


def _js_module(path: str) -> str:
    """A script's identity: its file name without extension, whatever root served it (file://,
    http://host/); SDKs disagree on ``module`` for the same file, so the path decides.
    Engine-internal locations ("native code", "<anonymous>") stay as they are, to be dropped."""
    if path in JS_NOISE_FILES:
        return path
    return _JS_EXTENSION.sub("", path.rsplit("/", 1)[-1])


def drop_noise(frames: list[NormFrame], hints: Hints) -> list[NormFrame]:
    """Set aside frames that differ between runtimes, not between bugs."""
    out = []
    for i, f in enumerate(frames):
        if f.module in JS_NOISE_FILES or f.function in ("eval", "eval code"):
            hints[i] = "engine-internal frame (eval / native code)"
        elif (f.function in WRAPPER_NAMES and i < len(frames) - 1) or (f.context and FORWARDING_LINE.match(f.context)):
            hints[i] = "forwarding wrapper frame (decorator)"
        elif not f.function and (not f.module or f.family == "javascript"):
            hints[i] = "anonymous frame"
        else:
            out.append(f)
    return out


def merge_comprehensions(frames: list[NormFrame], hints: Hints) -> list[NormFrame]:
    """Fold Python comprehension frames into their function (Python 3.12 inlines them)."""
    out: list[NormFrame] = []
    for f in frames:
        if f.function == "<comprehension>":
            continue
        out.append(f)
    if frames and frames[-1].function == "<comprehension>" and out and out[-1].in_app == frames[-1].in_app:
        out[-1] = msgspec.structs.replace(out[-1], context=frames[-1].context or out[-1].context)
    return out


def collapse_recursion(frames: list[NormFrame], hints: Hints) -> list[NormFrame]:
    """Collapse directly or mutually recursive runs (cycles of up to 3 frames) to one pass."""
    out: list[NormFrame] = []
    for f in frames:
        out.append(f)
        for period in (1, 2, 3):
            if len(out) >= 2 * period and all(
                (out[-k].function, out[-k].module) == (out[-k - period].function, out[-k - period].module)
                for k in range(1, period + 1)
            ):
                # keep the innermost pass's context lines: that is where it failed
                del out[-2 * period : -period]
                break
    return out


FRAME_RULES: tuple[tuple[str, FrameRule], ...] = (
    ("drop-noise", drop_noise),
    ("merge-comprehensions", merge_comprehensions),
    ("collapse-recursion", collapse_recursion),
)


def trim_machinery(frames: Sequence[NormFrame]) -> tuple[NormFrame, ...]:
    """Drop the innermost frames from the outermost crash-machinery frame inwards."""
    for i, f in enumerate(frames):
        if f.function and CRASH_MACHINERY.match(f.function):
            return tuple(frames[:i]) or tuple(frames)
    return tuple(frames)


def _addr(value: str | None) -> int | None:
    try:
        return int(value, 16) if value else None
    except ValueError:
        return None


def _image_table(images: Sequence[DebugImage]) -> list[tuple[int, int, str]]:
    table = []
    for img in images:
        start = _addr(img.image_addr)
        if start is not None and img.image_size:
            name = normalize.image_name(img.code_file or img.debug_file) or "?"
            table.append((start, start + img.image_size, name))
    return table


def _unsymbolicated(norm: NormFrame, frame: Frame, images: list[tuple[int, int, str]]) -> NormFrame:
    """A native frame without a function name is named by module+offset instead of vanishing.

    The offset into its image is the same in every process of one build (unlike the
    absolute address under ASLR), so the same unsymbolicated crash still groups, and two
    different crashes in one library do not collapse into "somewhere in libfoo.so".
    """
    if norm.function or norm.family != "native":
        return norm
    pc = _addr(frame.instruction_addr)
    if pc is None:
        return norm
    base = _addr(frame.image_addr)
    module = norm.module
    if base is None:
        hit = next(((start, name) for start, end, name in images if start <= pc < end), None)
        if hit is None:
            return norm
        base, module = hit[0], module or hit[1]
    return msgspec.structs.replace(norm, function=f"{module or '?'}+{pc - base:#x}", module=module)


def normalise_frames(
    frames: Sequence[Frame], platform: str, config: GroupingConfig, notes: list[str], images: Sequence[DebugImage] = ()
) -> tuple[NormFrame, ...]:
    """Run every rule of ``FRAME_RULES`` in order; a failing rule becomes a note."""
    table = _image_table(images)
    current = [_unsymbolicated(to_norm(f, platform, config), f, table) for f in frames]
    for name, rule in FRAME_RULES:
        try:
            current = rule(current, {})
        except Exception as exc:  # noqa: BLE001 - a broken rule must not drop the event
            notes.append(f"frame rule {name} failed: {type(exc).__name__}: {exc}")
    return tuple(current)
