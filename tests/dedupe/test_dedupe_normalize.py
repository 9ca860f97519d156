"""Normalisers per platform, frame rules and message parameterisation, as tables."""

from __future__ import annotations

import pytest

from dedupe import normalize
from dedupe.frames import collapse_recursion, drop_noise, merge_comprehensions, normalise_context, trim_machinery
from dedupe.model import NormFrame
from dedupe.params import parameterize, parameterize_all

FUNCTIONS = [
    ("python", "<listcomp>", "<comprehension>"),
    ("python", "<lambda>", "<lambda>"),
    ("javascript", "Object.callback", "callback"),
    ("javascript", "Foo.prototype.testMethod", "testMethod"),
    ("javascript", "async Module.load", "load"),
    ("javascript", "test/<", ""),
    ("javascript", "<anonymous>", ""),
    ("javascript", "Anonymous function", ""),
    ("java", "lambda$onCreate$0", "lambda$onCreate"),
    ("java", "access$000", "access$"),
    ("java", "run$$Lambda$12/0x0000000800c0b000", "run$$generated"),
    ("native", "foo::bar(int, char const*)", "foo::bar"),
    ("native", "std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector<T>::push_back"),
    ("native", "boost::function0<void>::operator()", "boost::function0<T>::operator()"),
    ("native", "core::option::expect_failed::h1a2b3c4d5e6f7a8b", "core::option::expect_failed"),
    ("native", "gpusGenerateCrashLog.cold.1", "gpusGenerateCrashLog"),
    ("native", "stripped_application_code", ""),
    ("native", "0x7fff5fbff8a0", ""),
    ("dotnet", "<Main>b__0_0", "<Main>b__"),
    ("dotnet", "<DoWork>d__5.MoveNext", "DoWork"),
    ("dotnet", "List`1", "List"),
    ("go", "main.handler.func2", "main.handler.func"),
    ("go", "pkg.Map[...].Get", "pkg.Map[...].Get"),
    ("ruby", "block (2 levels) in process", "block in process"),
    ("ruby", "rescue in call", "call"),
    ("php", "class@anonymous/app/Foo.php:12$0", "class@anonymous"),
    ("php", "{closure}", "{closure}"),
]


@pytest.mark.parametrize(("platform", "raw", "expected"), FUNCTIONS)
def test_function_names(platform: str, raw: str, expected: str) -> None:
    assert normalize.function_name(raw, normalize.family(platform)) == expected


FILES = [
    ("https://cdn.example.com/static/js/main.3f2a1b9c.js?v=2", "/static/js/main.<hash>.js"),
    ("webpack:///./src/app.js", "src/app.js"),
    ("/usr/lib/python3.11/site-packages/requests/api.py", "requests/api.py"),
    ("/srv/app/releases/1.4.2/app/models.py", "/srv/app/app/models.py"),
    ("/home/u/proj/node_modules/react/index.js", "node_modules/react/index.js"),
    ("C:\\app\\lib\\v2.3.1\\x.dll", "C:/app/lib/<version>/x.dll"),
]


@pytest.mark.parametrize(("raw", "expected"), FILES)
def test_file_names(raw: str, expected: str) -> None:
    assert normalize.file_name(raw) == expected


def test_java_module_anonymous_and_generated_classes() -> None:
    assert normalize.module_name("com.example.Foo$1", "java") == "com.example.Foo$<anon>"
    assert normalize.module_name("com.example.Svc$$EnhancerBySpringCGLIB$$a1b2", "java") == "com.example.Svc$$generated"


MESSAGES = [
    ("order 16739 not found", "order <int> not found"),
    ("user 5f0c6e2a-3b1d-4c7e-9a8b-0123456789ab missing", "user <uuid> missing"),
    ("<Session object at 0x7ffff73a5290>", "<Session object at <hex>>"),
    ("mail olivia.johnson@example.cn bounced", "mail <email> bounced"),
    ("GET https://api.example.com/v1/x?id=3 failed", "GET <url> failed"),
    ("connect to 10.0.0.12:5432 refused", "connect to <ip> refused"),
    ("cannot open /var/data/in/export.csv", "cannot open <path>"),
    ("expired at 2025-03-01T10:00:00Z", "expired at <date>"),
    ("'utf-8' codec can't decode byte 0xfc in position 247", "'utf-8' codec can't decode byte <hex> in position <int>"),
    ("total 12.50 < -3", "total <float> < <int>"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), MESSAGES)
def test_parameterize(raw: str, expected: str) -> None:
    assert parameterize(raw) == expected


def test_parameterize_all_also_replaces_quoted_values_but_light_keeps_them() -> None:
    assert parameterize("KeyError 'vat_id'") == "KeyError 'vat_id'"
    assert parameterize_all("no price for 'SKU-123' in \"EUR\"") == "no price for <quoted> in <quoted>"


CONTEXT_LINES = [
    ("    fee = SHIPPING[method]", "SHIPPING[method]"),
    ("    return SHIPPING[method]", "SHIPPING[method]"),
    ("family, variant = sku.split('-')", "sku.split('-')"),
    ("x: int = int(v)", "int(v)"),
    ("if a == b:", "if a == b:"),
    ("await  client.get(url)", "client.get(url)"),
]


@pytest.mark.parametrize(("raw", "expected"), CONTEXT_LINES)
def test_context_line_normalisation(raw: str, expected: str) -> None:
    assert normalise_context(raw) == expected


def f(function: str, module: str = "m", context: str = "", in_app: bool = True, family: str = "python") -> NormFrame:
    return NormFrame(function=function, module=module, context=context, in_app=in_app, family=family)


def test_recursion_collapse_direct_and_mutual() -> None:
    frames = [f("main"), f("walk", context="outer"), f("walk"), f("walk", context="inner")]
    out = collapse_recursion(frames, {})
    assert [x.function for x in out] == ["main", "walk"]
    assert out[-1].context == "inner"
    mutual = [f("main"), f("even"), f("odd"), f("even"), f("odd"), f("even"), f("odd")]
    assert [x.function for x in collapse_recursion(mutual, {})] == ["main", "even", "odd"]
    assert [x.function for x in collapse_recursion([f("a"), f("b"), f("a")], {})] == ["a", "b", "a"]


def test_comprehension_folds_into_enclosing_function_keeping_crash_line() -> None:
    frames = [f("report", context="x = [r[i] for i in n]"), f("<comprehension>", context="[r[i] for i in n]")]
    out = merge_comprehensions(frames, {})
    assert [(x.function, x.context) for x in out] == [("report", "[r[i] for i in n]")]


def test_forwarding_decorator_frames_are_dropped_but_a_crashing_wrapper_is_kept() -> None:
    frames = [f("handle"), f("wrapper", context="return fn(*args, **kwargs)"), f("view"), f("wrapper", context="x = 1 / 0")]
    assert [x.function for x in drop_noise(frames, {})] == ["handle", "view", "wrapper"]
    assert [x.function for x in drop_noise([f("a"), f("inner", context="return g(*a, **kw)"), f("b")], {})] == ["a", "b"]


def test_crash_machinery_is_trimmed_from_the_innermost_end() -> None:
    frames = [f("main", family="native"), f("do_work", family="native"), f("abort", family="native"),
              f("__pthread_kill", family="native")]
    assert [x.function for x in trim_machinery(frames)] == ["main", "do_work"]
