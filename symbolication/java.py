"""Deobfuscate Java/Android frames and exception class names with ProGuard/R8 maps.

One obfuscated frame can stand for several original ones when R8 inlined methods;
symbolic returns them innermost first and they are emitted innermost last here, in
the event's frame order.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import symbolic

from protocol.model import ExceptionValue, Frame

_USELESS_FILES = frozenset({"SourceFile", "Unknown Source", "UnknownSource"})


def remap_frame(frame: Frame, mappers: Sequence[symbolic.ProguardMapper]) -> tuple[Frame, ...] | None:
    """Original frames (outermost first) for one obfuscated frame, or ``None`` if no map knows it."""
    assert frame.module is not None and frame.function is not None
    for mapper in mappers:
        found = mapper.remap_frame(frame.module, frame.function, frame.lineno or 0)
        if found:
            return tuple(_frame(frame, f.class_name, f.method, f.line or frame.lineno, f.file) for f in reversed(found))
    for mapper in mappers:
        method = mapper.remap_method(frame.module, frame.function)
        if method is not None:
            return (_frame(frame, method[0], method[1], frame.lineno, None),)
        klass = mapper.remap_class(frame.module)
        if klass is not None:
            return (_frame(frame, klass, frame.function, frame.lineno, None),)
    return None


def remap_exception(exc: ExceptionValue, mappers: Sequence[symbolic.ProguardMapper]) -> ExceptionValue | None:
    """The exception with its class name deobfuscated, or ``None`` if unchanged."""
    if not exc.type:
        return None
    full = f"{exc.module}.{exc.type}" if exc.module else exc.type
    for mapper in mappers:
        original = mapper.remap_class(full)
        if original:
            module, _, name = original.rpartition(".")
            if exc.module or not module:
                return msgspec.structs.replace(exc, type=name, module=module or None)
            return msgspec.structs.replace(exc, type=original)
    return None


def _frame(raw: Frame, klass: str, method: str, line: int | None, file: str | None) -> Frame:
    filename = file or (raw.filename if raw.filename not in _USELESS_FILES else None)
    return Frame(
        function=method,
        module=klass,
        package=raw.package,
        filename=filename,
        abs_path=filename,
        lineno=line or None,
        in_app=raw.in_app,
        platform=raw.platform,
        raw=raw,
    )
