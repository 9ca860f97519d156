"""ProGuard/R8 deobfuscation of Java frames and exception classes (symbolic's proguard.txt)."""

from __future__ import annotations

from protocol import DebugImage, Event, ExceptionValue, Frame
from symbolication import ArtifactRef, load_artifact, needed_artifacts, symbolicate
from tests.symbolication.helpers import SYMBOLIC

UUID = "a48ca62b-df26-544e-a8b9-2a5ce210d1d5"
REF = ArtifactRef(kind="proguard", debug_id=UUID)


def _event(frames: tuple[Frame, ...], exc_type: str = "a", exc_module: str | None = None) -> Event:
    return Event(
        event_id="a" * 32,
        platform="java",
        exceptions=(ExceptionValue(type=exc_type, module=exc_module, value="boom", frames=frames),),
        debug_images=(DebugImage(type="proguard", uuid=UUID.upper()),),
    )


def _mapper():  # type: ignore[no-untyped-def]
    return load_artifact("proguard", (SYMBOLIC / "proguard.txt").read_bytes(), "proguard.txt")


def test_needs_the_mapping_by_uuid() -> None:
    assert needed_artifacts(_event((Frame(module="a.b", function="c", lineno=1),))) == (REF,)


def test_inlined_frames_expand_innermost_last() -> None:
    raw = Frame(module="io.sentry.sample.MainActivity", function="a", lineno=1, filename="SourceFile", in_app=True)
    outer = Frame(module="android.support.constraint.a.b", function="a", lineno=116)
    result = symbolicate(_event((outer, raw)), {REF: _mapper()})
    frames = result.event.exceptions[0].frames
    assert [(f.module, f.function, f.lineno) for f in frames] == [
        ("android.support.constraint.solver.ArrayRow", "createRowDefinition", 116),
        ("io.sentry.sample.MainActivity", "onClickHandler", 40),
        ("io.sentry.sample.MainActivity", "foo", 44),
        ("io.sentry.sample.MainActivity", "bar", 54),
    ]
    assert all(f.raw == raw for f in frames[1:]) and frames[0].raw == outer
    assert frames[-1].in_app is True and frames[-1].filename is None  # "SourceFile" says nothing
    assert result.notes == () and result.missing == ()


def test_method_without_line_info() -> None:
    frame = Frame(module="android.support.constraint.a.b", function="f")
    (out,) = symbolicate(_event((frame,)), {REF: _mapper()}).event.exceptions[0].frames
    assert (out.module, out.function) == ("android.support.constraint.solver.ArrayRow", "pickRowVariable")


def test_exception_class_is_deobfuscated() -> None:
    event = _event((), exc_type="ConstraintLayout$a", exc_module="android.support.constraint")
    exc = symbolicate(event, {REF: _mapper()}).event.exceptions[0]
    assert (exc.module, exc.type) == ("android.support.constraint", "ConstraintLayout$LayoutParams")


def test_missing_mapping_leaves_frames_and_says_so() -> None:
    event = _event((Frame(module="io.sentry.sample.MainActivity", function="a", lineno=1),))
    result = symbolicate(event, {})
    assert result.event == event
    assert result.missing == (REF,)
    assert any(UUID in n for n in result.notes)
