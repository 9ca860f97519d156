"""Version ordering, as a table: each row says how two release names order.

The cases that trip peers are here: pre-releases before their release, numbers compared
as numbers, build metadata without precedence, dotted calendar versions, backports.
"""

from __future__ import annotations

import pytest

from kb_link.versions import CALVER, PEP440, SEMVER, UNPARSED, compare, order_key, parse

LT, EQ, GT, NONE = -1, 0, 1, None

# (a, b, expected order of a against b)
ORDER = [
    # semver core and pre-releases
    ("1.0.0", "2.0.0", LT),
    ("2.0.0", "2.1.0", LT),
    ("2.1.0", "2.1.1", LT),
    ("2.0.0-rc.1", "2.0.0", LT),
    ("1.0.0-alpha", "1.0.0-alpha.1", LT),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", LT),
    ("1.0.0-alpha.beta", "1.0.0-beta", LT),
    ("1.0.0-beta", "1.0.0-beta.2", LT),
    ("1.0.0-beta.2", "1.0.0-beta.11", LT),
    ("1.0.0-beta.11", "1.0.0-rc.1", LT),
    ("1.0.0-rc.1", "1.0.0", LT),
    ("1.0.0-1", "1.0.0-alpha", LT),
    ("1.0.0-rc.1", "1.0.0-rc.1", EQ),
    ("1.0.0-x-y-z.1", "1.0.0-x-y-z.2", LT),
    ("3.0.0-beta", "2.9.9", GT),
    # numbers are numbers
    ("1.10", "1.9", GT),
    ("1.10.0", "1.9.9", GT),
    ("10.0", "9.99", GT),
    ("1.2", "1.2.0", EQ),
    ("1.2.0.0", "1.2", EQ),
    ("1.2.0.1", "1.2", GT),
    ("0.0.1", "0.0.0", GT),
    ("1.02", "1.2", EQ),
    ("1", "1.0.1", LT),
    ("123456789012345678", "123456789012345679", LT),
    # build metadata has no precedence
    ("1.2.3+b2", "1.2.3+b1", EQ),
    ("1.2.3+456", "1.2.3", EQ),
    ("1.2.3 (456)", "1.2.3 (455)", EQ),
    ("1.2.3 (456)", "1.2.3+456", EQ),
    ("1.2.4 (1)", "1.2.3 (999)", GT),
    ("1.0.0-alpha+001", "1.0.0-alpha", EQ),
    ("1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", GT),
    # calendar versions
    ("2025.11.3", "2025.2.10", GT),
    ("2025.02.10", "2025.2.10", EQ),
    ("2024.12.31", "2025.1.1", LT),
    ("2025-11-03", "2025-02-10", GT),
    ("2025-11-03", "2025.11.3", EQ),
    ("25.11", "25.2", GT),
    ("2025.11.3.1", "2025.11.3", GT),
    # PEP 440
    ("1.0.dev1", "1.0a1", LT),
    ("1.0a1", "1.0a2", LT),
    ("1.0a2", "1.0b1", LT),
    ("1.0b1", "1.0rc1", LT),
    ("1.0rc1", "1.0", LT),
    ("1.0", "1.0.post1", LT),
    ("1.0.post1", "1.0.post2", LT),
    ("1.0.post1.dev1", "1.0.post1", LT),
    ("1.0a1.dev1", "1.0a1", LT),
    ("1!1.0", "2.0", GT),
    ("1.0c1", "1.0rc1", EQ),
    ("1.0.0a1", "1.0.0-alpha", LT),
    # v prefix
    ("v1.2.3", "1.2.3", EQ),
    ("v1.10", "v1.9", GT),
    ("V2.0", "v1.0", GT),
    # packages
    ("web@2.0", "web@1.9", GT),
    ("web@2.0", "ios@2.0", NONE),
    ("web@2.0", "2.0", NONE),
    ("@scope/pkg@1.10.0", "@scope/pkg@1.9.0", GT),
    ("com.example.app@1.2.3+456", "com.example.app@1.2.3+457", EQ),
    ("com.example.app@1.2.3 (7)", "com.example.app@1.2.4 (1)", LT),
    ("web@v2.0.0-rc.1", "web@2.0.0", LT),
    # backports order by version, not by date
    ("8.0.1", "8.1.0", LT),
    ("7.9.12", "8.0.0", LT),
    # unparsed: equal only to themselves without a first-sight order
    ("nightly", "nightly", EQ),
    ("nightly", "1.0", NONE),
    ("abc123def", "1.0", NONE),
    ("web@nightly", "web@latest", NONE),
]


@pytest.mark.parametrize(("a", "b", "expected"), ORDER, ids=[f"{a} vs {b}" for a, b, _ in ORDER])
def test_order(a: str, b: str, expected: int | None) -> None:
    va, vb = parse(a), parse(b)
    assert compare(va, vb) == expected
    assert compare(vb, va) == (None if expected is None else -expected)
    if expected is not None and va.parsed and vb.parsed:
        assert (order_key(va) > order_key(vb)) - (order_key(va) < order_key(vb)) == expected


# (raw, package, number, build, scheme)
PARSED = [
    ("1.2.3", "", "1.2.3", None, SEMVER),
    ("v1.2.3", "", "v1.2.3", None, SEMVER),
    ("shop@2.1.0", "shop", "2.1.0", None, SEMVER),
    ("1.2.3+456", "", "1.2.3", "456", SEMVER),
    ("1.2.3 (456)", "", "1.2.3", "456", SEMVER),
    ("io.app@1.2.3 (456)", "io.app", "1.2.3", "456", SEMVER),
    ("2.0.0-rc.1+build.5", "", "2.0.0-rc.1", "build.5", SEMVER),
    ("1.0rc1", "", "1.0rc1", None, PEP440),
    ("1.0.post2", "", "1.0.post2", None, PEP440),
    ("2025-11-03", "", "2025-11-03", None, CALVER),
    ("2025.11.3", "", "2025.11.3", None, SEMVER),
    ("nightly", "", "nightly", None, UNPARSED),
    ("", "", "", None, UNPARSED),
    ("@", "", "@", None, UNPARSED),
    ("pkg@", "", "pkg@", None, UNPARSED),
    ("1.2.3 ()", "", "1.2.3", None, SEMVER),
    ("9" * 40, "", "9" * 40, None, UNPARSED),
    ("feature/login-v2", "", "feature/login-v2", None, UNPARSED),
    ("a/b@1.0 (x/y)", "a/b", "1.0", "x/y", SEMVER),
    ("..", "", "..", None, UNPARSED),
    ("1..2", "", "1..2", None, UNPARSED),
]


@pytest.mark.parametrize(("raw", "package", "number", "build", "scheme"), PARSED, ids=[p[0] or "<empty>" for p in PARSED])
def test_parse(raw: str, package: str, number: str, build: str | None, scheme: str) -> None:
    v = parse(raw)
    assert (v.raw, v.package, v.number, v.build, v.scheme) == (raw, package, number, build, scheme)
    assert v.parsed == (scheme != UNPARSED)


def test_unparsed_versions_order_by_first_sight_and_after_parsed_ones_in_a_newest_first_list() -> None:
    nightly, latest, one = parse("nightly"), parse("latest"), parse("1.0")
    assert compare(nightly, latest, 1, 2) == LT
    assert compare(latest, nightly, 2, 1) == GT
    assert compare(one, nightly, 5, 1) == GT  # unparsed on either side: first sight decides
    assert sorted(["1.0", "nightly", "0.9"], key=lambda r: order_key(parse(r)), reverse=True)[-1] == "nightly"


@pytest.mark.parametrize("raw", ["\x00", "1.0\udcff", "💥", "1" * 5000, "1." * 2000, "v", "v-1", "-1", "+", "()", " (1) (2)"])
def test_bad_versions_never_raise(raw: str) -> None:
    v = parse(raw)
    assert v.raw == raw
    assert compare(v, v) == 0
