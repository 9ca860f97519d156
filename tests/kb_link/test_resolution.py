"""The regression rule, the next-release rule, ignore thresholds and "is the fix in version X"."""

from __future__ import annotations

import datetime as dt

import pytest

from kb_link.resolution import IgnoreUntil, ReleaseRef, fix_in, ignore_over, is_next_release, is_regression
from kb_link.versions import parse


def ref(raw: str, seen: int) -> ReleaseRef:
    return ReleaseRef(parse(raw), seen)


# (fixed in, seen order of fix, event release, its seen order, reopens?)
REGRESSION = [
    (None, 0, "1.0", 1, True),  # plain resolve: any later event
    (None, 0, None, 0, True),
    ("2.0", 2, "2.0", 2, True),  # the fixed release itself
    ("2.0", 2, "2.1", 3, True),
    ("2.0", 2, "1.9", 1, False),  # older release: counted, not reopened
    ("2.0", 5, "1.9.9", 9, False),  # backport seen later, still older
    ("8.1.0", 1, "8.0.1", 2, False),
    ("2.0.0", 1, "2.0.0-rc.1", 2, False),
    ("2.0.0-rc.1", 1, "2.0.0", 2, True),
    ("1.2.3+b1", 1, "1.2.3+b2", 2, True),
    ("web@2.0", 1, "web@1.0", 0, False),
    ("web@2.0", 1, "ios@1.0", 0, True),  # another package: cannot say older
    ("2.0", 1, None, 0, True),  # no release on the event
    ("nightly-a", 3, "nightly-b", 4, True),  # unparsed: first sight decides
    ("nightly-b", 4, "nightly-a", 3, False),
]


@pytest.mark.parametrize(("fixed", "fseen", "event", "eseen", "reopens"), REGRESSION)
def test_regression_rule(fixed: str | None, fseen: int, event: str | None, eseen: int, reopens: bool) -> None:
    fix = ref(fixed, fseen) if fixed else None
    ev = ref(event, eseen) if event else None
    assert is_regression(fix, ev) is reopens


def test_next_release_is_later_and_newer_than_everything_then() -> None:
    # the project had 8.0.0 (id 1) and 8.1.0 (id 2) when the cluster was resolved in the next release
    after = {"after_seen": 2, "after_key": parse("8.1.0").key, "package": ""}
    assert not is_next_release(ref("8.0.1", 3), **after)  # late backport
    assert is_next_release(ref("8.2.0", 4), **after)
    assert not is_next_release(ref("8.2.0", 2), **after)  # existed already
    assert not is_next_release(ref("nightly", 5), **after)
    assert not is_next_release(ref("web@9.0", 5), **after)  # another package
    assert is_next_release(ref("web@9.0", 5), after_seen=2, after_key=None, package=None)


def test_ignore_thresholds() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert ignore_over(IgnoreUntil(events=10), events=10, users=0, now=now)
    assert not ignore_over(IgnoreUntil(events=10), events=9, users=0, now=now)
    assert ignore_over(IgnoreUntil(users=3), events=100, users=3, now=now)
    assert not ignore_over(IgnoreUntil(users=3), events=100, users=2, now=now)
    assert ignore_over(IgnoreUntil(date=now), events=0, users=0, now=now)
    assert not ignore_over(IgnoreUntil(date=now + dt.timedelta(seconds=1)), events=0, users=0, now=now)
    assert not ignore_over(IgnoreUntil(), events=10**9, users=10**9, now=now)  # for good


@pytest.mark.parametrize(
    ("customer", "fixed", "packages", "answer"),
    [
        ("2.3.0", "app@2.3.1", None, False),
        ("2.3.1", "app@2.3.1", None, True),
        ("2.4", "app@2.3.1", frozenset({"app"}), True),
        ("2.3.0", "app@2.3.1", frozenset({"app", "ios"}), None),  # which package? nobody can say
        ("ios@2.4", "app@2.3.1", None, None),
        ("app@2.3.1+77", "app@2.3.1", None, True),
        ("2.3.1 (12)", "2.3.1", None, True),
        ("v2.3.0", "2.3.1", None, False),
        ("latest", "2.3.1", None, None),
        ("2.3.0", None, None, None),
    ],
)
def test_fix_in(customer: str, fixed: str | None, packages: frozenset[str] | None, answer: bool | None) -> None:
    assert fix_in(customer, ref(fixed, 1) if fixed else None, packages) is answer
