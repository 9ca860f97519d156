"""Traces pasted in text: each format parsed from a real sample (tests/fixtures/traces/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe import group_event
from dedupe.traces import find_traces, groupings, trace_event
from protocol.model import Event, ExceptionValue, Frame

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"


def _one(name: str):
    found = find_traces((FIXTURES / name).read_text())
    assert found, f"no trace found in {name}"
    return found[0]


def _names(exc: ExceptionValue) -> list[str | None]:
    return [f.function for f in exc.frames]


@pytest.mark.parametrize("name", ["python_chained.txt", "python_mangled.txt"])
def test_python_chained(name: str) -> None:
    t = _one(name)
    assert (t.format, t.kind) == ("python", "trace")
    cause, outer = t.exceptions
    assert (cause.type, cause.module) == ("JSONDecodeError", "json.decoder")
    assert cause.value.startswith("Expecting property name")
    assert _names(cause) == ["read_config", "load", "loads", "decode", "raw_decode"]
    assert cause.frames[1].context_line == "return json.loads(raw)"
    assert [f.in_app for f in cause.frames] == [True, True, False, False, False]
    assert (outer.type, outer.value) == ("RuntimeError", "config unreadable")
    assert _names(outer) == ["<module>", "read_config"]
    assert groupings(t)[0].culprit.endswith("in load")


@pytest.mark.parametrize("name", ["java_caused_by.txt", "java_mangled.txt"])
def test_java_caused_by_and_more(name: str) -> None:
    t = _one(name)
    cause, outer = t.exceptions
    assert cause.type == "java.lang.NumberFormatException" and cause.value == 'For input string: "two"'
    # "... 2 more" restores the enclosing trace's outermost frames
    assert _names(cause) == ["main", "load", "total", "parseQty", "parseInt", "parseInt", "forInputString"]
    assert cause.frames[3].module == "com.example.shop.Orders" and cause.frames[3].in_app
    assert not cause.frames[-1].in_app
    assert outer.type == "java.lang.IllegalStateException" and _names(outer) == ["main", "load"]
    assert groupings(t)[0].culprit == "com.example.shop.Orders in parseQty"


def test_javascript_v8() -> None:
    t = _one("node_v8.txt")
    (exc,) = t.exceptions
    assert (exc.type, exc.value) == ("TypeError", "Cannot read properties of undefined (reading 'amount')")
    assert _names(exc)[-3:] == ["cartTotal", "Array.map", "lineTotal"]
    assert not any(f.in_app for f in exc.frames if (f.filename or "").startswith("node:"))
    assert groupings(t)[0].culprit == "cart in lineTotal"


@pytest.mark.parametrize("name, value", [
    ("firefox.txt", "Default error"), ("safari.txt", "null is not an object (evaluating 'x.undef')"),
])
def test_javascript_firefox_safari(name: str, value: str) -> None:
    (exc,) = _one(name).exceptions
    assert exc.value == value
    assert _names(exc)[-2:] in (["bar", "foo"], ["foo", None])
    assert exc.frames[-1].filename == "http://path/to/file.js"


def test_dotnet_inner_exception() -> None:
    t = _one("dotnet_inner.txt")
    inner, outer = t.exceptions
    assert inner.type == "System.NullReferenceException"
    assert _names(inner) == ["Run", "Total", "LineTotal"] and inner.frames[-1].module == "Shop.Orders.Cart"
    assert (outer.type, outer.value) == ("System.InvalidOperationException", "checkout failed")
    assert _names(outer) == ["Main", "Run"]


def test_go_panic() -> None:
    (exc,) = _one("go_panic.txt").exceptions
    assert exc.value == "runtime error: index out of range [2] with length 2"
    assert [(f.module, f.function) for f in exc.frames] == [("main", "main"), ("main", "total"), ("main", "(*Cart).lineAt")]


def test_rust_panic() -> None:
    t = _one("rust_panic.txt")
    (exc,) = t.exceptions
    assert exc.value.startswith("quantity must be a number")
    app = [f.function for f in exc.frames if f.in_app]
    assert app[-1] == "panic::parse_qty" and "core::panicking::panic_fmt" not in app
    assert groupings(t)[0].culprit.endswith("panic::parse_qty")


def test_gdb_backtrace() -> None:
    t = _one("gdb_bt.txt")
    (exc,) = t.exceptions
    assert (t.format, exc.type, exc.value) == ("gdb", "SIGSEGV", "Segmentation fault")
    assert _names(exc) == ["main", "cart_total", "line_total"]


def test_apple_crash_report() -> None:
    t = _one("apple_crash.txt")
    (exc,) = t.exceptions
    assert (t.format, exc.type, exc.value) == ("apple", "EXC_BAD_ACCESS", "SIGSEGV")
    assert exc.frames[-1].function == "-[CartViewController lineTotalAtIndex:]" and exc.frames[-1].in_app
    assert not exc.frames[-3].in_app


def test_lldb_backtrace() -> None:
    text = """(lldb) bt
* thread #1, queue = 'com.apple.main-thread', stop reason = EXC_BAD_ACCESS (code=1, address=0x0)
  * frame #0: 0x0000000100003f50 shop`line_total(o=0x0) at segv.c:3:45
    frame #1: 0x0000000100003f8c shop`cart_total(os=0x0, n=1) at segv.c:4:70
    frame #2: 0x0000000100003fc0 shop`main at segv.c:5:50
    frame #3: 0x00000001a5e3bf28 dyld`start + 2236
"""
    (t,) = find_traces(text)
    (exc,) = t.exceptions
    assert (t.format, exc.type) == ("lldb", "EXC_BAD_ACCESS")
    assert [f.function for f in exc.frames if f.in_app] == ["main", "cart_total", "line_total"]


@pytest.mark.parametrize("text, type_, value", [
    ("Hi, after the update every import fails with\nKeyError: 'sku'\n\nThanks", "KeyError", "'sku'"),
    ("错误信息：AttributeError: 'str' object has no attribute 'isocalendar'\n谢谢", "AttributeError",
     "'str' object has no attribute 'isocalendar'"),
    ("the log says java.lang.IllegalStateException: cart is empty", "java.lang.IllegalStateException", "cart is empty"),
])
def test_lone_last_line(text: str, type_: str, value: str) -> None:
    (t,) = find_traces(text)
    assert (t.kind, t.last.type, t.last.value, t.last.frames) == ("last_line", type_, value, ())


@pytest.mark.parametrize("text", [
    "We were charged twice for the March subscription. Please refund one of the charges.",
    "How do I rotate our API key without downtime? It is at 5:30 every day.",
    "我们的安全团队要求后台开启双重认证，请问支持吗？",
])
def test_prose_has_no_trace(text: str) -> None:
    assert find_traces(text) == ()


def test_pasted_trace_fingerprints_like_the_sdk_event() -> None:
    """The same crash as an SDK frames it (module from sys.path, class name as type) gets the same hash."""
    text = (FIXTURES / "python_chained.txt").read_text().replace("/tmp/tk_samples/", "/srv/app/releases/1.0/")
    sdk = Event(event_id="e1", platform="python", exceptions=(
        ExceptionValue(type="JSONDecodeError", module="json.decoder", value="Expecting property name enclosed in "
                       "double quotes: line 1 column 2 (char 1)", frames=(
            Frame(function="read_config", module="py_chain", filename="py_chain.py", context_line="    return load(raw)",
                  in_app=True),
            Frame(function="load", module="py_chain", filename="py_chain.py", context_line="    return json.loads(raw)",
                  in_app=True),
            Frame(function="loads", module="json", filename="json/__init__.py", in_app=False,
                  context_line="    return _default_decoder.decode(s)"),
        )),
        ExceptionValue(type="RuntimeError", value="config unreadable"),
    ))
    want = group_event(sdk).hashes[0]
    (t,) = find_traces(text)
    assert want in {h for g in groupings(t) for h in g.hashes}
    assert trace_event(t).exceptions == t.exceptions
