"""What a resolution means for later events and for a customer's version: pure rules.

"Fixed in" comes from one place, a cluster's ``resolved_in`` release; these functions
answer the three questions every part asks of it: does this event reopen the cluster,
is this new release the "next release" a cluster waited for, and is the fix in the
version a customer runs.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from kb_link.versions import Version, bare, compare, parse


class ReleaseRef(msgspec.Struct, frozen=True):
    """A release as the rules see it: its version and its first-sight order (release id)."""

    version: Version
    seen: int


class IgnoreUntil(msgspec.Struct, frozen=True):
    """Absolute thresholds: unignore once the cluster's totals reach them, or at ``date``."""

    events: int | None = None
    users: int | None = None
    date: dt.datetime | None = None


def is_regression(fixed: ReleaseRef | None, event: ReleaseRef | None) -> bool:
    """Does an event reopen a resolved cluster?

    Resolved without a release (``fixed`` None): any later event does, as in Sentry.
    Resolved in a release: only an event from that release or a later one; an event
    from an older release does not (it is "seen in an older release"). An event whose
    order against the fix cannot be known (no release, another package) does reopen:
    a problem shown twice costs less than a problem hidden.
    """
    if fixed is None or event is None:
        return True
    order = compare(event.version, fixed.version, event.seen, fixed.seen)
    return order is None or order >= 0


def is_next_release(candidate: ReleaseRef, *, after_seen: int, after_key: str | None, package: str | None) -> bool:
    """Is ``candidate`` the "next release" a cluster resolved at some moment waits for?

    At that moment the project's newest release id was ``after_seen`` and the highest
    version key of ``package`` was ``after_key`` (None: the package had no parsed
    release). The next release is created later and orders after all of those, so a
    late backport (8.0.1 after 8.1.0) is not it. An unparsed version qualifies only
    when its package had no parsed release, since unparsed versions order by sight.
    """
    if candidate.seen <= after_seen:
        return False
    if package is not None and candidate.version.package != package:
        return False
    if after_key is None:
        return True
    return candidate.version.key is not None and candidate.version.key > after_key


def ignore_over(until: IgnoreUntil, *, events: int, users: int, now: dt.datetime) -> bool:
    """Has an ignored cluster reached what it was ignored until? (No thresholds: ignored for good.)"""
    return (
        (until.events is not None and events >= until.events)
        or (until.users is not None and users >= until.users)
        or (until.date is not None and now >= until.date)
    )


def fix_in(customer: str, fixed: ReleaseRef | None, packages: frozenset[str] | None = None) -> bool | None:
    """Is the fix in the version a customer runs? True, False, or None when nobody can say.

    None when the cluster has no ``resolved_in`` release, or the versions cannot be
    ordered (different packages, unparsed). A bare customer version (``2.3.0``) is read
    against the version part of ``pkg@2.3.0`` when the project has that one package
    (``packages``: the packages of the project's releases; None: assume just one).
    """
    if fixed is None:
        return None
    theirs = parse(customer)
    ours = fixed.version
    if not theirs.package and ours.package and (packages is None or packages == frozenset({ours.package})):
        ours = bare(ours)
    if theirs.raw.strip() == fixed.version.raw.strip():
        return True
    order = compare(theirs, ours)
    return None if order is None else order >= 0
