"""Trimming an oversized normalised event: least valuable parts first, chain and crash site kept."""

from __future__ import annotations

from protocol import Event, ExceptionValue, Frame, Thread, event_size, trim_event


def _frame(n: int) -> Frame:
    return Frame(
        function=f"recurse_{n % 3}", module="shop.tree", filename="shop/tree.py", lineno=n,
        context_line=f"    return recurse(node.children[{n}])", pre_context=("a" * 80,) * 5, post_context=("b" * 80,) * 5,
        in_app=True,
    )


def _event(frames: int = 1000, **extra: object) -> Event:
    cause = ExceptionValue(type="KeyError", value="'root'", frames=(_frame(1), _frame(2)))
    final = ExceptionValue(type="RecursionError", value="maximum recursion depth exceeded", frames=tuple(_frame(n) for n in range(frames)))
    return Event(event_id="e" * 32, platform="python", exceptions=(cause, final), **extra)  # type: ignore[arg-type]


def test_an_event_that_fits_is_untouched() -> None:
    event = _event(frames=10)
    assert trim_event(event, 1 << 20) is event


def test_context_goes_first_and_may_be_enough() -> None:
    event = _event()
    budget = event_size(event) // 3
    trimmed = trim_event(event, budget)
    assert event_size(trimmed) <= budget
    final = trimmed.exceptions[-1]
    assert len(final.frames) == 1000 and not final.frames_omitted
    assert final.frames[-1].pre_context and final.frames[-1].context_line  # the innermost keep it all
    assert not final.frames[0].pre_context and final.frames[0].context_line  # grouping reads context_line
    assert trimmed.notes == (
        f"trimmed to the event budget of {budget} bytes: source context dropped from all but the innermost 10 frames of each stack",
    )


def test_frames_are_cut_in_the_middle_with_frames_omitted() -> None:
    event = _event()
    trimmed = trim_event(event, 40_000)
    assert event_size(trimmed) <= 40_000
    final = trimmed.exceptions[-1]
    assert final.frames_omitted and len(final.frames) == 125
    assert final.frames[0].lineno == 0 and final.frames[24].lineno == 24 and final.frames[25].lineno == 900
    assert final.frames[-1].lineno == 999 and final.frames[-1].context_line  # the crash site
    assert [e.type for e in trimmed.exceptions] == ["KeyError", "RecursionError"]  # the whole chain
    assert "middle frames omitted (kept the outermost 25 and innermost 100 of each stack)" in trimmed.notes[-1]


def test_long_strings_threads_and_contexts_go_last() -> None:
    threads = tuple(Thread(id=str(n), crashed=n == 0, frames=tuple(_frame(i) for i in range(50))) for n in range(20))
    event = _event(frames=5, message="m" * 50_000, contexts={"os": {"name": "x" * 5000}}, threads=threads)
    trimmed = trim_event(event, 8_000)
    assert event_size(trimmed) <= 8_000
    assert trimmed.message is not None and len(trimmed.message) == 1027
    assert [t.id for t in trimmed.threads] == ["0"] and trimmed.threads[0].frames_omitted
    assert trimmed.contexts == {}
    assert [e.type for e in trimmed.exceptions] == ["KeyError", "RecursionError"]
